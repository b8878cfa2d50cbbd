package shell

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"time"
)

//go:embed static
var staticFS embed.FS

// asset is one embedded static file, served under a URL that holds its hash.
type asset struct {
	name  string
	hash  string
	body  []byte
	ctype string
}

type assetSet struct{ byName map[string]*asset }

func loadAssets() (*assetSet, error) {
	set := &assetSet{byName: map[string]*asset{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		name := p[len("static/"):]
		ctype := mime.TypeByExtension(path.Ext(name))
		if ctype == "" {
			ctype = http.DetectContentType(body)
		}
		set.byName[name] = &asset{name: name, hash: hex.EncodeToString(sum[:6]), body: body, ctype: ctype}
		return nil
	})
	return set, err
}

// URL returns the content-hash URL of a static file; templates call it as
// {{asset "style.css"}}. An unknown name is a template bug and fails parsing.
func (a *assetSet) URL(name string) (string, error) {
	f, ok := a.byName[name]
	if !ok {
		return "", fmt.Errorf("no static file %q", name)
	}
	return "/static/" + f.hash + "/" + f.name, nil
}

// serve answers GET /static/{hash}/{name}. The URL changes whenever the file
// does, so a year-long immutable cache is safe. A stale or unknown hash is 404.
func (s *App) Static(w http.ResponseWriter, r *http.Request) {
	f, ok := s.Assets.byName[r.PathValue("name")]
	if !ok || f.hash != r.PathValue("hash") {
		s.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", `"`+f.hash+`"`)
	http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(f.body))
}
