package safety

import (
	"bytes"
	_ "embed"
	"net/http"
	"strconv"
	"strings"
	"text/template"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// crisisPage is the public crisis page.
type crisisPage struct {
	Help      []callLink
	Emergency string
	Source    string
	Patient   bool // a patient is signed in: link their plan
}

// CrisisPage is GET /crisis: every way to reach help now, for anyone, signed
// in or not; linked from the crisis footer on every page and kept by the
// service worker for offline use.
func (s *Handlers) CrisisPage(w http.ResponseWriter, r *http.Request) {
	pc := store.SafetyPlanContext{}
	if ps, err := s.Store.Practice(r.Context()); err == nil {
		pc.PracticePhone = ps.Phone
	}
	// The crisis lines first, then the practice (which may be closed).
	help := s.helpLinks(pc)
	if pc.PracticePhone != "" && len(help) > 0 && help[0].Label == practiceLabel {
		help = append(help[1:], help[0])
	}
	d := crisisPage{Help: help, Emergency: s.App.Crisis.Emergency, Source: s.App.Crisis.Source}
	if sess := shell.SessionFrom(r.Context()); sess != nil && sess.MFADone && sess.User != nil && auth.Can(sess.User.Role, auth.RelNone, auth.PermPortal) {
		d.Patient = true
	}
	s.Render(w, r, http.StatusOK, "crisis", "Help right now", d)
}

//go:embed sw.js
var workerSource string

// workerScript is sw.js with the static files the kept pages need.
var workerScript = template.Must(template.New("sw.js").Parse(workerSource))

// ServiceWorker is GET /sw.js: the service worker that keeps the safety
// plan and the crisis page (and the static files they need) so they open
// without a network, and nothing else clinical. It is served from the
// site root so its scope can cover /portal/safety-plan and /crisis; the
// portal's script registers it for a signed-in patient only, and the
// signed-out pages remove it with its cache.
func (s *Handlers) ServiceWorker(w http.ResponseWriter, r *http.Request) {
	var assets []string
	for _, name := range []string{"style.css", "app.js", "favicon.svg"} {
		u, err := s.Assets.URL(name)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		assets = append(assets, strconv.Quote(u))
	}
	var buf bytes.Buffer
	if err := workerScript.Execute(&buf, map[string]any{"Assets": strings.Join(assets, ", "), "Plan": strconv.Quote(PortalPath), "Crisis": strconv.Quote(CrisisPath)}); err != nil {
		s.Error(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/javascript; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Service-Worker-Allowed", "/")
	w.Write(buf.Bytes())
}
