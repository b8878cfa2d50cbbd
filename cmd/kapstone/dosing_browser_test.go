package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/kapstone/kapstone/internal/demo"
)

// TestBrowserDosingSessionOnTablet runs a whole dosing session in chromium
// at tablet size (1024×768), as the therapist would with the patient:
// the pre-dose gate, the dose, vitals, a note, an adverse event and
// discharge. Midway a half-typed note survives a reload, and an entry made
// while the connection is down is kept in the tab and sent when it is back,
// once. A reading at the hold level (SpO₂ 85 %) puts a banner at the top of
// the page until a later reading is not at hold. The run takes minutes, not
// the two hours of observation after the dose: the therapist's discharge is
// refused with the reason, and the prescriber, signed in on the tablet,
// allows the earlier discharge with a written reason.
func TestBrowserDosingSessionOnTablet(t *testing.T) {
	b := newBrowser(t)
	dir := demoDataDir(t)
	in := start(t, nil, "demo", "-addr", "127.0.0.1:0", "-data-dir", dir)
	var th, rx demo.Login
	for _, l := range readLogins(t, dir) {
		switch l.Email {
		case "lena.ortiz@willowcreek.example":
			th = l
		case "priya.natarajan@riverbend-medical.example":
			rx = l
		}
	}
	shots := screenshotDir(t)
	shoot := func(name string) {
		t.Helper()
		png := run1(t, b, name, chromedp.FullScreenshot(100))
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
		if wide := run1(t, b, name+" overflow", chromedp.Evaluate[string](widest)); wide != "" {
			t.Errorf("%s is wider than the tablet: %s", name, wide)
		}
	}
	// until waits for a script to say true, across the page reloads that
	// saving an entry causes.
	until := func(what, script string) {
		t.Helper()
		deadline := time.Now().Add(40 * time.Second)
		for {
			ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
			ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](script))
			cancel()
			if err == nil && ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: timed out (%v)", what, err)
			}
			time.Sleep(150 * time.Millisecond)
		}
	}
	timelineHas := func(what, text string) {
		t.Helper()
		js, _ := json.Marshal(text)
		until(what, `document.readyState === "complete" && !!document.getElementById("timeline") && document.getElementById("timeline").textContent.includes(`+string(js)+`)`)
	}
	setValue := func(what, id, value string) {
		t.Helper()
		idj, _ := json.Marshal(id)
		vj, _ := json.Marshal(value)
		b.do(t, what, void(chromedp.Evaluate[bool](`(() => { const el = document.getElementById(`+string(idj)+`); el.value = `+string(vj)+`; el.dispatchEvent(new Event("input", {bubbles: true})); return true; })()`)))
	}
	b.do(t, "tablet", chromedp.EmulateViewport(1024, 768))
	signInBrowser(t, b, in.url, th.Email, th.Password, th.TOTPSecret)
	name, _ := json.Marshal("Jordan Lee")
	href := run1(t, b, "patient link", chromedp.Evaluate[string](`[...document.querySelectorAll('.row-list a')].find(a => a.textContent.includes(`+string(name)+`)).getAttribute('href')`))
	b.do(t, "chart", chromedp.Navigate(in.url+href), chromedp.WaitVisible(chromedp.ID("dosing-title")))
	b.do(t, "start", chromedp.Click(chromedp.CSS(`#dosing form button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("gate-title")))
	shoot("dosing-1-gate")

	// The gate: every line, and a blood pressure within the thresholds.
	b.do(t, "gate",
		chromedp.Click(chromedp.CSS(`input[name=meds_reviewed]`)),
		chromedp.Click(chromedp.CSS(`input[name=fasting]`)),
		chromedp.Click(chromedp.CSS(`input[name=pregnancy][value=not_applicable]`)),
		chromedp.Click(chromedp.CSS(`input[name=escort_ok]`)),
		chromedp.SendKeys(chromedp.ID("g-bp"), "126/80"),
		chromedp.SendKeys(chromedp.ID("g-hr"), "70"),
		chromedp.SendKeys(chromedp.ID("g-spo2"), "98"),
		chromedp.Click(chromedp.CSS(`.gate-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("dose-title")))
	if v, u := run1(t, b, "dose filled", chromedp.Value(chromedp.ID("d-amount"))), run1(t, b, "unit", chromedp.Value(chromedp.ID("d-unit"))); v != "200" || u != "mg" {
		t.Errorf("the dose is not filled from the prescription: %q %q", v, u)
	}
	shoot("dosing-2-ready")
	pickLot(t, b, "K-2291")
	b.do(t, "dose", chromedp.Click(chromedp.CSS(`#dose button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".session-bar")))
	if text := run1(t, b, "prefs", chromedp.Text(chromedp.CSS(".prefs"))); !strings.Contains(text, "Safety touch") {
		t.Errorf("the session view does not show the touch consent: %q", text)
	}

	// Vitals 1: about 40 minutes after the dose.
	b.do(t, "vitals 1", chromedp.SendKeys(chromedp.ID("v-bp"), "138/88"), chromedp.SendKeys(chromedp.ID("v-hr"), "84"), chromedp.Click(chromedp.CSS(`#vitals button[type=submit]`)))
	timelineHas("vitals 1 saved", "138/88")

	// A note typed but not saved survives a reload.
	b.do(t, "type note", chromedp.WaitVisible(chromedp.ID("n-body")), chromedp.SendKeys(chromedp.ID("n-body"), "Eyes closed, breathing slow, smiled at the music."))
	b.do(t, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("n-body")))
	if v := run1(t, b, "note after reload", chromedp.Value(chromedp.ID("n-body"))); v != "Eyes closed, breathing slow, smiled at the music." {
		t.Fatalf("after a reload the note reads %q", v)
	}
	b.do(t, "save note", chromedp.Click(chromedp.CSS(`#note button[type=submit]`)))
	timelineHas("note saved", "smiled at the music")

	// Vitals 2 while the connection is down: kept in the tab, sent when it
	// is back, recorded once.
	if _, err := chromedp.Call(b.ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: []*network.Conditions{{Offline: true}}}); err != nil {
		t.Fatalf("offline: %v", err)
	}
	// Offline: a reading, two notes, and a reading with a typo, one after
	// another on the same page.
	setValue("phase", "v-phase", "check")
	b.do(t, "vitals 2 offline", chromedp.SendKeys(chromedp.ID("v-bp"), "132/84"), chromedp.SendKeys(chromedp.ID("v-hr"), "80"), chromedp.Click(chromedp.CSS(`#vitals button[type=submit]`)))
	until("kept on the device", `document.querySelector("#vitals .entry-state").textContent.includes("kept on this device")`)
	b.do(t, "note A offline", chromedp.SendKeys(chromedp.ID("n-body"), "Offline note A: hands relaxed."), chromedp.Click(chromedp.CSS(`#note button[type=submit]`)))
	until("note A kept", `document.getElementById("n-body").value === "" && JSON.parse(sessionStorage.getItem("kapstone.dosing.queue")).length === 2`)
	b.do(t, "note B offline", chromedp.SendKeys(chromedp.ID("n-body"), "Offline note B: asked for water."), chromedp.Click(chromedp.CSS(`#note button[type=submit]`)))
	setValue("phase", "v-phase", "check")
	b.do(t, "typo offline", chromedp.SendKeys(chromedp.ID("v-bp"), "1320/84"), chromedp.Click(chromedp.CSS(`#vitals button[type=submit]`)))
	until("four kept", `JSON.parse(sessionStorage.getItem("kapstone.dosing.queue")).length === 4`)
	shoot("dosing-3-offline")
	if _, err := chromedp.Call(b.ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: []*network.Conditions{}}); err != nil {
		t.Fatalf("online: %v", err)
	}
	// Back online: the three good entries are kept once each; the typo
	// comes back at its field, as typed, with the reason.
	timelineHas("offline entries sent", "Offline note B")
	until("the typo is shown", `!!document.querySelector("#vitals .field-error") && document.getElementById("v-bp").value === "1320/84"`)
	for _, want := range []string{"132/84", "Offline note A", "Offline note B"} {
		js, _ := json.Marshal(want)
		if n := run1(t, b, "once", chromedp.Evaluate[int](`document.getElementById("timeline").textContent.split(`+string(js)+`).length - 1`)); n != 1 {
			t.Errorf("%q shows %d times in the timeline, want once", want, n)
		}
	}
	if n := run1(t, b, "queue empty", chromedp.Evaluate[int](`JSON.parse(sessionStorage.getItem("kapstone.dosing.queue") || "[]").length`)); n != 0 {
		t.Errorf("%d entries left in the queue", n)
	}
	shoot("dosing-3b-refused")
	b.do(t, "go to the page", chromedp.Navigate(in.url+run1(t, b, "path", chromedp.Evaluate[string](`location.pathname.replace(/\/vitals$/, "")`))), chromedp.WaitVisible(chromedp.ID("v-bp")))

	// An adverse event.
	setValue("adverse", "a-what", "nausea")
	b.do(t, "adverse", chromedp.Click(chromedp.CSS(`#adverse input[name=severity][value=mild]`)), chromedp.SendKeys(chromedp.ID("a-action"), "Ginger tea, rested"), chromedp.Click(chromedp.CSS(`#adverse button[type=submit]`)))
	timelineHas("adverse saved", "Adverse event: Nausea (mild)")

	// A reading at the hold level: a banner at the top of the page.
	setValue("phase", "v-phase", "check")
	b.do(t, "hold reading", chromedp.SendKeys(chromedp.ID("v-hr"), "96"), chromedp.SendKeys(chromedp.ID("v-spo2"), "85"), chromedp.Click(chromedp.CSS(`#vitals button[type=submit]`)))
	until("hold banner", `document.readyState === "complete" && !!document.getElementById("hold-banner") && document.getElementById("hold-banner").textContent.includes("SpO₂ 85% is below the hold threshold (90%)")`)
	b.do(t, "top of the page", void(chromedp.Evaluate[bool](`(window.scrollTo(0, 0), true)`)))
	if above := run1(t, b, "banner above the forms", chromedp.Evaluate[bool](`document.getElementById("hold-banner").getBoundingClientRect().top < document.getElementById("vitals").getBoundingClientRect().top`)); !above {
		t.Error("the hold banner is not above the session's forms")
	}
	shoot("dosing-4a-hold-banner")

	// Vitals 3: before discharge; SpO₂ back to 98 % resolves the hold.
	setValue("phase", "v-phase", "pre_discharge")
	// MOAA/S by keyboard (issue 20): the arrow key moves within the levels' radios, from 4 up to 5.
	b.do(t, "vitals 3", chromedp.SendKeys(chromedp.ID("v-bp"), "124/78"), chromedp.SendKeys(chromedp.ID("v-hr"), "68"), chromedp.SendKeys(chromedp.ID("v-spo2"), "98"),
		chromedp.Focus(chromedp.ID("v-moaas-4")), chromedp.KeyEvent(kb.ArrowUp), chromedp.Click(chromedp.CSS(`#vitals button[type=submit]`)))
	timelineHas("vitals 3 saved", "124/78 · pulse 68 · SpO₂ 98% · MOAA/S 5")
	until("banner gone", `document.readyState === "complete" && !document.getElementById("hold-banner")`)
	shoot("dosing-4-session")

	// The therapist's discharge minutes after the dose: refused, with the
	// reason.
	tick := void(chromedp.Evaluate[bool](`(document.querySelectorAll('#discharge input[name=criteria]').forEach(c => c.checked = true), true)`))
	b.do(t, "criteria", tick)
	b.do(t, "early discharge", chromedp.Click(chromedp.CSS(`#discharge button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`#discharge .field-error`)))
	if msg := run1(t, b, "refusal", chromedp.Text(chromedp.CSS(`#discharge .field-error`))); !strings.Contains(msg, "the minimum observation time is 120 minutes") {
		t.Errorf("the early discharge is refused with %q", msg)
	}
	session := run1(t, b, "session path", chromedp.Evaluate[string](`location.pathname.replace(/\/discharge$/, "")`))

	// The prescriber, from their own sign-in, allows it with a reason.
	signOutBrowser(t, b, "therapist sign-out", `header form[action="/logout"] button`)
	signInBrowser(t, b, in.url, rx.Email, rx.Password, rx.TOTPSecret)
	b.do(t, "prescriber opens the session", chromedp.Navigate(in.url+session), chromedp.WaitVisible(chromedp.ID("e-reason")))
	b.do(t, "criteria again", tick)
	b.do(t, "discharge", chromedp.SendKeys(chromedp.ID("e-reason"), "Test of the tablet flow: the patient is well and the ride is here."),
		chromedp.Click(chromedp.CSS(`#discharge button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("record-title")))
	text := run1(t, b, "record", chromedp.Text(chromedp.CSS("main")))
	for _, want := range []string{"Session record", "126/80", "138/88", "132/84", "124/78", "Nausea (mild)", "smiled at the music", "K-2291", "Book the integration session", "Earlier discharge", "the ride is here"} {
		if !strings.Contains(text, want) {
			t.Errorf("the session record lacks %q", want)
		}
	}
	shoot("dosing-5-record")
	// The prescriber's safety settings, from their navigation.
	b.do(t, "safety settings", chromedp.Click(chromedp.CSS(`nav.sections a[href="/settings/dosing"]`)), chromedp.WaitVisible(chromedp.ID("safety-title")))
	if v := run1(t, b, "observation", chromedp.Value(chromedp.ID("s-observation_minutes"))); v != "120" {
		t.Errorf("the observation time reads %q, want 120", v)
	}
	shoot("dosing-6-safety-settings")
	b.checkConsole(t, "net::ERR_INTERNET_DISCONNECTED", "status of 422") // the offline run, the refused typo and early discharge, on purpose
}
