package store_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

func goodInquiry() *store.Inquiry {
	return &store.Inquiry{Name: " Jo Visitor ", Email: "jo@example.org", Phone: "+1 555 010 4455", Preferred: "text", Psychosis: "no", Meds: "unsure", Message: "I have read about KAP."}
}

func TestCheckInquiry(t *testing.T) {
	for _, tt := range []struct {
		name   string
		q      store.Inquiry
		fields []string
	}{
		{"empty", store.Inquiry{}, []string{"name", "contact"}},
		{"email only", store.Inquiry{Name: "Jo", Email: "jo@example.org"}, nil},
		{"phone only", store.Inquiry{Name: "Jo", Phone: "555 010 4455"}, nil},
		{"bad email and phone", store.Inquiry{Name: "Jo", Email: "jo@", Phone: "call me"}, []string{"email", "phone"}},
		{"email without a dot", store.Inquiry{Name: "Jo", Email: "jo@localhost"}, []string{"email"}},
		{"text without a phone", store.Inquiry{Name: "Jo", Email: "jo@example.org", Preferred: "text"}, []string{"preferred"}},
		{"email without an address", store.Inquiry{Name: "Jo", Phone: "555 010 4455", Preferred: "email"}, []string{"preferred"}},
		{"odd answers", store.Inquiry{Name: "Jo", Phone: "555 010 4455", Preferred: "fax", Psychosis: "maybe", Meds: "1"}, []string{"preferred", "psychosis", "meds"}},
		{"two lines of name", store.Inquiry{Name: "Jo\nSmith", Phone: "555 010 4455"}, []string{"name"}},
		{"long message", store.Inquiry{Name: "Jo", Phone: "555 010 4455", Message: string(bytes.Repeat([]byte("é"), 1001))}, []string{"message"}},
	} {
		fe := store.CheckInquiry(&tt.q)
		if len(fe) != len(tt.fields) {
			t.Errorf("%s: errors %v, want at %v", tt.name, fe, tt.fields)
		}
		for _, f := range tt.fields {
			if fe[f] == "" {
				t.Errorf("%s: no error at %s (%v)", tt.name, f, fe)
			}
		}
	}
	q := store.Inquiry{Name: "Jo", Phone: "555 010 4455"}
	store.CheckInquiry(&q)
	if q.Preferred != "phone" {
		t.Errorf("preferred with only a phone = %q, want phone", q.Preferred)
	}
}

func TestFormKeyIsSharedAndStable(t *testing.T) {
	dsn := storetest.DSN(t)
	a, b := storetest.OpenDSN(t, dsn), storetest.OpenDSN(t, dsn)
	ctx := context.Background()
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		s := a
		if i%2 == 1 {
			s = b // another instance on the same database
		}
		wg.Go(func() {
			k, err := s.FormKey(ctx)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for i, k := range keys {
		if len(k) != 32 || !bytes.Equal(k, keys[0]) {
			t.Fatalf("FormKey call %d = %x, want the same 32 bytes as call 0 (%x)", i, k, keys[0])
		}
	}
}

func TestInquiryRateLimit(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	for i := range store.InquiryLimit + 3 {
		err := s.CreateInquiry(ctx, store.Actor{}, goodInquiry(), "addr-1")
		if i < store.InquiryLimit && err != nil {
			t.Fatalf("inquiry %d = %v, want stored", i+1, err)
		}
		if i >= store.InquiryLimit && code(err) != clinic.ETooMany {
			t.Fatalf("inquiry %d = %v, want too many", i+1, err)
		}
	}
	if err := s.CreateInquiry(ctx, store.Actor{}, goodInquiry(), "addr-2"); err != nil {
		t.Errorf("an inquiry from another address = %v, want stored", err)
	}
	now = now.Add(store.InquiryWindow)
	if err := s.CreateInquiry(ctx, store.Actor{}, goodInquiry(), "addr-1"); err != nil {
		t.Errorf("an inquiry an hour later = %v, want stored", err)
	}
	n, err := store.CountForTest(ctx, s, `SELECT count(*) FROM inquiries`)
	if err != nil || n != store.InquiryLimit+2 {
		t.Errorf("stored %d inquiries, %v; want %d", n, err, store.InquiryLimit+2)
	}
	if n, _, err := s.CountAudit(ctx, "inquiry.create", "", "", time.Time{}); err != nil || n != store.InquiryLimit+2 {
		t.Errorf("inquiry.create audit rows = %d, %v; want one per stored inquiry", n, err)
	}

	// Many at once from one address (two instances on PostgreSQL): never
	// more than the limit.
	dsn := storetest.DSN(t)
	a, b := storetest.OpenDSN(t, dsn), storetest.OpenDSN(t, dsn)
	var wg sync.WaitGroup
	for i := range 20 {
		st := a
		if i%2 == 1 {
			st = b
		}
		wg.Go(func() {
			err := st.CreateInquiry(ctx, store.Actor{}, goodInquiry(), "burst")
			if err != nil && code(err) != clinic.ETooMany {
				t.Errorf("concurrent inquiry: %v", err)
			}
		})
	}
	wg.Wait()
	if n, err := store.CountForTest(ctx, a, `SELECT count(*) FROM inquiries`); err != nil || n != store.InquiryLimit {
		t.Errorf("20 concurrent inquiries from one address stored %d, %v; want %d", n, err, store.InquiryLimit)
	}
}

func TestInquiryInboxAndConversion(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	who := sitePeople(t, s)
	lena, sam, rex, admin, pat := who["lena"], who["sam"], who["rex"], who["admin"], who["pat"]

	var ids []string
	for i := range 3 {
		q := goodInquiry()
		q.Name = fmt.Sprintf("Visitor %d", i)
		if err := s.CreateInquiry(ctx, store.Actor{}, q, fmt.Sprintf("addr-%d", i)); err != nil {
			t.Fatal(err)
		}
		if q.Name != fmt.Sprintf("Visitor %d", i) || q.Status != store.InquiryNew {
			t.Errorf("created inquiry = %+v", q)
		}
		ids = append(ids, q.ID)
		now = now.Add(time.Minute)
	}

	for _, a := range []store.Actor{rex, pat, {}} {
		if _, err := storetest.Inquiries(ctx, s, a, ""); code(err) != clinic.ENotFound {
			t.Errorf("Inquiries as %q = %v, want not found", a.Role, err)
		}
		if _, err := s.Inquiry(ctx, a, ids[0]); code(err) != clinic.ENotFound {
			t.Errorf("Inquiry as %q = %v, want not found", a.Role, err)
		}
		if err := s.SetInquiryStatus(ctx, a, ids[0], store.InquiryClosed, ""); code(err) != clinic.ENotFound {
			t.Errorf("SetInquiryStatus as %q = %v, want not found", a.Role, err)
		}
	}
	if _, err := s.Inquiry(ctx, lena, "no-such-inquiry"); code(err) != clinic.ENotFound {
		t.Errorf("Inquiry(unknown) = %v, want not found", err)
	}

	// Sam calls the oldest back; the newest two stay new and come first.
	if err := s.SetInquiryStatus(ctx, sam, ids[0], store.InquiryContacted, "Left a voicemail."); err != nil {
		t.Fatal(err)
	}
	if err := s.SetInquiryStatus(ctx, sam, ids[0], "converted", ""); fields(err)["status"] == "" {
		t.Errorf("SetInquiryStatus(converted) = %v, want an error at status", err)
	}
	list, err := storetest.Inquiries(ctx, s, admin, "")
	if err != nil || len(list) != 3 || list[0].ID != ids[2] || list[1].ID != ids[1] || list[2].ID != ids[0] {
		t.Fatalf("Inquiries(open) = %v, %v; want the two new ones, newest first, then the contacted one", list, err)
	}
	if list, err := storetest.Inquiries(ctx, s, lena, store.InquiryContacted); err != nil || len(list) != 1 || list[0].HandledByName != "Sam Whitaker" {
		t.Errorf("Inquiries(contacted) = %v, %v", list, err)
	}
	if _, err := storetest.Inquiries(ctx, s, lena, "bogus"); code(err) != clinic.EInvalid {
		t.Errorf("Inquiries(bogus filter) = %v, want invalid", err)
	}

	q, err := s.Inquiry(ctx, lena, ids[0])
	if err != nil || q.Name != "Visitor 0" || q.Phone != "+1 555 010 4455" || q.Psychosis != "no" || q.Meds != "unsure" || len(q.Events) != 1 || q.Events[0].Note != "Left a voicemail." {
		t.Fatalf("Inquiry = %+v, %v", q, err)
	}
	if n, _, err := s.CountAudit(ctx, "inquiry.read", ids[0], "", time.Time{}); err != nil || n != 1 {
		t.Errorf("inquiry.read audit rows = %d, %v; want 1", n, err)
	}

	// Converting: therapists only; the patient is Lena's, in stage inquiry.
	for _, a := range []store.Actor{admin, rex, pat} {
		if _, err := s.ConvertInquiry(ctx, a, ids[0]); code(err) != clinic.ENotFound {
			t.Errorf("ConvertInquiry as %s = %v, want not found", a.Role, err)
		}
	}
	pid, err := s.ConvertInquiry(ctx, lena, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	p, acc, err := s.FindPatient(ctx, lena, pid)
	if err != nil || p.DisplayName != "Visitor 0" || p.Email != "jo@example.org" || p.Phone != "+1 555 010 4455" || p.Stage != clinic.StageInquiry || acc.Relation != auth.RelOwner {
		t.Errorf("converted patient = %+v, %+v, %v; want Visitor 0 in stage inquiry, owned by Lena", p, acc, err)
	}
	if _, _, err := s.FindPatient(ctx, sam, pid); code(err) != clinic.ENotFound {
		t.Errorf("Sam reading Lena's new patient = %v, want not found", err)
	}
	if _, err := s.ConvertInquiry(ctx, sam, ids[0]); code(err) != clinic.EConflict {
		t.Errorf("converting twice = %v, want conflict", err)
	}
	if err := s.SetInquiryStatus(ctx, sam, ids[0], store.InquiryClosed, ""); code(err) != clinic.EConflict {
		t.Errorf("closing a converted inquiry = %v, want conflict", err)
	}
	q, _ = s.Inquiry(ctx, admin, ids[0])
	if q.Status != store.InquiryConverted || q.PatientID != pid || q.HandledBy != lena.UserID || len(q.Events) != 2 {
		t.Errorf("converted inquiry = %+v", q)
	}
	if n, _, err := s.CountAudit(ctx, "inquiry.convert", ids[0], "", time.Time{}); err != nil || n != 1 {
		t.Errorf("inquiry.convert audit rows = %d, %v; want 1", n, err)
	}
	if list, _ := storetest.Inquiries(ctx, s, admin, ""); len(list) != 2 {
		t.Errorf("open inquiries after a conversion = %d, want 2", len(list))
	}
	if list, _ := storetest.Inquiries(ctx, s, admin, "all"); len(list) != 3 {
		t.Errorf("all inquiries = %d, want 3", len(list))
	}
}

// TestInquiryPossibleSpam (issue 15): an inquiry that may be a robot's is
// stored, listed only in the possible-spam group (never among open, new or
// all), and is either marked genuine (into the inbox, with a history entry)
// or deleted; an ordinary inquiry is never deleted, and only those who work
// the inbox do either.
func TestInquiryPossibleSpam(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	who := sitePeople(t, s)
	lena, rex := who["lena"], who["rex"]
	fast, stampless, plain := goodInquiry(), goodInquiry(), goodInquiry()
	fast.SpamReason, stampless.SpamReason = store.SpamTooFast, store.SpamNoStamp
	for _, q := range []*store.Inquiry{fast, stampless, plain} {
		if err := s.CreateInquiry(ctx, store.Actor{}, q, "addr-"+q.SpamReason); err != nil {
			t.Fatal(err)
		}
	}
	bad := goodInquiry()
	bad.SpamReason = "bogus"
	if err := s.CreateInquiry(ctx, store.Actor{}, bad, "addr"); err == nil {
		t.Error("an unknown spam reason was stored")
	}
	ids := func(filter string) []string {
		list, err := storetest.Inquiries(ctx, s, lena, filter)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, q := range list {
			out = append(out, q.ID)
		}
		slices.Sort(out)
		return out
	}
	spamIDs := []string{fast.ID, stampless.ID}
	slices.Sort(spamIDs)
	for _, f := range []string{"open", store.InquiryNew, "all"} {
		if got := ids(f); !slices.Equal(got, []string{plain.ID}) {
			t.Errorf("filter %s lists %v, want only the ordinary inquiry", f, got)
		}
	}
	if got := ids(store.InquirySpam); !slices.Equal(got, spamIDs) {
		t.Errorf("possible spam lists %v, want %v", got, spamIDs)
	}
	if n, err := s.CountPossibleSpam(ctx, lena); err != nil || n != 2 {
		t.Errorf("CountPossibleSpam = %d, %v; want 2", n, err)
	}
	if n, _ := s.CountPossibleSpam(ctx, rex); n != 0 {
		t.Errorf("a prescriber is told of %d possible spam, want 0", n)
	}
	if err := s.MarkInquiryGenuine(ctx, rex, fast.ID); code(err) != clinic.ENotFound {
		t.Errorf("a prescriber marking genuine = %v, want not found", err)
	}
	if err := s.DeleteSpamInquiry(ctx, rex, stampless.ID); code(err) != clinic.ENotFound {
		t.Errorf("a prescriber deleting = %v, want not found", err)
	}
	if err := s.MarkInquiryGenuine(ctx, lena, fast.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkInquiryGenuine(ctx, lena, fast.ID); code(err) != clinic.EConflict {
		t.Errorf("marking an ordinary inquiry genuine = %v, want conflict", err)
	}
	q, err := s.Inquiry(ctx, lena, fast.ID)
	if err != nil || q.SpamReason != "" || len(q.Events) != 1 || q.Events[0].Status != "genuine" {
		t.Errorf("marked genuine: %+v, %v; want no spam reason and one history entry", q, err)
	}
	if err := s.DeleteSpamInquiry(ctx, lena, plain.ID); code(err) != clinic.EConflict {
		t.Errorf("deleting an ordinary inquiry = %v, want conflict", err)
	}
	if err := s.DeleteSpamInquiry(ctx, lena, stampless.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Inquiry(ctx, lena, stampless.ID); code(err) != clinic.ENotFound {
		t.Errorf("a deleted inquiry = %v, want not found", err)
	}
	if got := ids(store.InquirySpam); len(got) != 0 {
		t.Errorf("possible spam after both handled: %v", got)
	}
	for _, a := range []string{"inquiry.genuine", "inquiry.delete"} {
		if n, _, err := s.CountAudit(ctx, a, "", "", time.Time{}); err != nil || n != 1 {
			t.Errorf("%s audit rows = %d, %v; want 1", a, n, err)
		}
	}
}

// TestPossibleSpamIsNotWorkedOn (review of issue 15): an inquiry kept as
// possible spam is neither converted nor given a status (it would be
// worked on yet stay hidden in the spam group) until it is moved to the
// inbox; and one worked on, kept as possible spam from before this rule,
// is never deleted with its staff notes.
func TestPossibleSpamIsNotWorkedOn(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	lena := sitePeople(t, s)["lena"]
	spam, worked, converted := goodInquiry(), goodInquiry(), goodInquiry()
	for _, q := range []*store.Inquiry{spam, worked, converted} {
		q.SpamReason = store.SpamTooFast
		if err := s.CreateInquiry(ctx, store.Actor{}, q, "addr"); err != nil {
			t.Fatal(err)
		}
	}
	patients := func() int {
		n, err := store.CountForTest(ctx, s, `SELECT count(*) FROM patients`)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := patients()
	if _, err := s.ConvertInquiry(ctx, lena, spam.ID); code(err) != clinic.EConflict || !strings.Contains(clinic.ErrorMessage(err), "inbox") {
		t.Errorf("converting possible spam = %v, want a conflict saying to move it to the inbox", err)
	}
	if n := patients(); n != before {
		t.Errorf("converting possible spam made %d patient records", n-before)
	}
	if err := s.SetInquiryStatus(ctx, lena, spam.ID, store.InquiryContacted, "Called."); code(err) != clinic.EConflict {
		t.Errorf("marking possible spam contacted = %v, want conflict", err)
	}
	if q, err := s.Inquiry(ctx, lena, spam.ID); err != nil || q.Status != store.InquiryNew || len(q.Events) != 0 {
		t.Errorf("possible spam after refused work = %+v, %v; want new, no history", q, err)
	}
	// Once in the inbox, the same work is allowed.
	if err := s.MarkInquiryGenuine(ctx, lena, spam.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.SetInquiryStatus(ctx, lena, spam.ID, store.InquiryContacted, "Called."); err != nil {
		t.Errorf("marking a genuine inquiry contacted = %v", err)
	}

	// Worked on while kept as possible spam (before this rule): kept.
	if err := store.ExecForTest(ctx, s, `UPDATE inquiries SET status = 'contacted' WHERE id = $1`, worked.ID); err != nil {
		t.Fatal(err)
	}
	if err := store.ExecForTest(ctx, s, `INSERT INTO inquiry_events (id, inquiry_id, status, note, actor_id, at) VALUES ('ev-worked', $1, 'contacted', 'Left a voicemail.', $2, $3)`, worked.ID, lena.UserID, now); err != nil {
		t.Fatal(err)
	}
	if err := store.ExecForTest(ctx, s, `UPDATE inquiries SET status = 'converted', patient_id = 'some-patient' WHERE id = $1`, converted.ID); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{worked.ID, converted.ID} {
		if err := s.DeleteSpamInquiry(ctx, lena, id); code(err) != clinic.EConflict {
			t.Errorf("deleting possible spam worked on = %v, want conflict", err)
		}
	}
	if q, err := s.Inquiry(ctx, lena, worked.ID); err != nil || len(q.Events) != 1 || q.Events[0].Note != "Left a voicemail." {
		t.Errorf("worked-on inquiry after a refused delete = %+v, %v; want it with its note", q, err)
	}
	if _, err := s.Inquiry(ctx, lena, converted.ID); err != nil {
		t.Errorf("converted inquiry after a refused delete: %v", err)
	}
	if n, _, _ := s.CountAudit(ctx, "inquiry.delete", "", "", time.Time{}); n != 0 {
		t.Errorf("inquiry.delete rows = %d, want 0", n)
	}
}
