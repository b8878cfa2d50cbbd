package clinic

import (
	"strings"
	"testing"
	"time"
)

func TestNoteFormats(t *testing.T) {
	want := map[string][]string{
		NoteSOAP: {"subjective", "objective", "assessment", "plan"},
		NoteDAP:  {"data", "assessment", "plan"},
		NoteBIRP: {"behavior", "intervention", "response", "plan"},
	}
	for key, keys := range want {
		f, ok := NoteFormatOf(key)
		if !ok {
			t.Fatalf("NoteFormatOf(%q) not found", key)
		}
		var got []string
		for _, s := range f.Sections {
			got = append(got, s.Key)
			if s.Title == "" || s.Prompt == "" {
				t.Errorf("%s.%s has no title or prompt", key, s.Key)
			}
		}
		if strings.Join(got, ",") != strings.Join(keys, ",") {
			t.Errorf("%s sections = %v, want %v", key, got, keys)
		}
	}
	if _, ok := NoteFormatOf("free"); ok {
		t.Error("NoteFormatOf(free) found")
	}
}

func TestNoteTemplateFor(t *testing.T) {
	for _, tc := range []struct {
		kind, format string
	}{
		{"intake", NoteSOAP}, {"medical_evaluation", NoteSOAP}, {"preparation", NoteDAP},
		{"dosing", NoteSOAP}, {"integration", NoteDAP}, {"follow_up", NoteSOAP}, {"other", NoteSOAP}, {"", NoteSOAP},
	} {
		tpl := NoteTemplateFor(tc.kind)
		if tpl.Format != tc.format {
			t.Errorf("NoteTemplateFor(%q).Format = %q, want %q", tc.kind, tpl.Format, tc.format)
		}
		f, _ := NoteFormatOf(tpl.Format)
		for _, s := range f.Sections {
			if tpl.Prompt(tpl.Format, s.Key) == "" {
				t.Errorf("%s: no prompt for %s", tc.kind, s.Key)
			}
		}
	}
	// Every KAP kind of appointment has its own template.
	for _, at := range AppointmentTypes {
		if _, ok := noteTemplates[at.Kind]; !ok && at.Kind != "other" {
			t.Errorf("no note template for appointment kind %q", at.Kind)
		}
	}
	dosing := NoteTemplateFor("dosing")
	if got := dosing.Prompt(NoteSOAP, "objective"); !strings.Contains(got, "session record") {
		t.Errorf("dosing objective prompt = %q, want the pointer to the session record", got)
	}
	// Another format than the template's: that format's general prompt.
	if got, want := dosing.Prompt(NoteBIRP, "response"), NoteFormats[2].Sections[2].Prompt; got != want {
		t.Errorf("dosing BIRP response prompt = %q, want %q", got, want)
	}
	// A section the template has no own prompt for: the format's.
	other := NoteTemplateFor("other")
	if got, want := other.Prompt(NoteSOAP, "plan"), NoteFormats[0].Sections[3].Prompt; got != want {
		t.Errorf("other plan prompt = %q, want %q", got, want)
	}
	if got := other.Prompt(NoteSOAP, "nonsense"); got != "" {
		t.Errorf("prompt of unknown section = %q", got)
	}
}

func TestCheckNoteSections(t *testing.T) {
	long := strings.Repeat("é", MaxNoteSection+1)
	for _, tc := range []struct {
		name    string
		format  string
		given   map[string]string
		errs    []string
		written bool
		want    map[string]string
	}{
		{name: "tidied", format: NoteDAP, given: map[string]string{"data": "Line one\r\nline two  \r\n\r\n", "plan": "x", "subjective": "dropped"},
			written: true, want: map[string]string{"data": "Line one\nline two", "assessment": "", "plan": "x"}},
		{name: "empty", format: NoteSOAP, given: map[string]string{"plan": "   \n"},
			want: map[string]string{"subjective": "", "objective": "", "assessment": "", "plan": ""}},
		{name: "unknown format", format: "free", errs: []string{"format"}},
		{name: "control character", format: NoteBIRP, given: map[string]string{"behavior": "a\x00b"}, errs: []string{"section_behavior"}, written: true},
		{name: "bidi override", format: NoteBIRP, given: map[string]string{"plan": "a\u202eb"}, errs: []string{"section_plan"}, written: true},
		{name: "too long", format: NoteSOAP, given: map[string]string{"objective": long}, errs: []string{"section_objective"}, written: true},
		{name: "tab kept", format: NoteSOAP, given: map[string]string{"objective": "BP\t128/82"}, written: true,
			want: map[string]string{"subjective": "", "objective": "BP\t128/82", "assessment": "", "plan": ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CheckNoteSections(tc.format, tc.given)
			fields := map[string]string{}
			if err != nil {
				var e *Error
				if ok := asError(err, &e); !ok || e.Code != EInvalid {
					t.Fatalf("err = %v, want EInvalid", err)
				}
				fields = e.Fields
			}
			if len(fields) != len(tc.errs) {
				t.Fatalf("errors = %v, want at %v", fields, tc.errs)
			}
			for _, f := range tc.errs {
				if fields[f] == "" {
					t.Errorf("no error at %s: %v", f, fields)
				}
			}
			if tc.want != nil {
				for k, v := range tc.want {
					if got[k] != v {
						t.Errorf("section %s = %q, want %q", k, got[k], v)
					}
				}
				if len(got) != len(tc.want) {
					t.Errorf("sections = %v, want %v", got, tc.want)
				}
			}
			if w := NoteWritten(tc.format, tc.given); w != tc.written {
				t.Errorf("NoteWritten = %v, want %v", w, tc.written)
			}
		})
	}
}

func asError(err error, e **Error) bool {
	x, ok := err.(*Error)
	*e = x
	return ok
}

func TestCheckAddendum(t *testing.T) {
	for _, tc := range []struct {
		kind, body string
		errs       []string
		want       string
	}{
		{AddendumCorrection, "Dose was 150 mg, not 200 mg.\r\n", nil, "Dose was 150 mg, not 200 mg."},
		{AddendumAmendment, "x", nil, "x"},
		{AddendumClarification, "x", nil, "x"},
		{"rewrite", "x", []string{"kind"}, ""},
		{AddendumCorrection, "  \n ", []string{"body"}, ""},
		{AddendumCorrection, strings.Repeat("a", MaxAddendum+1), []string{"body"}, ""},
		{AddendumCorrection, "a\x1bb", []string{"body"}, ""},
	} {
		got, err := CheckAddendum(tc.kind, tc.body)
		var e *Error
		if err != nil && !asError(err, &e) {
			t.Fatalf("err = %v", err)
		}
		n := 0
		if e != nil {
			n = len(e.Fields)
		}
		if n != len(tc.errs) {
			t.Errorf("CheckAddendum(%q, %.20q) errors = %v, want at %v", tc.kind, tc.body, err, tc.errs)
			continue
		}
		for _, f := range tc.errs {
			if e.Fields[f] == "" {
				t.Errorf("no error at %s", f)
			}
		}
		if tc.errs == nil && got != tc.want {
			t.Errorf("body = %q, want %q", got, tc.want)
		}
	}
	if AddendumTitle("nope") != "" || AddendumTitle(AddendumCorrection) != "Correction" {
		t.Error("AddendumTitle")
	}
}

func TestSignedNoteHash(t *testing.T) {
	at := time.Date(2026, 12, 3, 10, 42, 7, 123456789, time.FixedZone("x", 3600))
	n := SignedNote{
		Format:   NoteDAP,
		Sections: map[string]string{"data": "Said: \"better\".", "assessment": "Improving.", "plan": "Integration Tuesday.", "ignored": "not in DAP"},
		AuthorID: "u1", PatientID: "p1", AppointmentID: "a1", SignedAt: at,
	}
	want := "kapstone-note-v1\nformat 3:dap\nsection.data 15:Said: \"better\".\nsection.assessment 10:Improving.\nsection.plan 20:Integration Tuesday.\n" +
		"author 2:u1\npatient 2:p1\nappointment 2:a1\nsigned 20:2026-12-03T09:42:07Z\n"
	if got := string(n.Canonical()); got != want {
		t.Fatalf("Canonical =\n%s\nwant\n%s", got, want)
	}
	h := n.Hash()
	if !strings.HasPrefix(h, "sha256:") || len(h) != 7+64 {
		t.Fatalf("Hash = %q", h)
	}
	if !n.Verify(h) {
		t.Fatal("Verify of its own hash failed")
	}
	// The same time read back from a database (UTC, to the microsecond).
	back := n
	back.SignedAt = at.UTC().Truncate(time.Microsecond)
	if !back.Verify(h) {
		t.Error("Verify failed after the time's round trip")
	}
	// A section the format does not have is not covered.
	same := n
	same.Sections = map[string]string{"data": n.Sections["data"], "assessment": n.Sections["assessment"], "plan": n.Sections["plan"]}
	if !same.Verify(h) {
		t.Error("a section outside the format changed the hash")
	}
	for name, change := range map[string]func(*SignedNote){
		"section": func(c *SignedNote) {
			c.Sections = map[string]string{"data": "Said: \"worse\".", "assessment": "Improving.", "plan": "Integration Tuesday."}
		},
		"moved text": func(c *SignedNote) {
			c.Sections = map[string]string{"data": "Said: \"better\".Improving.", "assessment": "", "plan": "Integration Tuesday."}
		},
		"format":      func(c *SignedNote) { c.Format = NoteSOAP },
		"author":      func(c *SignedNote) { c.AuthorID = "u2" },
		"patient":     func(c *SignedNote) { c.PatientID = "p2" },
		"appointment": func(c *SignedNote) { c.AppointmentID = "a2" },
		"signed":      func(c *SignedNote) { c.SignedAt = at.Add(time.Second) },
	} {
		c := n
		change(&c)
		if c.Verify(h) {
			t.Errorf("tampered %s still verifies", name)
		}
	}
	last := "0"
	if strings.HasSuffix(h, "0") {
		last = "1"
	}
	if n.Verify(h[:len(h)-1] + last) {
		t.Error("a changed hash verifies")
	}
	if n.Verify("") {
		t.Error("an empty hash verifies")
	}
}

func TestSignedAddendumHash(t *testing.T) {
	a := SignedAddendum{NoteID: "n1", NoteHash: "sha256:ab", Kind: AddendumCorrection, Body: "Dose 150 mg.", AuthorID: "u1", SignedAt: time.Date(2026, 12, 3, 11, 0, 0, 0, time.UTC)}
	want := "kapstone-addendum-v1\nnote 2:n1\nnote-hash 9:sha256:ab\nkind 10:correction\nbody 12:Dose 150 mg.\nauthor 2:u1\nsigned 20:2026-12-03T11:00:00Z\n"
	if got := string(a.Canonical()); got != want {
		t.Fatalf("Canonical =\n%s\nwant\n%s", got, want)
	}
	h := a.Hash()
	if !a.Verify(h) {
		t.Fatal("Verify failed")
	}
	for name, change := range map[string]func(*SignedAddendum){
		"note": func(c *SignedAddendum) { c.NoteID = "n2" }, "note hash": func(c *SignedAddendum) { c.NoteHash = "sha256:ac" },
		"kind": func(c *SignedAddendum) { c.Kind = AddendumAmendment }, "body": func(c *SignedAddendum) { c.Body = "Dose 200 mg." },
		"author": func(c *SignedAddendum) { c.AuthorID = "u3" }, "signed": func(c *SignedAddendum) { c.SignedAt = c.SignedAt.Add(time.Second) },
	} {
		c := a
		change(&c)
		if c.Verify(h) {
			t.Errorf("tampered %s still verifies", name)
		}
	}
}

func TestCheckNoteTemplate(t *testing.T) {
	long := strings.Repeat("x", MaxNotePrompt+1)
	tests := []struct {
		name  string
		in    NoteTemplate
		field string // "" when valid
		want  map[string]string
	}{
		{"prompts of the format kept, trimmed", NoteTemplate{Kind: "dosing", Format: NoteDAP, Prompts: map[string]string{"data": " What happened. ", "plan": "Next."}}, "", map[string]string{"data": "What happened.", "plan": "Next."}},
		{"other sections dropped, empty means general", NoteTemplate{Kind: "dosing", Format: NoteBIRP, Prompts: map[string]string{"data": "x", "behavior": ""}}, "", map[string]string{}},
		{"unknown format", NoteTemplate{Kind: "dosing", Format: "essay"}, "format", nil},
		{"too long", NoteTemplate{Kind: "dosing", Format: NoteSOAP, Prompts: map[string]string{"plan": long}}, "prompt_plan", nil},
		{"two lines", NoteTemplate{Kind: "dosing", Format: NoteSOAP, Prompts: map[string]string{"objective": "a\nb"}}, "prompt_objective", nil},
	}
	for _, tt := range tests {
		got, err := CheckNoteTemplate(tt.in)
		if tt.field == "" {
			if err != nil || len(got.Prompts) != len(tt.want) {
				t.Errorf("%s: = %+v, %v", tt.name, got, err)
			}
			for k, v := range tt.want {
				if got.Prompts[k] != v {
					t.Errorf("%s: prompt %s = %q, want %q", tt.name, k, got.Prompts[k], v)
				}
			}
			continue
		}
		if e, _ := err.(*Error); e == nil || e.Fields[tt.field] == "" {
			t.Errorf("%s: error %v, want one at %s", tt.name, err, tt.field)
		}
	}
	if d := DefaultNoteTemplate("integration"); d.Format != NoteDAP || d.Prompts["data"] == "" {
		t.Errorf("DefaultNoteTemplate(integration) = %+v", d)
	}
}
