package fhir_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/fhir"
)

// testMAC stands in for the store's keyed hash.
func testMAC(label, id string) string {
	h := sha256.Sum256([]byte(label + "\x00" + id))
	return hex.EncodeToString(h[:16])
}

var deid = fhir.Deidentifier{MAC: testMAC, Origin: "https://clinic.example"}

// moved is s moved by the offset of patient p.
func moved(t *testing.T, s, p string) string {
	t.Helper()
	o := deid.Shift("patient", p)
	if len(s) == 10 {
		d, _ := time.Parse(time.DateOnly, s)
		return d.AddDate(0, 0, o.Days).Format(time.DateOnly)
	}
	d, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return d.AddDate(0, 0, o.Days).Add(time.Duration(o.Seconds) * time.Second).Format(time.RFC3339)
}

func TestDeidentify(t *testing.T) {
	p1 := "patient-one"
	key := deid.PatientKey(p1)
	masked := `{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason","valueCode":"masked"}]}`
	for _, c := range []struct {
		name, in, patient string
		want              string // the JSON out, with {key} for p1's key
	}{
		{
			name:    "a patient keeps only what says nobody",
			patient: p1,
			in: `{"resourceType":"Patient","id":"patient-one","meta":{"profile":["http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"]},
				"identifier":[{"system":"https://clinic.example/sid","value":"patient-one"}],"name":[{"text":"Casey Morgan"}],
				"telecom":[{"system":"email","value":"casey@mail.example"}],"address":[{"city":"Springfield"}],
				"contact":[{"name":{"text":"Sam"}}],"gender":"female","birthDate":"1980-01-01"}`,
			want: `{"birthDate":"` + moved(t, "1980-01-01", p1)[:4] + `","gender":"female","id":"{key}","resourceType":"Patient"}`,
		},
		{
			name:    "references are rewritten with the same keys, displays and absolute references go",
			patient: p1,
			in: `{"resourceType":"Observation","id":"obs-1","subject":{"reference":"Patient/patient-one","display":"Casey Morgan"},
				"performer":[{"reference":"Practitioner/staff-1","display":"Lena Ortiz"},{"reference":"https://other.example/fhir/Patient/x"}],
				"code":{"coding":[{"system":"http://loinc.org","code":"44249-1","display":"PHQ-9 total"}],"text":"PHQ-9"}}`,
			want: `{"code":{"coding":[{"code":"44249-1","display":"PHQ-9 total","system":"http://loinc.org"}]},"id":"` + deid.Pseudonym("Observation", "obs-1") +
				`","performer":[{"reference":"Practitioner/` + deid.Pseudonym("Practitioner", "staff-1") + `"},` + masked + `],"resourceType":"Observation","subject":{"reference":"Patient/{key}"}}`,
		},
		{
			name:    "full dates move by the patient's offset; years and months stay",
			patient: p1,
			in: `{"resourceType":"Encounter","id":"e","period":{"start":"2026-03-01T10:00:00Z","end":"2026-03-01T12:30:00Z"},
				"x":"2026-03-05","y":"2026","z":"2026-03","n":"44249-1"}`,
			want: `{"id":"` + deid.Pseudonym("Encounter", "e") + `","n":"44249-1","period":{"end":"` + moved(t, "2026-03-01T12:30:00Z", p1) + `","start":"` +
				moved(t, "2026-03-01T10:00:00Z", p1) + `"},"resourceType":"Encounter","x":"` + moved(t, "2026-03-05", p1) + `","y":"2026","z":"2026-03"}`,
		},
		{
			name:    "free text goes; an element left empty is marked masked",
			patient: p1,
			in: `{"resourceType":"MedicationStatement","id":"m","text":{"status":"generated","div":"<div>Casey</div>"},
				"medicationCodeableConcept":{"text":"Xanax, from Dr Smith"},"dosage":[{"text":"0.5mg"}],"note":[{"text":"call me at 555"}],
				"status":"active"}`,
			want: `{"dosage":[` + masked + `],"id":"` + deid.Pseudonym("MedicationStatement", "m") + `","medicationCodeableConcept":` + masked + `,"resourceType":"MedicationStatement","status":"active"}`,
		},
		{
			name:    "a document keeps its content type, never its content or address",
			patient: p1,
			in: `{"resourceType":"DocumentReference","id":"d","description":"Note of Casey","content":[{"attachment":{"contentType":"application/pdf",
				"url":"https://clinic.example/patients/patient-one/note.pdf","title":"Casey.pdf","data":"aGk="}}]}`,
			want: `{"content":[{"attachment":{"contentType":"application/pdf"}}],"id":"` + deid.Pseudonym("DocumentReference", "d") + `","resourceType":"DocumentReference"}`,
		},
		{
			name: "a practitioner moves by its own offset and loses its name",
			in:   `{"resourceType":"PractitionerRole","id":"staff-1","period":{"start":"2025-01-01T00:00:00Z"},"practitioner":{"reference":"Practitioner/staff-1","display":"Lena Ortiz"}}`,
			want: func() string {
				o := deid.Shift("fhir.PractitionerRole", "staff-1")
				start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, o.Days).Add(time.Duration(o.Seconds) * time.Second).Format(time.RFC3339)
				return `{"id":"` + deid.Pseudonym("PractitionerRole", "staff-1") + `","period":{"start":"` + start + `"},"practitioner":{"reference":"Practitioner/` +
					deid.Pseudonym("Practitioner", "staff-1") + `"},"resourceType":"PractitionerRole"}`
			}(),
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := deid.Resource([]byte(c.in), c.patient)
			if err != nil {
				t.Fatal(err)
			}
			want := strings.ReplaceAll(c.want, "{key}", key)
			if string(got) != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
	old := deid
	old.OldestYear = 1937
	for birth, kept := range map[string]bool{"1930-06-01": false, "1950-06-01": true} {
		b, err := old.Resource([]byte(`{"resourceType":"Patient","id":"p","birthDate":"`+birth+`"}`), "p")
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(string(b), "birthDate"); got != kept {
			t.Errorf("born %s, OldestYear 1937: birthDate kept %v, want %v: %s", birth, got, kept, b)
		}
	}
	if _, err := deid.Resource([]byte(`{"id":"x"}`), p1); err == nil {
		t.Error("JSON without a resourceType was taken")
	}
}

// TestDeidentifyOffsets: every person's dates move by 1 to 365 days (never
// 0), forward or back, and the same person always by the same offset.
func TestDeidentifyOffsets(t *testing.T) {
	fwd, back := 0, 0
	for i := range 2000 {
		id := "p" + string(rune('a'+i%26)) + strings.Repeat("x", i%7) + string(rune('0'+i%10)) + string(rune(i))
		o := deid.Shift("patient", id)
		if o.Days == 0 || o.Days < -365 || o.Days > 365 || o.Seconds < 0 || o.Seconds >= 86400 {
			t.Fatalf("offset of %q = %+v", id, o)
		}
		if o != deid.Shift("patient", id) {
			t.Fatalf("offset of %q changes", id)
		}
		if o.Days > 0 {
			fwd++
		} else {
			back++
		}
	}
	if fwd < 800 || back < 800 {
		t.Errorf("offsets forward %d, back %d: want both about half", fwd, back)
	}
	if got, want := deid.PatientKey("p1"), testMAC("patient", "p1")[:12]; got != want {
		t.Errorf("PatientKey = %s, want the dashboard's rule (MAC(patient, id)[:12]) %s", got, want)
	}
	var m map[string]any
	b, _ := deid.Resource([]byte(`{"resourceType":"Patient","id":"p1","birthDate":"1990-06-15"}`), "p1")
	json.Unmarshal(b, &m)
	if len(m["birthDate"].(string)) != 4 {
		t.Errorf("birthDate %v, want a year", m["birthDate"])
	}
}
