package main

import (
	"context"
	"fmt"
	"net/mail"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/audit"
	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/notify/smtptest"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestServeRunsJobs: a running kapstone picks up background jobs from the
// database (here a job written by another process, as a second instance
// would), runs it, and records its outcome for the admin jobs page.
func TestServeRunsJobs(t *testing.T) {
	dsn := storetest.DSN(t)
	args := []string{"serve", "-addr", "127.0.0.1:0"}
	if store.IsPostgresDSN(dsn) {
		args = append(args, "-db", dsn, "-data-dir", t.TempDir())
	} else {
		args = append(args, "-data-dir", filepath.Dir(dsn))
	}
	start(t, nil, args...)
	ctx := context.Background()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// An alert email for an alert that does not exist: the handler runs and
	// fails, which shows the server's runner claimed it.
	id, err := st.Enqueue(ctx, store.JobAlertEmail, `{"alert":"no-such-alert"}`, time.Now(), "")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		jobs, err := st.ListJobs(ctx, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range jobs {
			if j.ID == id && j.Attempts > 0 && j.Status != store.JobRunning {
				if !strings.Contains(j.LastError, "alert email") {
					t.Fatalf("job ran with error %q, want the alert email handler's", j.LastError)
				}
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the server's job runner did not run the job within 30 s")
}

// TestReminderEmailsSurviveMailOutage: reminders reach a real SMTP server
// through the running program; the server is killed partway and started
// again on the same address; after a retry every reminder has arrived
// exactly once.
func TestReminderEmailsSurviveMailOutage(t *testing.T) {
	sink, err := smtptest.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := sink.Addr()
	dsn := storetest.DSN(t)
	args := []string{"serve", "-addr", "127.0.0.1:0", "-smtp-url", "smtp://" + addr, "-mail-from", "care@practice.example"}
	dataDir := filepath.Dir(dsn)
	if store.IsPostgresDSN(dsn) {
		dataDir = t.TempDir()
		args = append(args, "-db", dsn)
	}
	start(t, nil, append(args, "-data-dir", dataDir)...)
	ctx := context.Background()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// This handle writes audited rows too: it signs with the server's key.
	key, err := audit.LoadKey(filepath.Join(dataDir, "audit-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	st.SetAuditKey(key)
	st.SetKeyring(dataKeys(t, dataDir))

	// A therapist and 20 patients, each with an appointment in three days.
	hash, _ := auth.HashPassword("correct horse battery staple 1", auth.Params{Time: 1, Memory: 8 * 1024, Threads: 1})
	th := &clinic.User{Email: "thea@practice.example", DisplayName: "Thea", Role: clinic.RoleTherapist}
	if err := st.CreateUser(ctx, store.System, th, hash); err != nil {
		t.Fatal(err)
	}
	thea := store.Actor{UserID: th.ID, Role: th.Role}
	const n = 20
	want := map[string]bool{}
	base := time.Now().Add(72 * time.Hour).Truncate(time.Hour)
	var ids []string
	for i := 0; i < n; i++ {
		email := fmt.Sprintf("patient%02d@mail.example", i)
		p := &store.Patient{DisplayName: fmt.Sprintf("Patient %02d", i), Email: email}
		if err := st.CreatePatient(ctx, thea, p, ""); err != nil {
			t.Fatal(err)
		}
		ap := &store.Appointment{Kind: "integration", StartsAt: base.Add(time.Duration(i) * time.Hour), Minutes: 50}
		if err := st.CreateAppointment(ctx, thea, p.ID, ap); err != nil {
			t.Fatal(err)
		}
		want[email] = true
		ids = append(ids, ap.ID)
	}
	// The 48-hour reminders are a day away; make them due now, as the
	// clock would.
	for _, id := range ids {
		if _, err := st.Enqueue(ctx, store.JobReminder, `{"appointment":"`+id+`","sequence":0}`, time.Now(), "e2e:"+id); err != nil {
			t.Fatal(err)
		}
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	// Kill the mail server partway through.
	waitFor("the first reminders", func() bool { return len(sink.Messages()) >= 3 })
	sink.Close()
	before := sink.Messages()
	waitFor("the rest to fail or wait", func() bool {
		jobs, _ := st.ListJobs(ctx, store.JobRunning, 100)
		return len(jobs) == 0
	})
	// Start it again on the same address and retry, as an admin would.
	again, err := smtptest.Start(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	// Retry now, and again while waiting, as an admin would: a job claimed
	// just before the server came back fails once more and waits for its
	// backoff, which a loaded machine makes likely.
	lastRetry := time.Time{}
	waitFor("every reminder", func() bool {
		if time.Since(lastRetry) > 500*time.Millisecond {
			if _, err := st.RetryJobsNow(ctx, store.System); err != nil {
				t.Fatal(err)
			}
			lastRetry = time.Now()
		}
		return len(before)+len(again.Messages()) >= n
	})
	time.Sleep(300 * time.Millisecond) // room for a duplicate to show
	got := map[string]int{}
	for _, m := range append(before, again.Messages()...) {
		msg, err := mail.ReadMessage(strings.NewReader(m))
		if err != nil {
			t.Fatalf("reminder does not parse: %v\n%s", err, m)
		}
		to, err := msg.Header.AddressList("To")
		if err != nil {
			t.Fatalf("reminder To: %v", err)
		}
		for _, a := range to {
			got[a.Address]++
		}
		if !strings.HasPrefix(msg.Header.Get("Subject"), "Appointment reminder") || strings.Contains(m, "ntegration") {
			t.Errorf("reminder text: %q", m)
		}
	}
	for addr := range want {
		if got[addr] != 1 {
			t.Errorf("%s got %d reminders, want exactly 1", addr, got[addr])
		}
	}
	if len(got) != n {
		t.Errorf("reminders went to %d addresses, want %d", len(got), n)
	}
	t.Logf("%d of %d reminders arrived before the outage", len(before), n)
	if len(before) == 0 || len(before) >= n {
		t.Errorf("%d reminders before the outage: the outage was not mid-run", len(before))
	}
}
