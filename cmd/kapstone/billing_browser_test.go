package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/kapstone/kapstone/internal/demo"
)

// TestBillingBrowser: on the demo, the administrator opens Riley Chen's
// billing page (she owes $100) from her chart and records her payments
// with the keyboard alone, at a phone's size and then a desktop's: an
// amount typed wrongly is refused at the field with what was typed kept,
// and each payment's notice says where the money went and the balance
// follows it.
func TestBillingBrowser(t *testing.T) {
	b := newBrowser(t)
	dir := demoDataDir(t)
	in := start(t, nil, "demo", "-addr", "127.0.0.1:0", "-data-dir", dir)
	var admin demo.Login
	for _, l := range readLogins(t, dir) {
		if l.Role == "admin" {
			admin = l
		}
	}
	signInBrowser(t, b, in.url, admin.Email, admin.Password, admin.TOTPSecret)
	b.do(t, "caseload", chromedp.Navigate(in.url+"/patients"), chromedp.WaitVisible(chromedp.ID("patients-title")))
	href := run1(t, b, "patient link", chromedp.Evaluate[string](`[...document.querySelectorAll('.row-list a')].find(a => a.textContent.includes("Riley Chen")).getAttribute('href')`))
	b.do(t, "chart", chromedp.Navigate(in.url+href), chromedp.WaitVisible(chromedp.CSS(`a[href="`+href+`/billing"]`)))
	b.do(t, "billing link", chromedp.Click(chromedp.CSS(`a[href="`+href+`/billing"]`)), chromedp.WaitVisible(chromedp.ID("billing-title")))
	balance := func() string {
		t.Helper()
		return run1(t, b, "balance", chromedp.Text(chromedp.CSS(`#balance strong`)))
	}
	if got := balance(); got != "Riley Chen owes $100.00." {
		t.Fatalf("the balance says %q", got)
	}
	// pay types amount (over what is in the field: Ctrl+A), chooses cash
	// with the space bar and a receipt number, and sends the form with
	// Enter: no mouse.
	pay := func(amount string) {
		t.Helper()
		b.do(t, "pay "+amount,
			chromedp.Focus(chromedp.ID("pay-amount")), chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)), chromedp.KeyEvent(amount),
			chromedp.Focus(chromedp.ID("pay-method-cash")), chromedp.KeyEvent(" "),
			chromedp.Focus(chromedp.ID("pay-reference")), chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)), chromedp.KeyEvent("Receipt 5521"),
			chromedp.Evaluate[chromedp.Void](`window.billingOldPage = true`),
			chromedp.KeyEvent(kb.Enter))
		waitTrue(t, b, "pay "+amount, `!window.billingOldPage && document.readyState === "complete" && !!document.getElementById('billing-title')`)
	}
	for _, step := range []struct {
		w, h          int
		bad, amount   string
		notice, after string
	}{
		{390, 844, "40.125", "40", "$40.00 recorded; $40.00 applied to ", "Riley Chen owes $60.00."},
		{1280, 800, "sixty", "$60", "$60.00 recorded; $60.00 applied to ", "Riley Chen owes nothing."},
	} {
		b.do(t, "size", chromedp.EmulateViewport(int64(step.w), int64(step.h)), chromedp.Navigate(in.url+href+"/billing"), chromedp.WaitVisible(chromedp.ID("pay-amount")))
		pay(step.bad)
		if v := run1(t, b, "kept", chromedp.Value(chromedp.ID("pay-amount"))); v != step.bad {
			t.Errorf("at %dpx the amount typed is not kept: %q", step.w, v)
		}
		if msg := run1(t, b, "error", chromedp.Text(chromedp.ID("pay-amount-error"))); !strings.HasPrefix(msg, "Enter") {
			t.Errorf("at %dpx the refusal says %q", step.w, msg)
		}
		if d := run1(t, b, "described", chromedp.Evaluate[string](`document.getElementById('pay-amount').getAttribute('aria-describedby')`)); !strings.Contains(d, "pay-amount-error") {
			t.Errorf("at %dpx the amount is not described by its error: %q", step.w, d)
		}
		pay(step.amount)
		if n := run1(t, b, "notice", chromedp.Text(chromedp.CSS(`.notice`))); !strings.HasPrefix(n, step.notice) {
			t.Errorf("at %dpx the notice says %q, want it to start %q", step.w, n, step.notice)
		}
		if ref := run1(t, b, "reference", chromedp.Text(chromedp.CSS(`#payments ~ .table-wrap tbody tr td[data-label="Check or receipt"]`))); ref != "Receipt 5521" {
			t.Errorf("at %dpx the newest payment's reference is %q", step.w, ref)
		}
		if got := balance(); got != step.after {
			t.Errorf("at %dpx after paying %s the balance says %q, want %q", step.w, step.amount, got, step.after)
		}
		if w := run1(t, b, "width", chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`)); w > 0 {
			t.Errorf("at %dpx the page scrolls sideways by %d px", step.w, w)
		}
	}
	// The form is sent once (issue 21 walk F1): on submit it is busy and
	// its button aria-disabled, and a second submit is stopped; one
	// payment is recorded.
	b.do(t, "fill", chromedp.Navigate(in.url+href+"/billing"), chromedp.WaitVisible(chromedp.ID("pay-amount")),
		chromedp.SetValue(chromedp.ID("pay-amount"), "1"), chromedp.Click(chromedp.ID("pay-method-cash")))
	got := run1(t, b, "submit twice", chromedp.Evaluate[string](`(() => {
		const f = document.getElementById('pay-amount').form, btn = f.querySelector('button[type=submit]');
		window.billingOldPage = true;
		f.requestSubmit(btn);
		const again = new SubmitEvent('submit', {cancelable: true, bubbles: true, submitter: btn});
		f.dispatchEvent(again);
		return [f.getAttribute('aria-busy'), btn.getAttribute('aria-disabled'), String(again.defaultPrevented)].join(' ');
	})()`))
	if got != "true true true" {
		t.Errorf("after a submit the form's aria-busy, its button's aria-disabled and a second submit stopped: %q, want all true", got)
	}
	waitTrue(t, b, "sent once", `!window.billingOldPage && document.readyState === "complete" && !!document.getElementById('billing-title')`)
	if got := balance(); got != "Riley Chen owes nothing and has $1.00 of credit, for later charges or a refund." {
		t.Errorf("after one payment of $1.00 the balance says %q", got)
	}
	b.checkConsole(t, "status of 422") // the refused amounts, on purpose
}
