package mailjob_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestCopeAheadReminder: a cope-ahead plan emails the patient the day
// before the situation, and the email holds nothing but "a reminder from"
// the practice and a link to sign in: no word of the plan. A plan moved to
// another day sends only the new day's reminder.
func TestCopeAheadReminder(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := t.Context()
	mailer := &fakeMailer{}
	f.Srv.Config.Mailer = mailer
	today := f.Now.UTC().Format(time.DateOnly)
	on := f.Now.UTC().AddDate(0, 0, 5).Format(time.DateOnly)
	const secret = "Court hearing about custody"
	id, err := f.St.SaveSkillEntry(ctx, f.As("pat@example.org"), f.PA.ID, store.SkillInput{Kind: clinic.SkillCopeAhead, Today: today,
		Form: url.Values{"situation": {secret}, "on": {on}, "hard": {"Seeing him"}, "call": {"Sam"}}})
	if err != nil {
		t.Fatal(err)
	}
	runJobs(f)
	if len(mailer.sent) != 0 {
		t.Fatalf("a reminder went at once: %q", mailer.sent)
	}
	// Moved two days later: the first day's reminder sends nothing.
	later := f.Now.UTC().AddDate(0, 0, 7).Format(time.DateOnly)
	if _, err := f.St.SaveSkillEntry(ctx, f.As("pat@example.org"), f.PA.ID, store.SkillInput{EntryID: id, Kind: clinic.SkillCopeAhead, Today: today,
		Form: url.Values{"situation": {secret}, "on": {later}}}); err != nil {
		t.Fatal(err)
	}
	f.Now = f.Now.AddDate(0, 0, 5)
	runJobs(f)
	if len(mailer.sent) != 0 {
		t.Fatalf("the moved plan's old reminder was sent: %q", mailer.sent)
	}
	f.Now = f.Now.AddDate(0, 0, 2)
	runJobs(f)
	if len(mailer.sent) != 1 {
		t.Fatalf("%d emails by the new day, want the one reminder", len(mailer.sent))
	}
	to, rest, _ := strings.Cut(mailer.sent[0], "|")
	subject, body, _ := strings.Cut(rest, "|")
	practice := f.Srv.PracticeName(ctx)
	if to != "pat@example.org" || subject != "A reminder from "+practice {
		t.Errorf("reminder to %q, subject %q", to, subject)
	}
	want := "Hello,\n\nYou have a reminder from " + practice + ". Sign in to see it: " + f.Srv.LinkBase(nil) + "/portal/skills\n"
	if body != want {
		t.Errorf("reminder body = %q, want only the reminder and the sign-in link: %q", body, want)
	}
	for _, leak := range []string{"Court", "custody", "Seeing", "Sam", "cope", "Cope", "skill", webtest.CanaryA} {
		if strings.Contains(subject+strings.TrimSuffix(body, "/portal/skills\n"), leak) {
			t.Errorf("the reminder contains %q", leak)
		}
	}
	if rows := f.AuditRows("skills.remind"); len(rows) != 1 {
		t.Errorf("%d skills.remind audit rows, want 1", len(rows))
	}
}
