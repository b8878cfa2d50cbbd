package notes

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// ConsentPaper records a paper signature with its scan (a multipart
// upload: kind, document, typed_name, scan). A form that cannot be saved
// is shown again on the chart at the kind's form, with the reasons at the
// fields (422).
func (s *Handlers) ConsentPaper(w http.ResponseWriter, r *http.Request) {
	patientID := r.PathValue("patient")
	vals, scan, fe := readScan(w, r)
	kind := vals.Get("kind")
	posted := "paper-" + kind
	if clinic.ConsentKindTitle(kind) == "" {
		posted = "consents" // a form kapstone did not make; the reasons show at the section
	}
	if len(fe) == 0 && posted != "consents" {
		on, _ := time.Parse(time.DateOnly, vals.Get("signed_on")) // unreadable: zero, which the store asks for
		_, err := s.Store.RecordPaperConsent(r.Context(), s.Actor(r), patientID, store.PaperInput{DocumentID: vals.Get("document"), TypedName: vals.Get("typed_name"),
			SignedOn: on, AfterWithdrawal: vals.Get("after_withdrawal") != "", Scan: scan})
		if err == nil {
			http.Redirect(w, r, "/patients/"+patientID+"?done=consent-paper#consent-"+kind, http.StatusSeeOther)
			return
		}
		var e *clinic.Error
		if !errors.As(err, &e) || e.Code != clinic.EInvalid {
			s.Error(w, r, err)
			return
		}
		fe = e.Fields
	}
	if len(fe) == 0 {
		fe = map[string]string{"kind": "Choose the consent the paper is for."}
	}
	s.ChartForm(w, r, fe, posted, vals)
}

// ConsentRevoke records the revocation of a signature, with the reason.
func (s *Handlers) ConsentRevoke(w http.ResponseWriter, r *http.Request) {
	patientID := r.PathValue("patient")
	kind := r.PostForm.Get("kind")
	err := s.Store.RevokeConsent(r.Context(), s.Actor(r), patientID, r.PathValue("signature"), r.PostForm.Get("reason"))
	var e *clinic.Error
	if errors.As(err, &e) && (e.Code == clinic.EInvalid || e.Code == clinic.EConflict) {
		fields := e.Fields
		if fields["reason"] == "" {
			fields = map[string]string{"reason": e.Message}
			if m := e.Fields["consent"]; m != "" {
				fields["reason"] = m
			}
		}
		posted := "revoke-" + kind
		if clinic.ConsentKindTitle(kind) == "" {
			posted = "consents"
		}
		s.ChartForm(w, r, fields, posted, r.PostForm)
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	anchor := "#consents"
	if clinic.ConsentKindTitle(kind) != "" { // the form's kind is the person's input: only a known kind names the anchor
		anchor = "#consent-" + kind
	}
	http.Redirect(w, r, "/patients/"+patientID+"?done=consent-revoked"+anchor, http.StatusSeeOther)
}

// ConsentScan serves a paper signature's scan to those who may read the
// chart: a PDF as a download, an image inline.
func (s *Handlers) ConsentScan(w http.ResponseWriter, r *http.Request) {
	ct, data, err := s.Store.ConsentScan(r.Context(), s.Actor(r), r.PathValue("patient"), r.PathValue("signature"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	ServeScan(w, ct, data)
}

// ServeScan writes a consent scan: never cached, never sniffed, a PDF as
// an attachment (it opens in the reader's own viewer), an image inline.
func ServeScan(w http.ResponseWriter, contentType string, data []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if contentType == "application/pdf" {
		h.Set("Content-Disposition", `attachment; filename="consent-scan.pdf"`)
	} else {
		h.Set("Content-Disposition", "inline")
	}
	_, _ = w.Write(data)
}

// readScan reads the paper-signature form's multipart parts: its text
// fields and the scan's bytes (at most one byte more than the store
// accepts, so it can say the file is too large).
func readScan(w http.ResponseWriter, r *http.Request) (url.Values, []byte, map[string]string) {
	r.Body = http.MaxBytesReader(w, r.Body, shell.MaxUploadBytes)
	vals, fe := url.Values{}, map[string]string{}
	var data []byte
	mr, err := r.MultipartReader()
	if err != nil {
		fe["scan"] = "Choose the scan of the signed paper: a PDF, or a photo (JPEG or PNG)."
		return vals, nil, fe
	}
	failed := func(err error) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			fe["scan"] = "That file is larger than " + strconv.Itoa(store.ConsentScanMaxBytes>>20) + " MB. Scan at a lower resolution, or in black and white, and upload that."
		} else {
			fe["scan"] = "The upload could not be read. Please try again."
		}
	}
	text := 0
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			failed(err)
			break
		}
		if part.FormName() == "scan" {
			if data, err = io.ReadAll(io.LimitReader(part, store.ConsentScanMaxBytes+1)); err != nil {
				failed(err)
				break
			}
			continue
		}
		if part.FileName() != "" {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(part, int64(64<<10-text+1)))
		if err != nil {
			failed(err)
			break
		}
		if text += len(b); text > 64<<10 {
			fe["scan"] = "The upload could not be read. Please try again."
			break
		}
		vals.Add(part.FormName(), string(b))
	}
	return vals, data, fe
}
