package store_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

const skillPrivateCanary = "PRIVATE-skill-canary-5521"

// TestSkillsPrivateNeverToStaff: the care team reads shared entries only;
// a private entry is not found for staff even by its id, and its text is
// never returned; nobody but the patient writes or lists their own; the
// patient can share and unshare later.
func TestSkillsPrivateNeverToStaff(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	today := pr.now.Format(time.DateOnly)

	private, err := s.SaveSkillEntry(ctx, pr.patient, pr.p.ID, store.SkillInput{Kind: clinic.SkillEmotion, Today: today,
		Form: url.Values{"feeling": {"ashamed"}, "intensity": {"70"}, "message": {skillPrivateCanary}}})
	if err != nil {
		t.Fatal(err)
	}
	pr.now = pr.now.Add(time.Minute)
	shared, err := s.SaveSkillEntry(ctx, pr.patient, pr.p.ID, store.SkillInput{Kind: clinic.SkillOptions, Today: today, Shared: true,
		Form: url.Values{"problem": {"My neighbour's music at night"}, "choice": {"solve"}, "first_step": {"Knock on Sunday"}}})
	if err != nil {
		t.Fatal(err)
	}

	for name, who := range map[string]store.Actor{"therapist": pr.thea, "prescriber": pr.rex} {
		list, more, err := s.SharedSkillList(ctx, who, pr.p.ID, "", 0, 10)
		if err != nil || more || len(list) != 1 || list[0].ID != shared || list[0].Title != "Four options: My neighbour's music at night" {
			t.Fatalf("SharedSkillList as the %s = %+v, %v, %v; want the shared entry only", name, list, more, err)
		}
		if _, err := s.SharedSkillEntry(ctx, who, pr.p.ID, private); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("SharedSkillEntry(private) as the %s = %v, want %s", name, err, clinic.ENotFound)
		}
		if e, err := s.SharedSkillEntry(ctx, who, pr.p.ID, shared); err != nil || e.Options.FirstStep != "Knock on Sunday" {
			t.Errorf("SharedSkillEntry(shared) as the %s = %+v, %v", name, e, err)
		}
		sum, err := s.SharedSkillEntries(ctx, who, pr.p.ID, time.Time{}, 10)
		if err != nil || len(sum) != 1 || sum[0].ID != shared || sum[0].Kind != clinic.SkillOptions {
			t.Errorf("SharedSkillEntries as the %s = %+v, %v", name, sum, err)
		}
		if _, _, err := s.OwnSkillEntries(ctx, who, pr.p.ID, "", 0, 10); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("OwnSkillEntries as the %s = %v, want %s", name, err, clinic.ENotFound)
		}
		if _, err := s.OwnSkillEntry(ctx, who, pr.p.ID, private); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("OwnSkillEntry as the %s = %v, want %s", name, err, clinic.ENotFound)
		}
		if err := s.ShareSkillEntry(ctx, who, pr.p.ID, private, true); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("ShareSkillEntry as the %s = %v, want %s", name, err, clinic.ENotFound)
		}
		if _, err := s.SaveSkillEntry(ctx, who, pr.p.ID, store.SkillInput{EntryID: shared, Kind: clinic.SkillOptions, Today: today, Shared: true, Form: url.Values{"problem": {"x"}, "choice": {"stuck"}}}); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("SaveSkillEntry as the %s = %v, want %s", name, err, clinic.ENotFound)
		}
	}
	for name, who := range map[string]store.Actor{"admin": pr.admin, "therapist off the team": pr.theo, "another patient": pr.other} {
		if _, _, err := s.SharedSkillList(ctx, who, pr.p.ID, "", 0, 10); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("SharedSkillList as %s = %v, want %s", name, err, clinic.ENotFound)
		}
		if _, err := s.SharedSkillEntry(ctx, who, pr.p.ID, shared); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("SharedSkillEntry as %s = %v, want %s", name, err, clinic.ENotFound)
		}
	}

	// Shared later, then private again: staff see it, then not.
	pr.now = pr.now.Add(time.Minute)
	if err := s.ShareSkillEntry(ctx, pr.patient, pr.p.ID, private, true); err != nil {
		t.Fatal(err)
	}
	if e, err := s.SharedSkillEntry(ctx, pr.thea, pr.p.ID, private); err != nil || e.Emotion.Message != skillPrivateCanary {
		t.Errorf("after sharing: %+v, %v", e, err)
	}
	if err := s.ShareSkillEntry(ctx, pr.patient, pr.p.ID, private, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SharedSkillEntry(ctx, pr.thea, pr.p.ID, private); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("after unsharing: %v, want %s", err, clinic.ENotFound)
	}
	own, more, err := s.OwnSkillEntries(ctx, pr.patient, pr.p.ID, "", 0, 10)
	if err != nil || more || len(own) != 2 || own[0].ID != shared {
		t.Errorf("OwnSkillEntries = %+v, %v, %v", own, more, err)
	}
	var audited int
	audited, err = store.CountForTest(ctx, s, `SELECT count(*) FROM audit_events WHERE action IN ('skills.save', 'skills.share', 'skills.read') AND outcome = 'success' AND patient_id = $1`, pr.p.ID)
	if err != nil || audited < 10 {
		t.Errorf("%d audited skills rows, %v", audited, err)
	}
	t.Logf("%d audited rows", audited)
}

// TestSkillsForms: a form that cannot be saved says where and saves
// nothing; a diary card has one entry per day (a second save of the day
// changes it); the urges are the team's choice; paging is in SQL.
func TestSkillsForms(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	today := pr.now.Format(time.DateOnly)

	_, err := s.SaveSkillEntry(ctx, pr.patient, pr.p.ID, store.SkillInput{Kind: clinic.SkillCopeAhead, Today: today, Form: url.Values{"situation": {"Court date"}}})
	if e, ok := err.(*clinic.Error); !ok || e.Fields["on"] == "" {
		t.Fatalf("cope ahead without a day = %v, want an error at the day", err)
	}
	if _, err := s.SaveSkillEntry(ctx, pr.patient, pr.p.ID, store.SkillInput{Kind: "nope", Today: today, Form: url.Values{}}); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("unknown kind = %v", err)
	}

	first, err := s.SaveSkillEntry(ctx, pr.patient, pr.p.ID, store.SkillInput{Kind: clinic.SkillDiary, Today: today, Form: url.Values{"day": {today}, "emotion_sadness": {"2"}}})
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.SaveSkillEntry(ctx, pr.patient, pr.p.ID, store.SkillInput{Kind: clinic.SkillDiary, Today: today, Form: url.Values{"day": {today}, "emotion_sadness": {"4"}, "urge_self_harm": {"1"}}, Shared: true})
	if err != nil || again != first {
		t.Fatalf("second card of the day = %q, %v; want the first (%q) changed", again, err, first)
	}
	if err := s.SetDiaryUrges(ctx, pr.thea, pr.p.ID, []string{"alcohol", "lash_out"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDiaryUrges(ctx, pr.thea, pr.p.ID, nil); clinic.ErrorCode(err) != clinic.EInvalid {
		t.Errorf("no urges = %v", err)
	}
	if err := s.SetDiaryUrges(ctx, pr.theo, pr.p.ID, []string{"alcohol"}); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("urges by a therapist off the team = %v", err)
	}
	if u, err := s.DiaryUrges(ctx, pr.patient, pr.p.ID); err != nil || strings.Join(u, ",") != "alcohol,lash_out" {
		t.Errorf("DiaryUrges = %v, %v", u, err)
	}
	monday := pr.now.AddDate(0, 0, -((int(pr.now.Weekday()) + 6) % 7)).Format(time.DateOnly)
	week, err := s.SharedDiaryDays(ctx, pr.thea, pr.p.ID, monday, pr.now.AddDate(0, 0, 7).Format(time.DateOnly))
	if err != nil || week[today].ID != first || week[today].Diary.Emotions["sadness"] != 4 {
		t.Errorf("DiaryWeek = %+v, %v", week, err)
	}

	for i := range 7 {
		pr.now = pr.now.Add(time.Second)
		if _, err := s.SaveSkillEntry(ctx, pr.patient, pr.p.ID, store.SkillInput{Kind: clinic.SkillEmotion, Today: today, Form: url.Values{"feeling": {"calm"}, "intensity": {strings.Repeat("1", 1+i%2)}}}); err != nil {
			t.Fatal(err)
		}
	}
	p0, more, err := s.OwnSkillEntries(ctx, pr.patient, pr.p.ID, clinic.SkillEmotion, 0, 5)
	if err != nil || len(p0) != 5 || !more {
		t.Fatalf("page 0 = %d, %v, %v", len(p0), more, err)
	}
	p1, more, err := s.OwnSkillEntries(ctx, pr.patient, pr.p.ID, clinic.SkillEmotion, 1, 5)
	if err != nil || len(p1) != 2 || more || p1[0].ID == p0[4].ID {
		t.Errorf("page 1 = %d, %v, %v", len(p1), more, err)
	}
}
