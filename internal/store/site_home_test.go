package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestHomePageTexts: the home page's texts are the built-in ones until an
// administrator writes them; saving writes the headline, intro and texts
// together (audited), an empty text goes back to the built-in one, a bad
// text is a field error and saves nothing, and only administrators save.
func TestHomePageTexts(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	people := sitePeople(t, s)
	texts, saved, err := s.HomeTexts(ctx)
	if err != nil || texts["step1_title"] != "Screening" || texts["cta"] != "Make an inquiry" || len(saved) != 0 || len(texts) != len(store.HomeFields) {
		t.Fatalf("built-in texts = %v, %v, %v", texts, saved, err)
	}
	if err := s.SaveHomePage(ctx, people["lena"], "Hello", "Intro.", map[string]string{"cta": "Call us"}); code(err) != clinic.ENotFound {
		t.Errorf("a therapist saving the home page = %v, want ENotFound", err)
	}
	err = s.SaveHomePage(ctx, people["admin"], "Welcome in", "We are *here*.", map[string]string{
		"cta": "  Write to us  ", "step2_text": "Our **prescriber** decides.", "right_text": "", "unknown": "dropped",
	})
	if err != nil {
		t.Fatal(err)
	}
	texts, saved, err = s.HomeTexts(ctx)
	if err != nil || texts["cta"] != "Write to us" || texts["step2_text"] != "Our **prescriber** decides." || !saved["cta"] || saved["right_text"] || texts["right_title"] != "Is KAP right for me?" {
		t.Fatalf("after saving: %v, %v, %v", texts, saved, err)
	}
	if p, err := s.SitePage(ctx, "home"); err != nil || p.Title != "Welcome in" || p.Body != "We are *here*." || p.Default {
		t.Fatalf("home page = %+v, %v", p, err)
	}
	// Emptied: back to the built-in text.
	if err := s.SaveHomePage(ctx, people["admin"], "Welcome in", "We are *here*.", map[string]string{"cta": ""}); err != nil {
		t.Fatal(err)
	}
	if texts, saved, _ = s.HomeTexts(ctx); texts["cta"] != "Make an inquiry" || saved["cta"] || !saved["step2_text"] {
		t.Errorf("an emptied text = %q (saved %v), want the built-in one; others kept", texts["cta"], saved["cta"])
	}
	// Bad fields: each at its field, nothing saved.
	err = s.SaveHomePage(ctx, people["admin"], "", "New intro", map[string]string{"cta": "two\nlines", "step1_text": strings.Repeat("x", 1001), "portal_button": strings.Repeat("y", 41)})
	var e *clinic.Error
	if !errors.As(err, &e) || e.Code != clinic.EInvalid || e.Fields["title"] == "" || e.Fields["text_cta"] == "" || e.Fields["text_step1_text"] == "" || e.Fields["text_portal_button"] == "" {
		t.Fatalf("bad fields = %v", err)
	}
	if p, _ := s.SitePage(ctx, "home"); p.Body != "We are *here*." {
		t.Error("a refused save changed the intro")
	}
	n := 0
	rows, _, err := s.FindAudit(ctx, people["admin"], store.AuditFilter{Action: "site.home.save", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.ObjectID == "home" && r.ActorID == people["admin"].UserID {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d site.home.save audit rows, want 2", n)
	}
	if at, err := s.SitePagesChangedAt(ctx); err != nil || at.IsZero() {
		t.Errorf("changed at = %v, %v", at, err)
	}
}
