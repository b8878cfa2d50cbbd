package site_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// uploadWithDraft posts the editor's form as its Upload button does
// without JavaScript: the draft's fields, then the image and its
// description, multipart; accept sets the Accept header when not "".
func uploadWithDraft(t *testing.T, f *webtest.Fixture, cookie, query string, draft [][2]string, image []byte, alt, accept string) webtest.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, kv := range draft {
		mw.WriteField(kv[0], kv[1])
	}
	fw, _ := mw.CreateFormFile("image", "picture.png")
	fw.Write(image)
	mw.WriteField("alt", alt)
	mw.WriteField("action", "upload")
	mw.Close()
	req := httptest.NewRequest("POST", "/site/images"+query, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	req.AddCookie(&http.Cookie{Name: f.Srv.CookieName(), Value: cookie})
	rec := httptest.NewRecorder()
	f.Srv.ServeHTTP(rec, req)
	return webtest.Response{Status: rec.Code, Header: rec.Result().Header, Body: rec.Body.String()}
}

// TestBlogUploadKeepsDraft: uploading an image from the post editor
// keeps the draft. Without JavaScript the draft comes along with the
// image and the editor comes back with it as it was (nothing saved) and
// the image's Markdown; a refused image keeps the draft too, even one too
// large to read. The editor's script gets the Markdown as JSON.
func TestBlogUploadKeepsDraft(t *testing.T) {
	f := webtest.NewFixture(t)
	thea := f.SignIn("thea@example.org")
	draft := [][2]string{{"title", "Notes on rest"}, {"summary", "Why sleep matters"}, {"body", "First paragraph.\r\n\r\nSecond <em>unsaved</em> paragraph."}, {"tags", "rest, sleep"}}
	check := func(what string, r webtest.Response) {
		t.Helper()
		for _, want := range []string{`value="Notes on rest"`, "Why sleep matters", "First paragraph.\n\nSecond &lt;em&gt;unsaved&lt;/em&gt; paragraph.", `value="rest, sleep"`} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("%s: the editor lost the draft's %q", what, want)
			}
		}
	}
	r := uploadWithDraft(t, f, thea, "", draft, testPNG(t, 60, 40), "A calm lake", "")
	if r.Status != http.StatusOK {
		t.Fatalf("upload with a draft = %d, want 200 with the editor", r.Status)
	}
	check("after an upload", r)
	images, err := f.St.RecentImages(t.Context(), f.As("thea@example.org"), 5)
	if err != nil || len(images) != 1 {
		t.Fatalf("images = %d, %v; want the upload", len(images), err)
	}
	if !strings.Contains(r.Body, `id="uploaded-snippet" class="snippet" type="text" readonly value="![A calm lake](/media/`+images[0].ID+`)"`) || !strings.Contains(r.Body, "not saved yet") {
		t.Error("the editor after an upload does not show the Markdown, or says the draft was saved")
	}
	if posts, _, _ := f.St.PublishedPosts(t.Context(), "", "", 10, 0); len(posts) != 0 {
		t.Error("the upload published a post")
	}

	// From a saved post's editor: its draft as typed, not as saved.
	p := f.Post("thea@example.org", store.Post{Title: "Saved title", Body: "Saved body.", Status: store.PostDraft})
	r = uploadWithDraft(t, f, thea, "?post="+p.ID, draft, testPNG(t, 60, 40), "", "")
	if r.Status != http.StatusOK || strings.Contains(r.Body, "Saved body.") || !strings.Contains(r.Body, `action="/site/posts/`+p.ID+`"`) {
		t.Errorf("upload from a saved post = %d; want its editor with the typed draft", r.Status)
	}
	check("from a saved post", r)

	// Refused: not an image, and too large. The draft stays.
	r = uploadWithDraft(t, f, thea, "", draft, []byte("just some words"), "x", "")
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="upload-image-error"`) {
		t.Fatalf("not an image = %d, want 422 at the file", r.Status)
	}
	check("after a refused file", r)
	r = uploadWithDraft(t, f, thea, "", draft, append(testPNG(t, 4, 4), make([]byte, 7<<20)...), "x", "")
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "larger than") {
		t.Fatalf("too large = %d, want 422 saying so", r.Status)
	}
	check("after a file too large", r)

	// The script's upload: JSON with the Markdown; errors as JSON.
	r = uploadWithDraft(t, f, thea, "", nil, testPNG(t, 30, 20), "A path", "application/json")
	var ans struct {
		ID, Snippet, Label string
		Errors             map[string]string
	}
	if err := json.Unmarshal([]byte(r.Body), &ans); r.Status != http.StatusOK || err != nil || ans.Snippet != "![A path](/media/"+ans.ID+")" || ans.Label != "A path (30×20)" {
		t.Fatalf("JSON upload = %d %q (%v)", r.Status, r.Body, err)
	}
	r = uploadWithDraft(t, f, thea, "", nil, []byte("<svg onload=alert(1)>"), "x", "application/json")
	ans.Errors = nil
	if err := json.Unmarshal([]byte(r.Body), &ans); r.Status != http.StatusUnprocessableEntity || err != nil || ans.Errors["image"] == "" {
		t.Fatalf("JSON refused upload = %d %q", r.Status, r.Body)
	}
}
