package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/seal"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// psychCanary is the distinctive phrase therapist A writes in a
// psychotherapy note; it must come back to her alone.
const psychCanary = "Psychnote-Canary-6f2b spoke of the lake house"

// psychPractice is a practice for psychotherapy notes: patient P on the care
// team of thea (owner), tom (a second therapist) and rex (prescriber);
// patient Q on theo's; an admin; tess, a therapist off P's team who may be
// given emergency access; P's own portal account.
type psychPractice struct {
	s                                     *store.Store
	dsn                                   string
	now                                   time.Time
	thea, tom, rex, theo, tess, admin, pt store.Actor
	p, q                                  *store.Patient
}

func newPsychPractice(t *testing.T) *psychPractice {
	t.Helper()
	ctx := context.Background()
	pr := &psychPractice{dsn: storetest.DSN(t), now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	pr.s = storetest.OpenDSN(t, pr.dsn)
	pr.s.Now = func() time.Time { return pr.now }
	for _, u := range []struct {
		email string
		role  clinic.Role
		into  *store.Actor
	}{
		{"thea@example.org", clinic.RoleTherapist, &pr.thea}, {"tom@example.org", clinic.RoleTherapist, &pr.tom},
		{"rex@example.org", clinic.RolePrescriber, &pr.rex}, {"theo@example.org", clinic.RoleTherapist, &pr.theo},
		{"tess@example.org", clinic.RoleTherapist, &pr.tess}, {"admin@example.org", clinic.RoleAdmin, &pr.admin},
		{"pat@example.org", clinic.RolePatient, &pr.pt},
	} {
		cu := &clinic.User{Email: u.email, DisplayName: u.email[:4], Role: u.role}
		if err := pr.s.CreateUser(ctx, store.System, cu, "hash"); err != nil {
			t.Fatal(err)
		}
		*u.into = store.Actor{UserID: cu.ID, Role: u.role}
	}
	pr.p = &store.Patient{DisplayName: "Pat"}
	if err := pr.s.CreatePatient(ctx, pr.thea, pr.p, ""); err != nil {
		t.Fatal(err)
	}
	pr.q = &store.Patient{DisplayName: "Quin"}
	if err := pr.s.CreatePatient(ctx, pr.theo, pr.q, ""); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{pr.tom.UserID, pr.rex.UserID} {
		if err := pr.s.AddTeamMember(ctx, pr.thea, pr.p.ID, u); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.ExecForTest(ctx, pr.s, `UPDATE patients SET user_id = $1 WHERE id = $2`, pr.pt.UserID, pr.p.ID); err != nil {
		t.Fatal(err)
	}
	return pr
}

// TestPsychNoteAuthorOnly: a note is created, read, listed and updated by
// its author alone; a second therapist and the prescriber on the same team,
// a therapist of another team, emergency access, an admin and the patient
// are all told it does not exist, and cannot change it. Each read and
// write is audited, without the text; each refusal is audited as denied.
func TestPsychNoteAuthorOnly(t *testing.T) {
	pr := newPsychPractice(t)
	s, ctx := pr.s, context.Background()
	ap := &store.Appointment{Kind: "integration", StartsAt: pr.now.Add(-2 * time.Hour), Minutes: 60}
	if err := store.ExecForTest(ctx, s, `INSERT INTO appointments (id, patient_id, kind, starts_at, minutes, clinician_id, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $6, $7)`,
		"ap1", pr.p.ID, ap.Kind, ap.StartsAt, ap.Minutes, pr.thea.UserID, pr.now); err != nil {
		t.Fatal(err)
	}
	n := &store.PsychNote{Body: "  " + psychCanary + "\n\nSecond paragraph.  ", AppointmentID: "ap1"}
	if err := s.CreatePsychNote(ctx, pr.thea, pr.p.ID, n); err != nil {
		t.Fatal(err)
	}
	if n.ID == "" || n.Version != 1 {
		t.Fatalf("created note = %+v", n)
	}
	got, err := s.PsychNote(ctx, pr.thea, pr.p.ID, n.ID)
	if err != nil || got.Body != psychCanary+"\n\nSecond paragraph." || got.AppointmentID != "ap1" || got.AppointmentKind != "integration" || !got.AppointmentAt.Equal(ap.StartsAt) || got.PatientName != "Pat" {
		t.Fatalf("PsychNote as the author = %+v, %v", got, err)
	}
	// The rex, tom and the rest may not, whatever method.
	// tess is given emergency access to P first.
	if _, err := s.GrantEmergencyAccess(ctx, pr.tess, pr.p.ID, "Patient called in crisis; the team is away."); err != nil {
		t.Fatal(err)
	}
	others := map[string]store.Actor{"second therapist on the team": pr.tom, "prescriber on the team": pr.rex, "therapist of another team": pr.theo,
		"emergency access": pr.tess, "admin": pr.admin, "the patient": pr.pt, "the system": store.System}
	for name, who := range others {
		if got, err := s.PsychNote(ctx, who, pr.p.ID, n.ID); clinic.ErrorCode(err) != clinic.ENotFound || got != nil {
			t.Errorf("PsychNote as %s = %+v, %v; want %s", name, got, err, clinic.ENotFound)
		}
		list, _, err := s.PsychNotes(ctx, who, pr.p.ID, store.PsychNotePage{})
		if len(list) != 0 || (err != nil && clinic.ErrorCode(err) != clinic.ENotFound) {
			t.Errorf("PsychNotes as %s = %+v, %v; want none", name, list, err)
		}
		mine, _, err := s.MyPsychNotes(ctx, who, store.PsychNotePage{})
		if len(mine) != 0 || (err != nil && clinic.ErrorCode(err) != clinic.ENotFound) {
			t.Errorf("MyPsychNotes as %s = %+v, %v; want none", name, mine, err)
		}
		edit := &store.PsychNote{ID: n.ID, Body: "overwritten by " + name, Version: 1}
		if err := s.UpdatePsychNote(ctx, who, pr.p.ID, edit); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("UpdatePsychNote as %s = %v, want %s", name, err, clinic.ENotFound)
		}
	}
	// Emergency access and the admin may not write one either; the team's
	// other clinicians may write their own.
	for name, who := range map[string]store.Actor{"emergency access": pr.tess, "admin": pr.admin, "the patient": pr.pt, "therapist of another team": pr.theo} {
		if err := s.CreatePsychNote(ctx, who, pr.p.ID, &store.PsychNote{Body: "by " + name}); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("CreatePsychNote as %s = %v, want %s", name, err, clinic.ENotFound)
		}
	}
	tomNote := &store.PsychNote{Body: "Tom's own note."}
	if err := s.CreatePsychNote(ctx, pr.tom, pr.p.ID, tomNote); err != nil {
		t.Fatalf("CreatePsychNote as the second therapist: %v", err)
	}
	if _, err := s.PsychNote(ctx, pr.thea, pr.p.ID, tomNote.ID); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("PsychNote of tom's note as thea = %v, want %s", err, clinic.ENotFound)
	}
	// Another patient's path with the note's id: not found.
	if _, err := s.PsychNote(ctx, pr.thea, pr.q.ID, n.ID); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("PsychNote under another patient = %v, want %s", err, clinic.ENotFound)
	}

	// The note is unchanged.
	if got, err := s.PsychNote(ctx, pr.thea, pr.p.ID, n.ID); err != nil || got.Version != 1 || !strings.HasPrefix(got.Body, psychCanary) {
		t.Fatalf("after the others' tries: %+v, %v", got, err)
	}
	// The author's own lists hold her note only.
	list, more, err := s.PsychNotes(ctx, pr.thea, pr.p.ID, store.PsychNotePage{})
	if err != nil || more || len(list) != 1 || list[0].ID != n.ID || list[0].Body != "" {
		t.Errorf("PsychNotes as the author = %+v, %v, %v; want her one note, without its text", list, more, err)
	}
	mine, _, err := s.MyPsychNotes(ctx, pr.thea, store.PsychNotePage{})
	if err != nil || len(mine) != 1 || mine[0].ID != n.ID || mine[0].PatientName != "Pat" {
		t.Errorf("MyPsychNotes as the author = %+v, %v", mine, err)
	}

	// Update: the author, at the current version.
	pr.now = pr.now.Add(time.Hour)
	n.Body = psychCanary + " (edited)"
	n.AppointmentID = ""
	if err := s.UpdatePsychNote(ctx, pr.thea, pr.p.ID, n); err != nil || n.Version != 2 {
		t.Fatalf("UpdatePsychNote as the author = %v (version %d)", err, n.Version)
	}
	if got, _ := s.PsychNote(ctx, pr.thea, pr.p.ID, n.ID); got.Body != psychCanary+" (edited)" || got.AppointmentID != "" || !got.UpdatedAt.Equal(pr.now) {
		t.Errorf("after the update: %+v", got)
	}
	// A stale version (another tab) is a conflict, and saves nothing.
	stale := &store.PsychNote{ID: n.ID, Body: "stale text", Version: 1}
	if err := s.UpdatePsychNote(ctx, pr.thea, pr.p.ID, stale); clinic.ErrorCode(err) != clinic.EConflict {
		t.Errorf("stale UpdatePsychNote = %v, want %s", err, clinic.EConflict)
	}
	if got, _ := s.PsychNote(ctx, pr.thea, pr.p.ID, n.ID); got.Body != psychCanary+" (edited)" {
		t.Errorf("a stale save changed the note to %q", got.Body)
	}

	// The patient's report of who looked at their record leaves the notes
	// out: they are outside the patient's right of access, and even their
	// existence is not shown.
	report, err := s.AccessReport(ctx, pr.pt)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range report {
		if strings.HasPrefix(row.Action, "psychnote.") {
			t.Errorf("the patient's access report shows %s by %s", row.Action, row.ActorName)
		}
	}

	// Audit: every read and write, ids only; the refusals denied.
	rows, _, err := s.FindAudit(ctx, pr.admin, store.AuditFilter{Action: "psychnote.", Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, r := range rows {
		count[r.Action+" "+r.Outcome]++
		b, _ := json.Marshal(r)
		if strings.Contains(string(b), "Canary") || strings.Contains(string(b), "lake house") {
			t.Errorf("audit row %s holds the note's text: %s", r.Action, b)
		}
	}
	t.Logf("psychnote audit rows: %v", count)
	for k, min := range map[string]int{"psychnote.create success": 2, "psychnote.read success": 4, "psychnote.update success": 1,
		"psychnote.read denied": 4, "psychnote.update denied": 2, "psychnote.list success": 2} {
		if count[k] < min {
			t.Errorf("%d audit rows %q, want at least %d", count[k], k, min)
		}
	}
}

// TestPsychNoteValidation: empty, overlong and control-character text and a
// foreign or cancelled appointment are refused at their field; a note stays
// linked to an appointment cancelled after it was written.
func TestPsychNoteValidation(t *testing.T) {
	pr := newPsychPractice(t)
	s, ctx := pr.s, context.Background()
	for _, ins := range []struct{ id, patient string }{{"own", pr.p.ID}, {"foreign", pr.q.ID}, {"gone", pr.p.ID}} {
		if err := store.ExecForTest(ctx, s, `INSERT INTO appointments (id, patient_id, kind, starts_at, minutes, clinician_id, created_by, created_at) VALUES ($1, $2, 'integration', $3, 60, $4, $4, $3)`,
			ins.id, ins.patient, pr.now.Add(-time.Hour), pr.thea.UserID); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.ExecForTest(ctx, s, `UPDATE appointments SET cancelled_at = $1 WHERE id = 'gone'`, pr.now); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, body, appointment, field string
	}{
		{"empty", "   \n ", "", "body"},
		{"too long", strings.Repeat("a", store.PsychNoteMaxRunes+1), "", "body"},
		{"control character", "text\x00more", "", "body"},
		{"another patient's appointment", "text", "foreign", "appointment"},
		{"a cancelled appointment", "text", "gone", "appointment"},
		{"no such appointment", "text", "nope", "appointment"},
	} {
		err := s.CreatePsychNote(ctx, pr.thea, pr.p.ID, &store.PsychNote{Body: tt.body, AppointmentID: tt.appointment})
		e, ok := err.(*clinic.Error)
		if !ok || e.Code != clinic.EInvalid || e.Fields[tt.field] == "" {
			t.Errorf("%s: %v, want %s at %s", tt.name, err, clinic.EInvalid, tt.field)
		}
	}
	n := &store.PsychNote{Body: "linked", AppointmentID: "own"}
	if err := s.CreatePsychNote(ctx, pr.thea, pr.p.ID, n); err != nil {
		t.Fatal(err)
	}
	if err := store.ExecForTest(ctx, s, `UPDATE appointments SET cancelled_at = $1 WHERE id = 'own'`, pr.now); err != nil {
		t.Fatal(err)
	}
	n.Body = "linked, edited"
	if err := s.UpdatePsychNote(ctx, pr.thea, pr.p.ID, n); err != nil {
		t.Errorf("editing a note whose appointment was cancelled since: %v", err)
	}
	if n, err := store.CountForTest(ctx, s, `SELECT count(*) FROM psychotherapy_notes`); err != nil || n != 1 {
		t.Errorf("%d notes stored, want 1 (%v)", n, err)
	}
	// The database itself refuses a body that is not sealed.
	if err := store.ExecForTest(ctx, s, `INSERT INTO psychotherapy_notes (id, patient_id, author_id, body_sealed, version, created_at, updated_at) VALUES ('x', $1, $2, 'plain text', 1, $3, $3)`,
		pr.p.ID, pr.thea.UserID, pr.now); err == nil {
		t.Error("the database stored a plain-text psychotherapy note")
	}
}

// TestPsychNoteSealedAtRest: the note's text is sealed under the store's
// data key, bound to its row: it is in no other store read (the chart, the
// patient list and search), not in the database file, its WAL or a backup
// copy (SQLite), nor in the table's raw text (PostgreSQL); a sealed body
// moved to another row, or a row given another author, does not open; a
// store without the key cannot read it.
func TestPsychNoteSealedAtRest(t *testing.T) {
	pr := newPsychPractice(t)
	s, ctx := pr.s, context.Background()
	n := &store.PsychNote{Body: psychCanary}
	if err := s.CreatePsychNote(ctx, pr.thea, pr.p.ID, n); err != nil {
		t.Fatal(err)
	}
	// Every other read of the chart, as the author herself.
	chart, err := s.FindChart(ctx, pr.thea, pr.p.ID, store.ChartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(chart)
	if bytes.Contains(b, []byte("Canary")) {
		t.Error("the chart holds the note's text")
	}
	for _, q := range []string{"lake house", "Canary", "Pat"} {
		list, err := s.ListPatients(ctx, pr.thea, store.PatientFilter{Query: q})
		if err != nil {
			t.Fatal(err)
		}
		if q != "Pat" && len(list) != 0 {
			t.Errorf("patient search for %q finds %d patients: the note is searched", q, len(list))
		}
	}

	raw, err := store.QueryStringForTest(ctx, s, `SELECT body_sealed FROM psychotherapy_notes WHERE id = $1`, n.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !seal.IsSealed(raw) || strings.Contains(raw, "Canary") {
		t.Fatalf("stored body = %q, want a sealed value", raw)
	}
	if id, _ := seal.KeyID(raw); id != s.Keyring().Current() {
		t.Errorf("sealed under key %s, want the current key %s", id, s.Keyring().Current())
	}

	if store.IsPostgresDSN(pr.dsn) {
		rowText, err := store.QueryStringForTest(ctx, s, `SELECT t::text FROM psychotherapy_notes t WHERE id = $1`, n.ID)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(rowText, "Canary") || strings.Contains(rowText, "lake house") {
			t.Errorf("the table's raw row holds the text: %s", rowText)
		}
		if audits, err := store.CountForTest(ctx, s, `SELECT count(*) FROM audit_events t WHERE t::text LIKE '%Canary%'`); err != nil || audits != 0 {
			t.Errorf("%d audit rows hold the text (%v)", audits, err)
		}
	} else {
		backup := filepath.Join(t.TempDir(), "backup.db")
		if err := store.VacuumIntoForTest(ctx, s, backup); err != nil {
			t.Fatal(err)
		}
		files := []string{pr.dsn, pr.dsn + "-wal", pr.dsn + "-shm", backup}
		seen := 0
		for _, f := range files {
			data, err := os.ReadFile(f)
			if os.IsNotExist(err) && strings.HasSuffix(f, "-shm") {
				continue
			}
			if err != nil {
				t.Fatalf("read %s: %v", filepath.Base(f), err)
			}
			seen += len(data)
			for _, needle := range []string{"Canary-6f2b", "lake house"} {
				if bytes.Contains(data, []byte(needle)) {
					t.Errorf("%s holds %q in plain text", filepath.Base(f), needle)
				}
			}
		}
		if !bytes.Contains(mustRead(t, backup), []byte(raw[:20])) {
			t.Error("the backup does not hold the sealed note: the check above looked in the wrong file")
		}
		t.Logf("looked through %d bytes of database, WAL and backup", seen)
	}

	// Bound to its row: moved to another row (tom's), or re-authored, it
	// does not open.
	tomNote := &store.PsychNote{Body: "Tom's note."}
	if err := s.CreatePsychNote(ctx, pr.tom, pr.p.ID, tomNote); err != nil {
		t.Fatal(err)
	}
	if err := store.ExecForTest(ctx, s, `UPDATE psychotherapy_notes SET body_sealed = $1 WHERE id = $2`, raw, tomNote.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := s.PsychNote(ctx, pr.tom, pr.p.ID, tomNote.ID); err == nil {
		t.Errorf("a sealed body moved to tom's note opened: %q", got.Body)
	}
	if err := store.ExecForTest(ctx, s, `UPDATE psychotherapy_notes SET author_id = $1 WHERE id = $2`, pr.tom.UserID, n.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := s.PsychNote(ctx, pr.tom, pr.p.ID, n.ID); err == nil || clinic.ErrorCode(err) == clinic.ENotFound && got != nil {
		t.Errorf("a note re-authored in the database opened for the new author: %+v, %v", got, err)
	} else if strings.Contains(fmt.Sprint(err), "Canary") {
		t.Errorf("the error shows the text: %v", err)
	}
	if err := store.ExecForTest(ctx, s, `UPDATE psychotherapy_notes SET author_id = $1 WHERE id = $2`, pr.thea.UserID, n.ID); err != nil {
		t.Fatal(err)
	}
	// Another keyring (a key file that is not this database's) cannot
	// open it.
	other, _ := seal.New()
	keep := s.Keyring()
	s.SetKeyring(other)
	if _, err := s.PsychNote(ctx, pr.thea, pr.p.ID, n.ID); err == nil {
		t.Error("the note opened under another key")
	}
	s.SetKeyring(keep)
	if got, err := s.PsychNote(ctx, pr.thea, pr.p.ID, n.ID); err != nil || got.Body != psychCanary {
		t.Errorf("with its key again: %+v, %v", got, err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPsychNotePaging: the lists page in SQL, newest first, and say when
// more follow; notes about a patient whose team the author left are no
// longer listed across patients.
func TestPsychNotePaging(t *testing.T) {
	pr := newPsychPractice(t)
	s, ctx := pr.s, context.Background()
	var ids []string
	for i := range 5 {
		pr.now = pr.now.Add(time.Minute)
		n := &store.PsychNote{Body: fmt.Sprintf("note %d", i)}
		if err := s.CreatePsychNote(ctx, pr.tom, pr.p.ID, n); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, n.ID)
	}
	first, more, err := s.PsychNotes(ctx, pr.tom, pr.p.ID, store.PsychNotePage{Limit: 2})
	if err != nil || !more || len(first) != 2 || first[0].ID != ids[4] || first[1].ID != ids[3] {
		t.Fatalf("first page = %+v, %v, %v", first, more, err)
	}
	last, more, err := s.PsychNotes(ctx, pr.tom, pr.p.ID, store.PsychNotePage{Limit: 2, Offset: 4})
	if err != nil || more || len(last) != 1 || last[0].ID != ids[0] {
		t.Fatalf("last page = %+v, %v, %v", last, more, err)
	}
	all, _, err := s.MyPsychNotes(ctx, pr.tom, store.PsychNotePage{Limit: 3})
	if err != nil || len(all) != 3 || all[0].ID != ids[4] {
		t.Fatalf("MyPsychNotes = %+v, %v", all, err)
	}
	if err := s.RemoveTeamMember(ctx, pr.thea, pr.p.ID, pr.tom.UserID); err != nil {
		t.Fatal(err)
	}
	if all, _, err := s.MyPsychNotes(ctx, pr.tom, store.PsychNotePage{}); err != nil || len(all) != 0 {
		t.Errorf("MyPsychNotes after leaving the team = %d notes, %v; want none", len(all), err)
	}
	if _, err := s.PsychNote(ctx, pr.tom, pr.p.ID, ids[0]); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("PsychNote after leaving the team = %v, want %s", err, clinic.ENotFound)
	}
}

// TestPsychNoteSurvivesRotation: `kapstone keys rotate` (ResealAll)
// re-seals psychotherapy notes, bound to author and patient as before, and
// the author still reads them; they are in the rotation's counts.
func TestPsychNoteSurvivesRotation(t *testing.T) {
	ctx := context.Background()
	pr := newPsychPractice(t)
	s := pr.s
	n := &store.PsychNote{Body: psychCanary + " before rotation"}
	if err := s.CreatePsychNote(ctx, pr.thea, pr.p.ID, n); err != nil {
		t.Fatal(err)
	}
	old := s.Keyring().Current()
	id, err := s.Keyring().AddKey()
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.ResealAll(ctx, store.System, func(c, id string, err error) { t.Errorf("%s of %s did not open: %v", c, id, err) })
	if err != nil {
		t.Fatal(err)
	}
	if res.Resealed["psychotherapy_notes.body_sealed"] != 1 || res.Left != 0 {
		t.Fatalf("ResealAll = %+v; want the note re-sealed", res)
	}
	status, err := s.SealStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range status {
		if c.Column == "psychotherapy_notes.body_sealed" {
			found = true
			if c.ByKey[id] != 1 || c.ByKey[old] != 0 {
				t.Errorf("after rotation %s: %v", c.Column, c.ByKey)
			}
		}
	}
	if !found {
		t.Error("psychotherapy notes are not in the sealed status")
	}
	if got, err := s.PsychNote(ctx, pr.thea, pr.p.ID, n.ID); err != nil || got.Body != n.Body {
		t.Fatalf("note after rotation: %v, %v", got, err)
	}
}
