package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/demo"
	"github.com/kapstone/kapstone/internal/store"
)

// TestBrowserNoteDraftSurvivesSignOut (issue 16, draft survival): a
// therapist writes a note from an appointment in the chart; the page saves
// it as she types ("Saved hh:mm" only after the server's answer). Her
// session then ends while she keeps typing: the background save says it
// was not saved, "Save draft" takes her to sign in with the draft carried,
// and after the password and the code she is back in the note with every
// word, saved as her draft.
func TestBrowserNoteDraftSurvivesSignOut(t *testing.T) {
	b := newBrowser(t)
	dir := demoDataDir(t)
	in := start(t, nil, "demo", "-addr", "127.0.0.1:0", "-data-dir", dir)
	var lena demo.Login
	for _, l := range readLogins(t, dir) {
		if l.Email == "lena.ortiz@willowcreek.example" {
			lena = l
		}
	}
	if lena.Email == "" {
		t.Fatal("the demo has no login for Lena Ortiz")
	}
	db, err := sql.Open("sqlite3", filepath.Join(dir, "kapstone.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var userID, patientID string
	if err := db.QueryRow(`SELECT u.id, c.patient_id FROM users u JOIN care_team c ON c.user_id = u.id WHERE u.email = ?1 AND c.is_owner ORDER BY c.patient_id LIMIT 1`, lena.Email).Scan(&userID, &patientID); err != nil {
		t.Fatal(err)
	}
	layout := "2006-01-02T15:04:05.000000Z07:00" // the store's SQLite layout
	apptID := store.NewID()
	if _, err := db.Exec(`INSERT INTO appointments (id, patient_id, kind, starts_at, minutes, clinician_id, created_by, created_at) VALUES (?1, ?2, 'follow_up', ?3, 50, ?4, ?4, ?5)`,
		apptID, patientID, time.Now().UTC().Add(-2*time.Hour).Format(layout), userID, time.Now().UTC().Add(-72*time.Hour).Format(layout)); err != nil {
		t.Fatal(err)
	}
	shots := screenshotDir(t)
	save := func(name string, png []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	notePath := "/patients/" + patientID + "/appointments/" + apptID + "/note"

	signInBrowser(t, b, in.url, lena.Email, lena.Password, lena.TOTPSecret)
	b.do(t, "chart", chromedp.Navigate(in.url+"/patients/"+patientID), chromedp.WaitVisible(chromedp.ID("notes")))
	b.do(t, "write note", chromedp.Click(chromedp.CSS(`a[href="`+notePath+`"]`)), chromedp.WaitVisible(chromedp.ID("section_subjective")))
	save("note-empty-desktop", run1(t, b, "empty note", chromedp.FullScreenshot(80)))

	const first = "Sleeping better since the last session."
	const later = "Typed after the session ended: canary-7781."
	b.do(t, "type", chromedp.SendKeys(chromedp.ID("section_subjective"), first))
	b.do(t, "autosaved", void(chromedp.Poll[bool](`document.getElementById("autosave-state").textContent.startsWith("Saved ")`)))
	var stored string
	if err := db.QueryRow(`SELECT sections FROM notes WHERE appointment_id = ?1`, apptID).Scan(&stored); err != nil || !strings.Contains(stored, first) {
		t.Fatalf("after the autosave the stored draft is %q, %v", stored, err)
	}

	// The session ends (idle) while she keeps typing.
	if _, err := db.Exec(`UPDATE sessions SET last_seen_at = ?1 WHERE user_id = ?2`, time.Now().UTC().Add(-24*time.Hour).Format(layout), userID); err != nil {
		t.Fatal(err)
	}
	b.do(t, "type more", chromedp.SendKeys(chromedp.ID("section_plan"), later))
	b.do(t, "not saved", void(chromedp.Poll[bool](`document.getElementById("autosave-state").textContent.includes("session has ended")`)))
	if state := run1(t, b, "state", chromedp.Text(chromedp.ID("autosave-state"))); strings.Contains(state, "Saved ") {
		t.Errorf("the page says %q after a save that failed", state)
	}
	b.do(t, "save draft", chromedp.Click(chromedp.CSS(`button[name=action][value=save]`)), chromedp.WaitVisible(chromedp.ID("carry-notice")))
	save("note-carried-signin", run1(t, b, "sign-in shot", chromedp.FullScreenshot(80)))

	// Sign in again: password, then a fresh code, on the pages that carry the draft.
	b.do(t, "password",
		chromedp.SendKeys(chromedp.ID("email"), lena.Email),
		chromedp.SendKeys(chromedp.ID("password"), lena.Password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("code")))
	step := time.Now().Unix() / 30
	for time.Now().Unix()/30 == step && b.lastStep[lena.Email] == step {
		time.Sleep(200 * time.Millisecond)
	}
	code, _ := auth.TOTPCode(lena.TOTPSecret, time.Now())
	b.lastStep[lena.Email] = time.Now().Unix() / 30
	b.do(t, "code", chromedp.SendKeys(chromedp.ID("code"), code), chromedp.Click(chromedp.CSS(`form[action="/login/mfa"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("section_plan")))

	if loc := run1(t, b, "where", chromedp.Evaluate[string](`location.pathname`)); loc != notePath {
		t.Errorf("after sign-in the browser is at %q, want the note %q", loc, notePath)
	}
	for id, want := range map[string]string{"section_subjective": first, "section_plan": later} {
		if got := run1(t, b, id, chromedp.Value(chromedp.ID(id))); got != want {
			t.Errorf("%s after sign-in = %q, want %q", id, got, want)
		}
	}
	if notice := run1(t, b, "notice", chromedp.Text(chromedp.ID("note-notice"))); !strings.Contains(notice, "saved as a draft") {
		t.Errorf("the note's notice = %q", notice)
	}
	if err := db.QueryRow(`SELECT sections FROM notes WHERE appointment_id = ?1`, apptID).Scan(&stored); err != nil || !strings.Contains(stored, later) {
		t.Errorf("the stored draft after sign-in is %q, %v", stored, err)
	}
	for _, size := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 800}, {"phone", 390, 844}} {
		b.do(t, size.name, chromedp.EmulateViewport(size.w, size.h), chromedp.Navigate(in.url+notePath), chromedp.WaitVisible(chromedp.ID("section_plan")))
		if wide := run1(t, b, "overflow", chromedp.Evaluate[string](widest)); wide != "" {
			t.Errorf("%s: the note page is wider than the window: %s", size.name, wide)
		}
		save("note-draft-"+size.name, run1(t, b, "note shot", chromedp.FullScreenshot(80)))
	}
	// Signed, with an addendum under it (looked at on both sizes).
	b.do(t, "sign", chromedp.Click(chromedp.ID("attest")), chromedp.Click(chromedp.CSS(`button[formaction$="/sign#note"]`)), chromedp.WaitVisible(chromedp.ID("signature")))
	b.do(t, "addendum", chromedp.Click(chromedp.ID("add-kind")), chromedp.SendKeys(chromedp.ID("add-body"), "Plan agreed with the patient by phone the next day."),
		chromedp.Click(chromedp.CSS(`form[action$="/addenda#addenda"] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`.addendum`)))
	if sig := run1(t, b, "signature", chromedp.Text(chromedp.ID("signature"))); !strings.Contains(sig, "Signed by Lena Ortiz") || !strings.Contains(sig, "Verified") {
		t.Errorf("the signature block = %q", sig)
	}
	for _, size := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 800}, {"phone", 390, 844}} {
		b.do(t, size.name, chromedp.EmulateViewport(size.w, size.h), chromedp.Navigate(in.url+notePath), chromedp.WaitVisible(chromedp.ID("addenda")))
		if wide := run1(t, b, "overflow", chromedp.Evaluate[string](widest)); wide != "" {
			t.Errorf("%s: the signed note is wider than the window: %s", size.name, wide)
		}
		save("note-signed-"+size.name, run1(t, b, "signed shot", chromedp.FullScreenshot(80)))
	}
	// The one failed load is the background save refused once signed out.
	b.checkConsole(t, "status of 401 (Unauthorized)")
}
