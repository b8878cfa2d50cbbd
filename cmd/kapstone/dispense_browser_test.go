package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kapstone/kapstone/internal/demo"
)

// TestDispenseBrowser: on the demo, the prescriber opens a patient's
// chart, follows "Dispense from the log" from the prescription, picks the
// lot by its label, types an amount that is not a whole number of units
// (refused at the field, what was typed kept), then a right one; the
// log shows the dispensing and the lot's balance goes down.
func TestDispenseBrowser(t *testing.T) {
	b := newBrowser(t)
	dir := demoDataDir(t)
	in := start(t, nil, "demo", "-addr", "127.0.0.1:0", "-data-dir", dir)
	var rx demo.Login
	for _, l := range readLogins(t, dir) {
		if l.Email == "priya.natarajan@riverbend-medical.example" {
			rx = l
		}
	}
	b.do(t, "tablet", chromedp.EmulateViewport(1024, 768))
	signInBrowser(t, b, in.url, rx.Email, rx.Password, rx.TOTPSecret)
	b.do(t, "caseload", chromedp.Navigate(in.url+"/patients"), chromedp.WaitVisible(chromedp.ID("patients-title")))
	name, _ := json.Marshal("Jordan Lee")
	href := run1(t, b, "patient link", chromedp.Evaluate[string](`[...document.querySelectorAll('.row-list a')].find(a => a.textContent.includes(`+string(name)+`)).getAttribute('href')`))
	b.do(t, "chart", chromedp.Navigate(in.url+href), chromedp.WaitVisible(chromedp.ID("prescription-title")))
	b.do(t, "dispense link", chromedp.Click(chromedp.ID("rx-dispense")), chromedp.WaitVisible(chromedp.ID("d-lot")))
	if who := run1(t, b, "patient", chromedp.Text(chromedp.ID("d-patient"))); !strings.Contains(who, "Jordan Lee") {
		t.Errorf("the dispensing form is for %q", who)
	}
	pick := func() {
		t.Helper()
		ok := run1(t, b, "pick the lot", chromedp.Evaluate[bool](`(() => {
		  const s = document.getElementById('d-lot');
		  const o = [...s.options].find(o => o.textContent.includes('lot K-2291'));
		  if (!o) return false;
		  s.value = o.value;
		  return true;
		})()`))
		if !ok {
			t.Fatalf("the dispensing form offers no lot K-2291")
		}
	}
	left := func() string {
		t.Helper()
		return run1(t, b, "balance", chromedp.Evaluate[string](`[...document.querySelectorAll('#d-lot option')].map(o => o.textContent).find(t => t.includes('lot K-2291')) || ''`))
	}
	before := left()
	pick()
	b.do(t, "half a tablet", chromedp.SendKeys(chromedp.ID("d-quantity"), "1.5"), chromedp.Click(chromedp.CSS(`form[action="/controlled/dispense#dispense"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#d-quantity + .field-error, .has-error .field-error`)))
	if v := run1(t, b, "kept", chromedp.Value(chromedp.ID("d-quantity"))); v != "1.5" {
		t.Errorf("the amount typed is not kept: %q", v)
	}
	if msg := run1(t, b, "error", chromedp.Text(chromedp.CSS(`.has-error .field-error`))); !strings.Contains(msg, "whole number of units") {
		t.Errorf("the refusal says %q", msg)
	}
	b.do(t, "two tablets", chromedp.SetValue(chromedp.ID("d-quantity"), "2"), chromedp.Click(chromedp.CSS(`form[action="/controlled/dispense#dispense"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.notice`)))
	if n := run1(t, b, "notice", chromedp.Text(chromedp.CSS(`.notice`))); n != "Dispensing recorded." {
		t.Errorf("after dispensing: %q", n)
	}
	if row := run1(t, b, "log", chromedp.Text(chromedp.CSS(`#log ~ .table-wrap tbody tr`))); !strings.Contains(row, "Dispensed") || !strings.Contains(row, "Jordan Lee") || !strings.Contains(row, "-2 units") {
		t.Errorf("the log's newest entry is %q", row)
	}
	b.do(t, "stock", chromedp.Navigate(in.url+"/controlled?patient="+strings.TrimPrefix(href, "/patients/")), chromedp.WaitVisible(chromedp.ID("d-lot")))
	if after := left(); after == before || !strings.Contains(before, "units left") {
		t.Errorf("the lot's balance did not go down: %q, then %q", before, after)
	}
	b.checkConsole(t, "status of 422") // the refused amount, on purpose
}
