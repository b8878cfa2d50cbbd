package store_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"strconv"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestSingleLineFieldsRefuseLineBreaks: every single-line field the store
// writes refuses "A\r\nB" (and a right-to-left override) with a message
// at that field, and saves nothing: a line break in a name splits a CSV
// row, an email header or a log line. Multi-line fields keep their line
// breaks.
func TestSingleLineFieldsRefuseLineBreaks(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	var admin, thea store.Actor
	for _, u := range []*clinic.User{
		{Email: "a@example.org", DisplayName: "Ada", Role: clinic.RoleAdmin},
		{Email: "t@example.org", DisplayName: "Thea", Role: clinic.RoleTherapist},
	} {
		if err := s.CreateUser(ctx, store.System, u, "h"); err != nil {
			t.Fatal(err)
		}
		if u.Role == clinic.RoleAdmin {
			admin = store.Actor{UserID: u.ID, Role: u.Role}
		} else {
			thea = store.Actor{UserID: u.ID, Role: u.Role}
		}
	}
	pt := &store.Patient{DisplayName: "Pat"}
	if err := s.CreatePatient(ctx, thea, pt, ""); err != nil {
		t.Fatal(err)
	}
	details := func(set func(*store.Patient, string)) func(string) error {
		return func(v string) error {
			p, _, err := s.FindPatient(ctx, thea, pt.ID)
			if err != nil {
				return err
			}
			set(p, v)
			return s.UpdatePatientDetails(ctx, thea, p)
		}
	}
	fields := func(fe clinic.FieldErrors) error { return fe.Err() }
	var pic bytes.Buffer
	png.Encode(&pic, image.NewGray(image.Rect(0, 0, 4, 4)))
	post := func(set func(*store.Post, string)) func(string) error {
		return func(v string) error {
			p := store.Post{Title: "A post", Body: "Words.", Status: store.PostDraft}
			set(&p, v)
			return s.SavePost(ctx, thea, &p)
		}
	}

	checked, users := 0, 0
	for _, tt := range []struct {
		field string
		save  func(v string) error
	}{
		{"display_name", func(v string) error { return s.CreatePatient(ctx, thea, &store.Patient{DisplayName: v}, "") }},
		{"email", func(v string) error {
			return s.CreatePatient(ctx, thea, &store.Patient{DisplayName: "Pat", Email: "p" + v + "@example.org"}, "")
		}},
		{"display_name", details(func(p *store.Patient, v string) { p.DisplayName = v })},
		{"legal_name", details(func(p *store.Patient, v string) { p.LegalName = v })},
		{"pronouns", details(func(p *store.Patient, v string) { p.Pronouns = v })},
		{"phone", details(func(p *store.Patient, v string) { p.Phone = "555 010 " + v + "2345" })},
		{"emergency_name", details(func(p *store.Patient, v string) { p.EmergencyName = v })},
		{"emergency_phone", details(func(p *store.Patient, v string) { p.EmergencyPhone = "555 010 " + v + "2345" })},
		{"emergency_relation", details(func(p *store.Patient, v string) { p.EmergencyRelation = v })},
		{"support_name", details(func(p *store.Patient, v string) { p.SupportName = v })},
		{"support_phone", details(func(p *store.Patient, v string) { p.SupportPhone = "555 010 " + v + "2345" })},
		{"display_name", func(v string) error {
			users++
			return s.CreateUser(ctx, store.System, &clinic.User{Email: "n" + strconv.Itoa(users) + "@example.org", DisplayName: v, Role: clinic.RoleTherapist}, "h")
		}},
		{"name", func(v string) error {
			return fields(store.CheckInquiry(&store.Inquiry{Name: v, Email: "q@example.org"}))
		}},
		{"title", func(v string) error { b := "Body."; return fields(store.CheckSitePage(&v, &b)) }},
		{"name", func(v string) error {
			return fields(store.CheckPractice(&store.PracticeSettings{Name: v, TimeZone: "America/Chicago"}))
		}},
		{"credentials", func(v string) error {
			return s.SaveStaffProfile(ctx, thea, &store.StaffProfile{UserID: thea.UserID, Credentials: v, Public: true})
		}},
		{"slug", func(v string) error {
			return s.SaveStaffProfile(ctx, thea, &store.StaffProfile{UserID: thea.UserID, Slug: "thea" + v + "x", Public: true})
		}},
		{"title", post(func(p *store.Post, v string) { p.Title = v })},
		{"slug", post(func(p *store.Post, v string) { p.Slug = "a" + v + "b" })},
		{"cover_alt", post(func(p *store.Post, v string) { p.CoverAlt = v })},
		{"alt", func(v string) error { _, err := s.SaveImage(ctx, thea, pic.Bytes(), v); return err }},
		{"name", func(v string) error { return s.CreateRoom(ctx, admin, &store.Room{Name: v}) }},
		{"reason", func(v string) error { return s.CancelAppointment(ctx, thea, pt.ID, store.NewID(), v) }},
		{"off_note", func(v string) error {
			start := time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)
			return s.AddTimeOff(ctx, thea, &store.TimeOff{Start: start, End: start.Add(time.Hour), Note: v})
		}},
	} {
		for _, bad := range []string{"A\r\nB", "A\u2028B", "Dr. \u202eanA"} {
			err := tt.save(bad)
			var ce *clinic.Error
			checked++
			if !errors.As(err, &ce) || ce.Code != clinic.EInvalid || ce.Fields[tt.field] == "" {
				t.Errorf("%s = %q: %v, want a message at %s", tt.field, bad, err, tt.field)
			}
		}
	}
	t.Logf("%d single-line fields × 3 values refused", checked/3)
	// Nothing was saved.
	if ps, err := s.ListPatients(ctx, thea, store.PatientFilter{}); err != nil || len(ps) != 1 {
		t.Errorf("patients after refusals = %d, %v; want the one", len(ps), err)
	}
	// A multi-line field keeps its line breaks, but not other control
	// characters.
	p := store.Post{Title: "Lines", Summary: "One\r\nTwo", Body: "One\r\nTwo\tthree", Status: store.PostDraft}
	if err := s.SavePost(ctx, thea, &p); err != nil {
		t.Errorf("a post with line breaks in its summary and body = %v", err)
	}
	p = store.Post{Title: "Escape", Body: "One\x1b[2JTwo", Status: store.PostDraft}
	if err := s.SavePost(ctx, thea, &p); clinic.ErrorCode(err) != clinic.EInvalid {
		t.Errorf("a post body with an escape character = %v, want refused", err)
	}
	// Multi-line fields refuse other control characters and bidi
	// overrides (review finding: the consult thread, inquiry message and
	// page body checked only their length).
	multi := 0
	for _, tt := range []struct {
		field string
		save  func(v string) error
	}{
		{"body", func(v string) error { return s.PostConsult(ctx, thea, pt.ID, v) }},
		{"message", func(v string) error {
			return fields(store.CheckInquiry(&store.Inquiry{Name: "Q", Email: "q@example.org", Message: v}))
		}},
		{"body", func(v string) error { title := "A page"; return fields(store.CheckSitePage(&title, &v)) }},
	} {
		for _, bad := range []string{"One\x00Two", "One\x1b[2JTwo", "Dose \u202e gm 002"} {
			err := tt.save(bad)
			var ce *clinic.Error
			multi++
			if !errors.As(err, &ce) || ce.Code != clinic.EInvalid || ce.Fields[tt.field] == "" {
				t.Errorf("multi-line %s = %q: %v, want a message at %s", tt.field, bad, err, tt.field)
			}
		}
		if err := tt.save("Line one\r\nLine two\tand a tab"); err != nil {
			t.Errorf("multi-line %s with line breaks = %v, want saved", tt.field, err)
		}
	}
	t.Logf("%d multi-line fields × 3 values refused", multi/3)
}
