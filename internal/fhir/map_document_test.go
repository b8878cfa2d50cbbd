package fhir_test

import (
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/fhir"
	"github.com/kapstone/kapstone/internal/store"
)

const noteCanary = "CANARY-note-text-7f3a"

func signedNote() *store.Note {
	signed := time.Date(2026, 12, 1, 19, 0, 0, 0, time.UTC)
	return &store.Note{ID: "n1", PatientID: pid, AppointmentID: "a1", Kind: "dosing", AppointmentAt: time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC),
		Format: "soap", Sections: map[string]string{"subjective": noteCanary, "plan": noteCanary}, AuthorID: "u1", AuthorName: "Lena Ortiz",
		Status: clinic.NoteSigned, SignedByName: "Lena Ortiz", SignedAt: &signed, ContentHash: "hash-" + noteCanary, Version: 3}
}

func TestDocumentReference(t *testing.T) {
	cosigned := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	with := func(f func(*store.Note)) *store.Note { n := signedNote(); f(n); return n }
	cases := []struct {
		name      string
		n         *store.Note
		encounter string
		want      []string
		err       bool
	}{
		{"signed dosing note", signedNote(), "s1", []string{`"id":"n1"`, "us-core-documentreference", `"status":"current"`, `"docStatus":"final"`,
			`"type":{"coding":[{"system":"http://loinc.org","code":"11506-3","display":"Progress note"}],"text":"Dosing session note"}`,
			`"category":[{"coding":[{"system":"http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category","code":"clinical-note","display":"Clinical Note"}]}]`,
			`"subject":{"reference":"Patient/` + pid + `"}`, `"date":"2026-12-01T19:00:00Z"`, `"author":[{"reference":"Practitioner/u1","display":"Lena Ortiz"}]`,
			`"authenticator":{"reference":"Practitioner/u1","display":"Lena Ortiz"}`,
			`"attachment":{"contentType":"application/pdf","language":"en","url":"https://clinic.example/patients/` + pid + `/appointments/a1/note.pdf","title":"Dosing session note.pdf","creation":"2026-12-01T19:00:00Z"}`,
			`"format":{"system":"http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode","code":"urn:ihe:iti:xds:2017:mimeTypeSufficient"`,
			`"context":{"encounter":[{"reference":"Encounter/s1"}],"period":{"start":"2026-12-01T15:00:00Z"}}`}, false},
		{"awaiting co-signature", with(func(n *store.Note) { n.Status, n.CosignerID = clinic.NoteAwaitingCosign, "u9" }), "", []string{`"docStatus":"preliminary"`}, false},
		{"co-signed, with an addendum", with(func(n *store.Note) {
			n.CosignerID, n.CosignerName, n.CosignedAt = "u9", "Sam Supervisor", &cosigned
			n.Addenda = []store.NoteAddendum{{ID: "ad1", Body: noteCanary, AuthorID: "u1"}}
		}), "", []string{`"docStatus":"amended"`, `"authenticator":{"reference":"Practitioner/u9","display":"Sam Supervisor"}`}, false},
		{"draft", with(func(n *store.Note) { n.Status = clinic.NoteDraft }), "", nil, true},
		{"not saved", with(func(n *store.Note) { n.ID = "" }), "", nil, true},
		{"bad encounter id", signedNote(), "s 1", nil, true},
	}
	for _, tc := range cases {
		d, err := m.DocumentReference(tc.n, tc.encounter)
		if (err != nil) != tc.err {
			t.Errorf("%s: err %v, want error %v", tc.name, err, tc.err)
			continue
		}
		if err != nil {
			continue
		}
		has(t, tc.name, string(validate(t, tc.name, d)), tc.want, []string{"CANARY", "soap", "hash"})
	}
	// Under a base that is not /fhir, the PDF is at the site's root.
	d, err := m2("https://care.example/api/r4").DocumentReference(signedNote(), "")
	if err != nil || d.Content[0].Attachment.URL != "https://care.example/patients/"+pid+"/appointments/a1/note.pdf" {
		t.Errorf("other base: %+v, %v", d.Content, err)
	}
}

func TestProvenance(t *testing.T) {
	cosigned := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	n := signedNote()
	p, err := m.NoteProvenance(n)
	if err != nil {
		t.Fatal(err)
	}
	has(t, "note", string(validate(t, "note", p)), []string{`"id":"n1-signed"`, `"target":[{"reference":"DocumentReference/n1"}]`, `"recorded":"2026-12-01T19:00:00Z"`,
		`"agent":[{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/provenance-participant-type","code":"author","display":"Author"}]},"who":{"reference":"Practitioner/u1","display":"Lena Ortiz"}}]`},
		[]string{"CANARY", "us-core"})
	n.CosignerID, n.CosignerName, n.CosignedAt = "u9", "Sam Supervisor", &cosigned
	p, err = m.NoteProvenance(n)
	if err != nil {
		t.Fatal(err)
	}
	has(t, "co-signed note", string(validate(t, "co-signed", p)), []string{`"code":"verifier"`, `"who":{"reference":"Practitioner/u9","display":"Sam Supervisor"}`}, []string{"CANARY"})
	n.Status = clinic.NoteDraft
	if _, err := m.NoteProvenance(n); err == nil {
		t.Error("a draft has a provenance")
	}

	c := phq9Checkin(12, 1, nil)
	p, err = m.CheckinProvenance(pid, c)
	if err != nil {
		t.Fatal(err)
	}
	has(t, "check-in", string(validate(t, "check-in", p)), []string{`"id":"` + c.ID + `-answered"`, "us-core-provenance",
		`"target":[{"reference":"QuestionnaireResponse/` + c.ID + `"}]`, `"recorded":"2026-11-30T15:04:05Z"`, `"who":{"reference":"Patient/` + pid + `"}`}, nil)
	if p.ID != fhir.CheckinProvenanceID(c.ID) {
		t.Error(p.ID)
	}
	c.Complete = false
	if _, err := m.CheckinProvenance(pid, c); err == nil {
		t.Error("an unfinished check-in has a provenance")
	}
}
