package webtest

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// SignConsentA has patient A sign, in the portal, the newest version of
// each kind given (the KAP informed consent when none is), as the dosing
// gate needs.
func (f *Fixture) SignConsentA(kinds ...string) {
	f.T.Helper()
	if len(kinds) == 0 {
		kinds = []string{clinic.ConsentKAP}
	}
	pat := f.As("pat@example.org")
	cs, err := f.St.PatientConsents(f.T.Context(), pat, f.PA.ID)
	if err != nil {
		f.T.Fatal(err)
	}
	for _, kind := range kinds {
		for _, c := range cs {
			if c.Kind == kind && !c.SignedLatest() {
				if _, err := f.St.SignConsent(f.T.Context(), pat, f.PA.ID, store.SignInput{DocumentID: c.Latest.ID, TextHash: c.Latest.Hash(), TypedName: f.PA.DisplayName, Agreed: true}); err != nil {
					f.T.Fatal(err)
				}
			}
		}
	}
}

// UploadScan posts the chart's paper-signature form for patient A as the
// holder of cookie: the fields, and data as the scan named file.
func (f *Fixture) UploadScan(cookie string, fields map[string]string, file string, data []byte) Response {
	f.T.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("scan", file)
	fw.Write(data)
	mw.Close()
	req := httptest.NewRequest("POST", "/patients/"+f.PA.ID+"/consents/paper", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(&http.Cookie{Name: f.Srv.CookieName(), Value: cookie})
	rec := httptest.NewRecorder()
	f.Srv.ServeHTTP(rec, req)
	return Response{rec.Code, rec.Result().Header, rec.Body.String()}
}
