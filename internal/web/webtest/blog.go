package webtest

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"

	"github.com/kapstone/kapstone/internal/store"
)

// Post saves a post as a fixture user and returns it.
func (f *Fixture) Post(email string, p store.Post) *store.Post {
	f.T.Helper()
	if p.Status == "" {
		p.Status = store.PostPublished
	}
	if err := f.St.SavePost(context.Background(), f.As(email), &p); err != nil {
		f.T.Fatalf("SavePost(%q) = %v", p.Title, err)
	}
	return &p
}

// Upload posts a multipart image form as the editor does.
func (f *Fixture) Upload(cookie, query string, data []byte, alt string) Response {
	f.T.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("image", "picture.png")
	fw.Write(data)
	mw.WriteField("alt", alt)
	mw.Close()
	req := httptest.NewRequest("POST", "/site/images"+query, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(&http.Cookie{Name: f.Srv.CookieName(), Value: cookie})
	rec := httptest.NewRecorder()
	f.Srv.ServeHTTP(rec, req)
	return Response{rec.Code, rec.Result().Header, rec.Body.String()}
}
