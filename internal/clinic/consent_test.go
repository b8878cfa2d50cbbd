package clinic

import (
	"strings"
	"testing"
	"time"
)

func TestConsentStandingOf(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 11, d, 10, 0, 0, 0, time.UTC) }
	at := func(d int) *time.Time { x := day(d); return &x }
	v1 := ConsentVersion{ID: "d1", Version: 1}
	v2 := ConsentVersion{ID: "d2", Version: 2}
	v2r := ConsentVersion{ID: "d2", Version: 2, RequiresReconsent: true}
	v3 := ConsentVersion{ID: "d3", Version: 3}
	v3r := ConsentVersion{ID: "d3", Version: 3, RequiresReconsent: true}
	sig := func(id string, version, d int, revoked *time.Time) ConsentSigning {
		return ConsentSigning{ID: id, Version: version, At: day(d), RevokedAt: revoked}
	}
	for _, tc := range []struct {
		name     string
		versions []ConsentVersion
		sigs     []ConsentSigning
		status   string
		current  string // the id of the signature that holds
		needed   int
	}{
		{"nothing published", nil, nil, ConsentNoDocument, "", 0},
		{"nothing published, a stray signature", nil, []ConsentSigning{sig("a", 1, 1, nil)}, ConsentNoDocument, "", 0},
		{"never signed", []ConsentVersion{v1}, nil, ConsentNotSigned, "", 0},
		{"signed the only version", []ConsentVersion{v1}, []ConsentSigning{sig("a", 1, 1, nil)}, ConsentCurrent, "a", 0},
		{"signed v1, v2 without re-consent", []ConsentVersion{v2, v1}, []ConsentSigning{sig("a", 1, 1, nil)}, ConsentCurrent, "a", 0},
		{"signed v1, v2 requires re-consent", []ConsentVersion{v1, v2r}, []ConsentSigning{sig("a", 1, 1, nil)}, ConsentReconsent, "", 2},
		{"signed v1, v2 requires, v3 does not", []ConsentVersion{v1, v2r, v3}, []ConsentSigning{sig("a", 1, 1, nil)}, ConsentReconsent, "", 2},
		{"signed v2 after v2 required it, v3 does not", []ConsentVersion{v1, v2r, v3}, []ConsentSigning{sig("a", 1, 1, nil), sig("b", 2, 5, nil)}, ConsentCurrent, "b", 0},
		{"signed v2, v3 requires it", []ConsentVersion{v1, v2, v3r}, []ConsentSigning{sig("b", 2, 5, nil)}, ConsentReconsent, "", 3},
		{"signed v1 and v2: the newer version holds", []ConsentVersion{v1, v2}, []ConsentSigning{sig("b", 2, 5, nil), sig("a", 1, 1, nil)}, ConsentCurrent, "b", 0},
		{"signed the same version twice: the newer", []ConsentVersion{v1}, []ConsentSigning{sig("a", 1, 1, nil), sig("b", 1, 3, nil)}, ConsentCurrent, "b", 0},
		{"revoked", []ConsentVersion{v1}, []ConsentSigning{sig("a", 1, 1, at(2))}, ConsentRevoked, "", 0},
		{"revoking the newest does not bring an older one back", []ConsentVersion{v1, v2}, []ConsentSigning{sig("a", 1, 1, nil), sig("b", 2, 3, at(4))}, ConsentRevoked, "", 0},
		{"signed again after revoking", []ConsentVersion{v1}, []ConsentSigning{sig("a", 1, 1, at(2)), sig("b", 1, 3, nil)}, ConsentCurrent, "b", 0},
		{"signed again after revoking, then v2 requires it", []ConsentVersion{v1, v2r}, []ConsentSigning{sig("a", 1, 1, at(2)), sig("b", 1, 3, nil)}, ConsentReconsent, "", 2},
		{"revoked the old one after signing the new", []ConsentVersion{v1, v2}, []ConsentSigning{sig("a", 1, 1, at(6)), sig("b", 2, 3, nil)}, ConsentRevoked, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := ConsentStandingOf(tc.versions, tc.sigs)
			if st.Status != tc.status {
				t.Fatalf("status = %q, want %q", st.Status, tc.status)
			}
			got := ""
			if st.Current != nil {
				got = st.Current.ID
			}
			if got != tc.current || st.NeededFrom != tc.needed {
				t.Errorf("current = %q needed from %d, want %q and %d", got, st.NeededFrom, tc.current, tc.needed)
			}
			if (st.Status == ConsentCurrent) != (ConsentGateProblem(st) == "") {
				t.Errorf("gate problem %q for status %q", ConsentGateProblem(st), st.Status)
			}
		})
	}
}

func TestConsentGateProblem(t *testing.T) {
	last := &ConsentSigning{Version: 1}
	for _, tc := range []struct {
		st   ConsentStanding
		want string
	}{
		{ConsentStanding{Status: ConsentCurrent}, ""},
		{ConsentStanding{Status: ConsentNoDocument}, "has not published"},
		{ConsentStanding{Status: ConsentNotSigned}, "has not signed"},
		{ConsentStanding{Status: ConsentRevoked, Last: last}, "revoked"},
		{ConsentStanding{Status: ConsentReconsent, Last: last, NeededFrom: 2}, "version 2 asks for consent again) and the patient signed version 1"},
	} {
		got := ConsentGateProblem(tc.st)
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.st.Status, got, tc.want)
		}
		if tc.want != "" && tc.st.Status != ConsentNoDocument && !strings.Contains(got, "portal") {
			t.Errorf("%s: %q does not say what to do", tc.st.Status, got)
		}
	}
}

func TestConsentKindsAndWords(t *testing.T) {
	if len(ConsentKinds) != 5 {
		t.Fatalf("%d kinds", len(ConsentKinds))
	}
	for _, k := range ConsentKinds {
		if ConsentKindTitle(k.Key) != k.Title || k.Title == "" {
			t.Errorf("%s: title %q", k.Key, ConsentKindTitle(k.Key))
		}
	}
	if ConsentKindTitle("nope") != "" {
		t.Error("unknown kind has a title")
	}
	for s, want := range map[string]string{ConsentCurrent: "Current", ConsentReconsent: "Needs consent again", ConsentRevoked: "Revoked",
		ConsentNoDocument: "No document published", ConsentNotSigned: "Not signed", "": "Not signed"} {
		if got := ConsentStatusTitle(s); got != want {
			t.Errorf("ConsentStatusTitle(%q) = %q", s, got)
		}
	}
}

func TestTouchAgreed(t *testing.T) {
	for _, tc := range []struct {
		agreed  string
		current bool
		want    string
	}{
		{TouchTherapeutic, true, TouchTherapeutic},
		{TouchTherapeutic, false, TouchNone},
		{TouchSafety, false, TouchNone},
		{TouchNone, false, TouchNone},
		{"", false, ""},
		{"", true, ""},
	} {
		if got := TouchAgreed(tc.agreed, tc.current); got != tc.want {
			t.Errorf("TouchAgreed(%q, %v) = %q, want %q", tc.agreed, tc.current, got, tc.want)
		}
	}
}

func TestConsentTextHashAndSameName(t *testing.T) {
	// sha256("abc")
	if got := ConsentTextHash("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("hash = %s", got)
	}
	if ConsentTextHash("abc") == ConsentTextHash("abc\n") {
		t.Error("a changed text has the same hash")
	}
	for _, tc := range []struct {
		typed, rec string
		want       bool
	}{
		{"Jordan Lee", "Jordan Lee", true},
		{"  jordan   LEE ", "Jordan Lee", true},
		{"JordanLee", "Jordan Lee", true},
		{"Jordan Le", "Jordan Lee", false},
		{"", "", false},
		{"   ", "", false},
		{"Jordan", "Jordan Lee", false},
	} {
		if got := SameName(tc.typed, tc.rec); got != tc.want {
			t.Errorf("SameName(%q, %q) = %v", tc.typed, tc.rec, got)
		}
	}
}

// A paper signature counts from the start of the day written on it: one
// dated before, or on, the day of a revocation does not bring the consent
// back, unless staff confirmed it was signed after the withdrawal (it then
// counts from when it was recorded).
func TestConsentStandingOfPaper(t *testing.T) {
	at := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, time.UTC) }
	ptr := func(x time.Time) *time.Time { return &x }
	v1 := ConsentVersion{ID: "d1", Version: 1}
	portal := ConsentSigning{ID: "a", Version: 1, At: at(1, 10), RevokedAt: ptr(at(5, 15))}
	paper := func(dated, recorded int, confirmed bool, revoked *time.Time) ConsentSigning {
		return ConsentSigning{ID: "p", Version: 1, Paper: true, At: at(dated, 0), RecordedAt: at(recorded, 16), AfterWithdrawal: confirmed, RevokedAt: revoked}
	}
	for _, tc := range []struct {
		name   string
		sigs   []ConsentSigning
		status string
	}{
		{"paper never withdrawn", []ConsentSigning{paper(1, 3, false, nil)}, ConsentCurrent},
		{"paper dated before the withdrawal, recorded after", []ConsentSigning{portal, paper(3, 6, false, nil)}, ConsentRevoked},
		{"paper dated the day of the withdrawal, not confirmed", []ConsentSigning{portal, paper(5, 5, false, nil)}, ConsentRevoked},
		{"paper dated the day of the withdrawal, confirmed after it", []ConsentSigning{portal, paper(5, 5, true, nil)}, ConsentCurrent},
		{"paper dated before the withdrawal, a confirmation does not help when recorded before it", []ConsentSigning{portal, paper(5, 4, true, nil)}, ConsentRevoked},
		{"paper dated the day after the withdrawal", []ConsentSigning{portal, paper(6, 8, false, nil)}, ConsentCurrent},
		{"paper dated after, then itself revoked", []ConsentSigning{portal, paper(6, 8, false, ptr(at(9, 9)))}, ConsentRevoked},
		{"portal signature after a paper one was revoked", []ConsentSigning{paper(1, 2, false, ptr(at(3, 9))), {ID: "b", Version: 1, At: at(4, 9)}}, ConsentCurrent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := ConsentStandingOf([]ConsentVersion{v1}, tc.sigs)
			if st.Status != tc.status {
				t.Fatalf("status = %q, want %q", st.Status, tc.status)
			}
		})
	}
}

func TestPaperDating(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	// Revoked 3 Dec 2026 at 02:00 UTC: still 2 Dec in New York.
	revoked := time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)
	day := func(d int) time.Time { return time.Date(2026, 12, d, 0, 0, 0, 0, ny) }
	for _, tc := range []struct {
		name          string
		dated, revoke time.Time
		want          string
	}{
		{"never withdrawn", day(1), time.Time{}, PaperAfterWithdrawal},
		{"a day before", day(1), revoked, PaperBeforeWithdrawal},
		{"the same day in the practice's zone", day(2), revoked, PaperSameDay},
		{"the next day in the practice's zone (the UTC day of the withdrawal)", day(3), revoked, PaperAfterWithdrawal},
	} {
		if got := PaperDating(tc.dated, tc.revoke, ny); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestPaperDateProblem(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC) // 2 Dec, 21:00 in New York
	for _, tc := range []struct {
		name  string
		dated time.Time
		want  string
	}{
		{"missing", time.Time{}, "Enter the date"},
		{"today in the practice's zone", time.Date(2026, 12, 2, 0, 0, 0, 0, ny), ""},
		{"earlier", time.Date(2026, 11, 20, 0, 0, 0, 0, ny), ""},
		{"tomorrow in the practice's zone (today in UTC)", time.Date(2026, 12, 3, 0, 0, 0, 0, ny), "future"},
	} {
		got := PaperDateProblem(tc.dated, now, ny)
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
