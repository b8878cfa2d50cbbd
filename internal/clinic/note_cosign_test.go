package clinic

import (
	"strings"
	"testing"
	"time"
)

func TestNoteMoveNext(t *testing.T) {
	tests := []struct {
		name string
		m    NoteMove
		want string
		code string
	}{
		{"author saves a draft", NoteMove{Status: NoteDraft, Step: NoteStepSave, ByAuthor: true}, NoteDraft, ""},
		{"someone else saves a draft", NoteMove{Status: NoteDraft, Step: NoteStepSave}, "", EForbidden},
		{"save of a signed note", NoteMove{Status: NoteSigned, Step: NoteStepSave, ByAuthor: true}, "", EConflict},
		{"save of a note awaiting co-signature", NoteMove{Status: NoteAwaitingCosign, Step: NoteStepSave, ByAuthor: true}, "", EConflict},
		{"save of an unknown status", NoteMove{Status: "lost", Step: NoteStepSave, ByAuthor: true}, "", EConflict},
		{"author signs, no supervisor", NoteMove{Status: NoteDraft, Step: NoteStepSign, ByAuthor: true}, NoteSigned, ""},
		{"author signs, supervised", NoteMove{Status: NoteDraft, Step: NoteStepSign, ByAuthor: true, Cosigner: "sup"}, NoteAwaitingCosign, ""},
		{"someone else signs", NoteMove{Status: NoteDraft, Step: NoteStepSign, Cosigner: "sup"}, "", EForbidden},
		{"sign twice", NoteMove{Status: NoteAwaitingCosign, Step: NoteStepSign, ByAuthor: true}, "", EConflict},
		{"supervisor co-signs", NoteMove{Status: NoteAwaitingCosign, Step: NoteStepCosign, ByCosigner: true}, NoteSigned, ""},
		{"supervisor returns", NoteMove{Status: NoteAwaitingCosign, Step: NoteStepReturn, ByCosigner: true}, NoteDraft, ""},
		{"author co-signs own note", NoteMove{Status: NoteAwaitingCosign, Step: NoteStepCosign, ByAuthor: true, ByCosigner: true}, "", EForbidden},
		{"another clinician co-signs", NoteMove{Status: NoteAwaitingCosign, Step: NoteStepCosign}, "", EForbidden},
		{"another clinician returns", NoteMove{Status: NoteAwaitingCosign, Step: NoteStepReturn}, "", EForbidden},
		{"co-sign a draft", NoteMove{Status: NoteDraft, Step: NoteStepCosign, ByCosigner: true}, "", EConflict},
		{"co-sign a signed note", NoteMove{Status: NoteSigned, Step: NoteStepCosign, ByCosigner: true}, "", EConflict},
		{"return a signed note", NoteMove{Status: NoteSigned, Step: NoteStepReturn, ByCosigner: true}, "", EConflict},
		{"co-sign an unknown status", NoteMove{Status: "lost", Step: NoteStepCosign, ByCosigner: true}, "", EConflict},
		{"unknown step", NoteMove{Status: NoteDraft, Step: "burn", ByAuthor: true}, "", EInvalid},
	}
	for _, tt := range tests {
		got, err := tt.m.Next()
		if got != tt.want || ErrorCode(err) != tt.code {
			t.Errorf("%s: Next() = %q, %v (code %q), want %q, code %q", tt.name, got, err, ErrorCode(err), tt.want, tt.code)
		}
	}
}

func TestNoteCosigner(t *testing.T) {
	for _, tt := range []struct{ author, sup, want string }{
		{"a", "", ""}, {"a", "s", "s"}, {"a", "a", ""},
	} {
		if got := NoteCosigner(tt.author, tt.sup); got != tt.want {
			t.Errorf("NoteCosigner(%q, %q) = %q, want %q", tt.author, tt.sup, got, tt.want)
		}
	}
}

func TestSupervisionCheck(t *testing.T) {
	ok := Supervision{SuperviseeID: "a", SupervisorID: "s", SuperviseeWrites: true, SupervisorWrites: true, SupervisorActive: true}
	tests := []struct {
		name  string
		edit  func(*Supervision)
		valid bool
	}{
		{"a clinician supervised by another", func(*Supervision) {}, true},
		{"none named", func(s *Supervision) { s.SupervisorID = "" }, true},
		{"none named, notes waiting", func(s *Supervision) { s.SupervisorID, s.Pending = "", 2 }, false},
		{"another named, notes waiting", func(s *Supervision) { s.Pending = 2 }, true},
		{"an admin's notes", func(s *Supervision) { s.SuperviseeWrites = false }, false},
		{"themselves", func(s *Supervision) { s.SupervisorID = "a" }, false},
		{"an admin or patient as supervisor", func(s *Supervision) { s.SupervisorWrites = false }, false},
		{"a disabled supervisor", func(s *Supervision) { s.SupervisorActive = false }, false},
		{"each other's supervisor", func(s *Supervision) { s.SupervisorsSupervisor = "a" }, false},
		{"supervisor has their own supervisor", func(s *Supervision) { s.SupervisorsSupervisor = "z" }, true},
	}
	for _, tt := range tests {
		s := ok
		tt.edit(&s)
		err := s.Check()
		if (err == nil) != tt.valid {
			t.Errorf("%s: Check() = %v, want valid %v", tt.name, err, tt.valid)
		}
		if err != nil {
			if e, _ := err.(*Error); e == nil || e.Fields["supervisor_id"] == "" {
				t.Errorf("%s: error %v not at supervisor_id", tt.name, err)
			}
		}
	}
}

func TestCheckReturnComment(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		valid    bool
	}{
		{"Please add the risk assessment.\r\n", "Please add the risk assessment.", true},
		{"  \n", "", false},
		{strings.Repeat("x", MaxReturnComment), strings.Repeat("x", MaxReturnComment), true},
		{strings.Repeat("x", MaxReturnComment+1), "", false},
		{"bad \x00 byte", "", false},
	} {
		got, err := CheckReturnComment(tt.in)
		if (err == nil) != tt.valid || (tt.valid && got != tt.want) {
			t.Errorf("CheckReturnComment(%.20q) = %.20q, %v; want %.20q, valid %v", tt.in, got, err, tt.want, tt.valid)
		}
	}
}

func TestSignedCosignHash(t *testing.T) {
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	c := SignedCosign{NoteID: "n1", NoteHash: "sha256:aa", CosignerID: "s", SignedAt: at}
	h := c.Hash()
	if !strings.HasPrefix(h, "sha256:") || len(h) != 71 || !c.Verify(h) {
		t.Fatalf("Hash() = %q, Verify = %v", h, c.Verify(h))
	}
	for name, edit := range map[string]func(*SignedCosign){
		"note":      func(c *SignedCosign) { c.NoteID = "n2" },
		"note hash": func(c *SignedCosign) { c.NoteHash = "sha256:ab" },
		"cosigner":  func(c *SignedCosign) { c.CosignerID = "t" },
		"time":      func(c *SignedCosign) { c.SignedAt = at.Add(time.Second) },
	} {
		d := c
		edit(&d)
		if d.Verify(h) {
			t.Errorf("a change of the %s still verifies", name)
		}
	}
	if c.Verify(h[:70]+"0") && h[70] != '0' {
		t.Error("a changed hash verifies")
	}
	// The time is kept to the second, in UTC, as the databases keep it.
	if d := (SignedCosign{NoteID: "n1", NoteHash: "sha256:aa", CosignerID: "s", SignedAt: at.Add(300 * time.Millisecond).In(time.FixedZone("x", 3600))}); !d.Verify(h) {
		t.Error("the same second in another zone does not verify")
	}
}
