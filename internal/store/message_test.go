package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// TestMessagesThreadsAndReadState: the patient starts a thread, the team
// replies; each reader's unread count is their own, reading marks it read,
// and who answered is listed; every read and write is audited.
func TestMessagesThreadsAndReadState(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	sent, err := s.StartThread(ctx, pr.patient, pr.p.ID, store.MessageInput{Subject: "Sleep", Body: "I have been sleeping badly since Tuesday."})
	if err != nil {
		t.Fatal(err)
	}
	if sent.Risk || sent.AlertID != "" {
		t.Errorf("an ordinary message raised an alert: %+v", sent)
	}
	unread := func(a store.Actor) int {
		t.Helper()
		m, err := s.UnreadMessagesForStaff(ctx, a, []string{pr.p.ID, pr.q.ID})
		if err != nil {
			t.Fatal(err)
		}
		n, err := s.StaffUnreadMessages(ctx, a)
		if err != nil || n != m[pr.p.ID]+m[pr.q.ID] {
			t.Fatalf("StaffUnreadMessages = %d, %v; per patient %v", n, err, m)
		}
		return m[pr.p.ID]
	}
	if unread(pr.thea) != 1 || unread(pr.rex) != 1 || unread(pr.theo) != 0 {
		t.Fatalf("unread after the patient wrote: thea %d rex %d theo %d, want 1 1 0", unread(pr.thea), unread(pr.rex), unread(pr.theo))
	}
	if n, err := s.PatientUnreadMessages(ctx, pr.patient, pr.p.ID); err != nil || n != 0 {
		t.Fatalf("patient's own unread = %d, %v, want 0 (their own message)", n, err)
	}
	// Thea reads and replies; Rex has still not read.
	th, msgs, err := s.Thread(ctx, pr.thea, pr.p.ID, sent.ThreadID)
	if err != nil || len(msgs) != 1 || th.Unread != 1 || th.ReadSeq != 0 || th.Subject != "Sleep" {
		t.Fatalf("thea's thread = %+v %+v %v", th, msgs, err)
	}
	if unread(pr.thea) != 0 || unread(pr.rex) != 1 {
		t.Fatalf("after thea read: thea %d rex %d, want 0 1", unread(pr.thea), unread(pr.rex))
	}
	if _, err := s.ReplyMessage(ctx, pr.thea, pr.p.ID, sent.ThreadID, store.MessageInput{Body: "Thank you for telling me. Let's talk Thursday."}); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.PatientUnreadMessages(ctx, pr.patient, pr.p.ID); n != 1 {
		t.Fatalf("patient's unread after thea replied = %d, want 1", n)
	}
	if unread(pr.rex) != 1 {
		t.Fatalf("rex's unread counts only the patient's messages: %d, want 1", unread(pr.rex))
	}
	list, err := s.PatientThreads(ctx, pr.patient, pr.p.ID)
	if err != nil || len(list) != 1 || list[0].Unread != 1 || list[0].Count != 2 || strings.Join(list[0].Answered, ",") != "thea" {
		t.Fatalf("patient's threads = %+v, %v", list, err)
	}
	if _, msgs, err = s.Thread(ctx, pr.patient, pr.p.ID, sent.ThreadID); err != nil || len(msgs) != 2 || msgs[1].AuthorName != "thea" || msgs[1].FromPatient {
		t.Fatalf("patient's thread = %+v, %v", msgs, err)
	}
	if n, _ := s.PatientUnreadMessages(ctx, pr.patient, pr.p.ID); n != 0 {
		t.Fatalf("patient's unread after reading = %d, want 0", n)
	}
	// The inbox: thea's and rex's, not theo's.
	for _, c := range []struct {
		who  store.Actor
		want int
	}{{pr.thea, 1}, {pr.rex, 1}, {pr.theo, 0}} {
		in, more, err := s.StaffInbox(ctx, c.who, 0)
		if err != nil || len(in) != c.want || more {
			t.Fatalf("inbox of %s = %+v, %v, %v, want %d", c.who.UserID, in, more, err, c.want)
		}
		if c.want == 1 && (in[0].PatientName != "Pat" || strings.Join(in[0].Answered, ",") != "thea") {
			t.Errorf("inbox row = %+v", in[0])
		}
	}
	for _, a := range []string{"message.send", "message.read", "message.list", "message.inbox"} {
		if n, err := store.CountForTest(ctx, s, `SELECT count(*) FROM audit_events WHERE action = $1`, a); err != nil || n == 0 {
			t.Errorf("no %s audit row (%v)", a, err)
		}
	}
}

// TestMessagesAccess: only the patient and their care team reach the
// messages; another patient, another team, an admin and a thread of
// another patient are told it does not exist, and nothing is saved.
func TestMessagesAccess(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	sent, err := s.StartThread(ctx, pr.patient, pr.p.ID, store.MessageInput{Subject: "Hello", Body: "First"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.StartThread(ctx, pr.other, pr.q.ID, store.MessageInput{Subject: "Mine", Body: "Quin's"})
	if err != nil {
		t.Fatal(err)
	}
	count := func() int {
		n, err := store.CountForTest(ctx, s, `SELECT count(*) FROM messages`)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	for _, c := range []struct {
		name    string
		who     store.Actor
		patient string
		thread  string
	}{
		{"another patient, their own id", pr.other, pr.p.ID, sent.ThreadID},
		{"another patient's thread under their own record", pr.other, pr.q.ID, sent.ThreadID},
		{"own record, another patient's thread", pr.patient, pr.p.ID, other.ThreadID},
		{"therapist off the team", pr.theo, pr.p.ID, sent.ThreadID},
		{"prescriber off the team", pr.rita, pr.p.ID, sent.ThreadID},
		{"admin", pr.admin, pr.p.ID, sent.ThreadID},
		{"team member, thread of another patient", pr.thea, pr.p.ID, other.ThreadID},
	} {
		if _, _, err := s.Thread(ctx, c.who, c.patient, c.thread); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("%s: Thread = %v, want ENotFound", c.name, err)
		}
		if _, err := s.ReplyMessage(ctx, c.who, c.patient, c.thread, store.MessageInput{Body: "intruding"}); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("%s: ReplyMessage = %v, want ENotFound", c.name, err)
		}
		// Even an empty reply is not found rather than invalid.
		if _, err := s.ReplyMessage(ctx, c.who, c.patient, c.thread, store.MessageInput{}); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("%s: empty ReplyMessage = %v, want ENotFound", c.name, err)
		}
	}
	// Staff reply but never start a thread.
	if _, err := s.StartThread(ctx, pr.thea, pr.p.ID, store.MessageInput{Subject: "x", Body: "y"}); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("staff StartThread = %v, want ENotFound", err)
	}
	if _, err := s.PatientThreads(ctx, pr.admin, pr.p.ID); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("admin PatientThreads = %v, want ENotFound", err)
	}
	if _, err := s.PatientUnreadMessages(ctx, pr.thea, pr.p.ID); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("staff PatientUnreadMessages = %v, want ENotFound", err)
	}
	if m, _ := s.UnreadMessagesForStaff(ctx, pr.theo, []string{pr.p.ID}); len(m) != 0 {
		t.Errorf("theo sees unread counts of a patient not on his team: %v", m)
	}
	if n := count(); n != before {
		t.Fatalf("messages %d -> %d: a refused post was saved", before, n)
	}
	if n, _ := store.CountForTest(ctx, s, `SELECT count(*) FROM audit_events WHERE outcome = 'denied'`); n == 0 {
		t.Error("refusals are not audited")
	}
}

// TestMessageValidation: an empty or too long message, and a missing or
// too long subject, are field errors; nothing is saved.
func TestMessageValidation(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	long := strings.Repeat("a", store.MaxMessage+1)
	for _, c := range []struct {
		in    store.MessageInput
		field string
	}{
		{store.MessageInput{Subject: "Hi", Body: "   "}, "body"},
		{store.MessageInput{Subject: "Hi", Body: long}, "body"},
		{store.MessageInput{Subject: "", Body: "text"}, "subject"},
		{store.MessageInput{Subject: strings.Repeat("s", store.MaxSubject+1), Body: "text"}, "subject"},
		{store.MessageInput{Subject: "two\nlines", Body: "text"}, "subject"},
	} {
		_, err := s.StartThread(ctx, pr.patient, pr.p.ID, c.in)
		var ce *clinic.Error
		if e, ok := err.(*clinic.Error); ok {
			ce = e
		}
		if ce == nil || ce.Code != clinic.EInvalid || ce.Fields[c.field] == "" {
			t.Errorf("StartThread(%.20q, %.20q) = %v, want a %s error", c.in.Subject, c.in.Body, err, c.field)
		}
	}
	// Exactly the limit is fine (in characters, not bytes).
	if _, err := s.StartThread(ctx, pr.patient, pr.p.ID, store.MessageInput{Subject: "ok", Body: strings.Repeat("é", store.MaxMessage)}); err != nil {
		t.Errorf("a message at the limit: %v", err)
	}
	if n, _ := store.CountForTest(ctx, s, `SELECT count(*) FROM messages`); n != 1 {
		t.Errorf("%d messages saved, want only the one at the limit", n)
	}
}

// TestMessageRiskWordsAlert: a patient's message with words of acute risk
// is saved and raises the team's review alert in the same transaction; a
// clinician's message quoting the words raises none; the alert names the
// phrase, never the message's text.
func TestMessageRiskWordsAlert(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	sent, err := s.StartThread(ctx, pr.patient, pr.p.ID, store.MessageInput{Subject: "Tonight", Body: "Honestly I feel like everyone would be better off dead-without-me, I want to die. Secret-Body-8812"})
	if err != nil {
		t.Fatal(err)
	}
	if !sent.Risk || sent.AlertID == "" {
		t.Fatalf("risk message = %+v, want an alert", sent)
	}
	alerts, err := s.OpenSafetyAlerts(ctx, pr.thea)
	if err != nil || len(alerts) != 1 || alerts[0].Source != "message" {
		t.Fatalf("thea's open alerts = %+v, %v", alerts, err)
	}
	if !strings.Contains(alerts[0].Signal, "want to die") || strings.Contains(alerts[0].Signal, "Secret-Body-8812") {
		t.Errorf("alert signal = %q, want the phrase and not the text", alerts[0].Signal)
	}
	if n, _ := store.CountForTest(ctx, s, `SELECT count(*) FROM messages WHERE risk AND id = $1`, sent.MessageID); n != 1 {
		t.Error("the risk message is not saved with its mark")
	}
	// The alert's email is queued with it.
	if n, _ := store.CountForTest(ctx, s, `SELECT count(*) FROM jobs WHERE kind = $1`, store.JobAlertEmail); n != 1 {
		t.Errorf("%d alert emails queued, want 1", n)
	}
	// A clinician writing the same words raises nothing more.
	if r, err := s.ReplyMessage(ctx, pr.thea, pr.p.ID, sent.ThreadID, store.MessageInput{Body: "When you say you want to die, are you safe right now?"}); err != nil || r.Risk {
		t.Fatalf("clinician's reply = %+v, %v, want no risk", r, err)
	}
	if n, _ := store.CountForTest(ctx, s, `SELECT count(*) FROM safety_alert_signals`); n != 1 {
		t.Errorf("%d alert signals, want 1", n)
	}
}

// TestMessageEmailToSend: the patient's message tells the care team, a
// clinician's tells the patient (with an account and an email); a message
// of an archived patient, or one that does not exist, tells no one.
func TestMessageEmailToSend(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	if err := store.ExecForTest(ctx, s, `UPDATE patients SET email = 'pat-home@example.org' WHERE id = $1`, pr.p.ID); err != nil {
		t.Fatal(err)
	}
	sent, err := s.StartThread(ctx, pr.patient, pr.p.ID, store.MessageInput{Subject: "Hi", Body: "Hello"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.MessageEmailToSend(ctx, fmt.Sprintf(`{"message":%q}`, sent.MessageID))
	if err != nil || m == nil || m.ToPatient || strings.Join(m.To, ",") != "rex@example.org,thea@example.org" {
		t.Fatalf("patient's message tells %+v, %v", m, err)
	}
	r, err := s.ReplyMessage(ctx, pr.rex, pr.p.ID, sent.ThreadID, store.MessageInput{Body: "Noted"})
	if err != nil {
		t.Fatal(err)
	}
	m, err = s.MessageEmailToSend(ctx, fmt.Sprintf(`{"message":%q}`, r.MessageID))
	if err != nil || m == nil || !m.ToPatient || strings.Join(m.To, ",") != "pat-home@example.org" {
		t.Fatalf("rex's reply tells %+v, %v", m, err)
	}
	if m, err := s.MessageEmailToSend(ctx, `{"message":"nope"}`); err != nil || m != nil {
		t.Errorf("missing message: %+v, %v", m, err)
	}
	if _, err := s.MessageEmailToSend(ctx, `{`); err == nil {
		t.Error("an unreadable payload is not an error")
	}
	if n, _ := store.CountForTest(ctx, s, `SELECT count(*) FROM jobs WHERE kind = $1`, store.JobMessageEmail); n != 2 {
		t.Errorf("%d message emails queued, want 2", n)
	}
}

// TestStaffInboxPages: the inbox is paged in SQL, newest first, with no
// thread on two pages.
func TestStaffInboxPages(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	n := store.MessagePageSize + 3
	for i := 0; i < n; i++ {
		pr.now = pr.now.Add(time.Minute)
		if _, err := s.StartThread(ctx, pr.patient, pr.p.ID, store.MessageInput{Subject: fmt.Sprintf("Thread %02d", i), Body: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	first, more, err := s.StaffInbox(ctx, pr.thea, 0)
	if err != nil || len(first) != store.MessagePageSize || !more || first[0].Subject != fmt.Sprintf("Thread %02d", n-1) {
		t.Fatalf("first page: %d threads, more %v, %v", len(first), more, err)
	}
	second, more, err := s.StaffInbox(ctx, pr.thea, 1)
	if err != nil || len(second) != 3 || more || second[2].Subject != "Thread 00" {
		t.Fatalf("second page: %d threads, more %v, %v", len(second), more, err)
	}
	t.Logf("%d threads on 2 pages", n)
}

// TestMessageRiskInSubject: the subject of a new thread is screened with
// its body: risk words in the subject alone raise the alert.
func TestMessageRiskInSubject(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	sent, err := s.StartThread(ctx, pr.patient, pr.p.ID, store.MessageInput{Subject: "I want to end it all", Body: "See the subject."})
	if err != nil {
		t.Fatal(err)
	}
	if !sent.Risk || sent.AlertID == "" {
		t.Fatalf("a risk subject = %+v, want an alert", sent)
	}
	alerts, err := s.OpenSafetyAlerts(ctx, pr.thea)
	if err != nil || len(alerts) != 1 || !strings.Contains(alerts[0].Signal, "end it all") {
		t.Fatalf("open alerts = %+v, %v", alerts, err)
	}
	// A reply in that thread is screened on its own words, not the
	// thread's subject again.
	r, err := s.ReplyMessage(ctx, pr.patient, pr.p.ID, sent.ThreadID, store.MessageInput{Body: "I talked to my sister, I am safe tonight."})
	if err != nil || r.Risk {
		t.Fatalf("a plain reply = %+v, %v, want no risk", r, err)
	}
}

// TestMessageRiskBadgeStays: a thread holding a risk message keeps its
// mark in the inbox and the patient's thread list after a later message
// ("sorry, ignore that"); a thread without one has none.
func TestMessageRiskBadgeStays(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	plain, err := s.StartThread(ctx, pr.patient, pr.p.ID, store.MessageInput{Subject: "Parking", Body: "Where do I park?"})
	if err != nil {
		t.Fatal(err)
	}
	pr.now = pr.now.Add(time.Minute)
	sent, err := s.StartThread(ctx, pr.patient, pr.p.ID, store.MessageInput{Subject: "Tonight", Body: "I want to die."})
	if err != nil || !sent.Risk {
		t.Fatalf("risk message = %+v, %v", sent, err)
	}
	pr.now = pr.now.Add(time.Minute)
	if _, err := s.ReplyMessage(ctx, pr.patient, pr.p.ID, sent.ThreadID, store.MessageInput{Body: "Sorry, ignore that, I was upset."}); err != nil {
		t.Fatal(err)
	}
	risk := func(list []store.MessageThread) map[string]bool {
		m := map[string]bool{}
		for _, th := range list {
			m[th.ID] = th.Risk
		}
		return m
	}
	in, _, err := s.StaffInbox(ctx, pr.thea, 0)
	if err != nil {
		t.Fatal(err)
	}
	if m := risk(in); !m[sent.ThreadID] || m[plain.ThreadID] {
		t.Errorf("inbox risk marks = %v, want the risk thread only", m)
	}
	list, err := s.PatientThreads(ctx, pr.thea, pr.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if m := risk(list); !m[sent.ThreadID] || m[plain.ThreadID] {
		t.Errorf("patient's thread list risk marks = %v, want the risk thread only", m)
	}
	th, _, err := s.Thread(ctx, pr.thea, pr.p.ID, sent.ThreadID)
	if err != nil || !th.Risk {
		t.Errorf("thread = %+v, %v, want its risk mark", th, err)
	}
}

// TestMessageUnreadArchivedPatient: an archived patient's unread message
// counts neither in the navigation's count nor in the caseload's badges,
// as the inbox leaves them out.
func TestMessageUnreadArchivedPatient(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	if _, err := s.StartThread(ctx, pr.patient, pr.p.ID, store.MessageInput{Subject: "Hi", Body: "Hello"}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.StaffUnreadMessages(ctx, pr.thea); err != nil || n != 1 {
		t.Fatalf("before archiving: %d, %v, want 1", n, err)
	}
	if err := store.ExecForTest(ctx, s, `UPDATE patients SET archived_at = $1 WHERE id = $2`, pr.now, pr.p.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := s.StaffUnreadMessages(ctx, pr.thea); err != nil || n != 0 {
		t.Errorf("StaffUnreadMessages after archiving = %d, %v, want 0", n, err)
	}
	if m, err := s.UnreadMessagesForStaff(ctx, pr.thea, []string{pr.p.ID}); err != nil || len(m) != 0 {
		t.Errorf("UnreadMessagesForStaff after archiving = %v, %v, want none", m, err)
	}
	if in, _, err := s.StaffInbox(ctx, pr.thea, 0); err != nil || len(in) != 0 {
		t.Errorf("inbox after archiving = %d threads, %v, want 0", len(in), err)
	}
}

// TestStaffInboxAuditPerPatient: reading the inbox writes one audit row
// per patient on the page, naming their thread ids and nothing of what
// they wrote.
func TestStaffInboxAuditPerPatient(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	if err := s.AddTeamMember(ctx, pr.theo, pr.q.ID, pr.thea.UserID); err != nil {
		t.Fatal(err)
	}
	threads := map[string][]string{}
	for i, c := range []struct {
		who     store.Actor
		patient string
	}{{pr.patient, pr.p.ID}, {pr.other, pr.q.ID}, {pr.patient, pr.p.ID}} {
		pr.now = pr.now.Add(time.Minute)
		sent, err := s.StartThread(ctx, c.who, c.patient, store.MessageInput{Subject: fmt.Sprintf("Subject-Secret-%d", i), Body: "Body-Secret"})
		if err != nil {
			t.Fatal(err)
		}
		threads[c.patient] = append(threads[c.patient], sent.ThreadID)
	}
	in, _, err := s.StaffInbox(ctx, pr.thea, 0)
	if err != nil || len(in) != 3 {
		t.Fatalf("inbox = %d threads, %v, want 3", len(in), err)
	}
	if n, _ := store.CountForTest(ctx, s, `SELECT count(*) FROM audit_events WHERE action = 'message.inbox'`); n != 2 {
		t.Errorf("%d message.inbox audit rows, want 2 (one per patient)", n)
	}
	for patient, ids := range threads {
		detail, err := store.StringForTest(ctx, s, `SELECT detail FROM audit_events WHERE action = 'message.inbox' AND patient_id = $1 AND actor_id = $2`, patient, pr.thea.UserID)
		if err != nil {
			t.Errorf("no message.inbox audit row for patient %s: %v", patient, err)
			continue
		}
		for _, id := range ids {
			if !strings.Contains(detail, id) {
				t.Errorf("audit detail %q lacks thread %s", detail, id)
			}
		}
		if strings.Contains(detail, "Secret") {
			t.Errorf("audit detail %q holds what was written", detail)
		}
	}
}

// TestStaffInboxHugePage: a page number whose offset would overflow is an
// empty page, never an error or the first page again.
func TestStaffInboxHugePage(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	if _, err := s.StartThread(ctx, pr.patient, pr.p.ID, store.MessageInput{Subject: "Hi", Body: "Hello"}); err != nil {
		t.Fatal(err)
	}
	for _, page := range []int{store.MaxInboxPage + 1, 368934881474191033, int(^uint(0) >> 1)} {
		in, more, err := s.StaffInbox(ctx, pr.thea, page)
		if err != nil || len(in) != 0 || more {
			t.Errorf("StaffInbox(page %d) = %d threads, more %v, %v, want an empty page", page, len(in), more, err)
		}
	}
}

// TestStaffUnreadKeptInStep: the navigation's unread count is read from
// message_unread, kept in the transactions that change it; after every
// step (messages sent by the patient and by the team, threads read, a
// clinician added to the care team after the patient wrote, removed and
// added again) it equals counting every message the clinician has not read
// on their care teams, and each clinician's count is their own.
func TestStaffUnreadKeptInStep(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	truth := func(a store.Actor) int {
		t.Helper()
		n, err := store.CountForTest(ctx, s, `SELECT count(*) FROM care_team c
			JOIN patients p ON p.id = c.patient_id AND p.archived_at IS NULL
			JOIN message_threads t ON t.patient_id = c.patient_id
			JOIN messages m ON m.thread_id = t.id AND m.from_patient
			LEFT JOIN message_reads r ON r.thread_id = t.id AND r.user_id = $1
			WHERE c.user_id = $1 AND c.removed_at IS NULL AND m.seq > coalesce(r.read_seq, 0)`, a.UserID)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	check := func(step string, want map[string]int) {
		t.Helper()
		for name, a := range map[string]store.Actor{"thea": pr.thea, "rex": pr.rex, "rita": pr.rita, "theo": pr.theo} {
			n, err := s.StaffUnreadMessages(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			if tr := truth(a); n != tr || n != want[name] {
				t.Errorf("%s: %s's unread count = %d, counting every message %d, want %d", step, name, n, tr, want[name])
			}
		}
	}
	check("no messages", nil)
	one, err := s.StartThread(ctx, pr.patient, pr.p.ID, store.MessageInput{Subject: "Sleep", Body: "Sleeping badly."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReplyMessage(ctx, pr.patient, pr.p.ID, one.ThreadID, store.MessageInput{Body: "And tired."}); err != nil {
		t.Fatal(err)
	}
	two, err := s.StartThread(ctx, pr.patient, pr.p.ID, store.MessageInput{Subject: "Forms", Body: "Which form?"})
	if err != nil {
		t.Fatal(err)
	}
	check("the patient wrote three messages in two threads", map[string]int{"thea": 3, "rex": 3})
	if _, _, err := s.Thread(ctx, pr.thea, pr.p.ID, one.ThreadID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReplyMessage(ctx, pr.rex, pr.p.ID, two.ThreadID, store.MessageInput{Body: "The blue one."}); err != nil {
		t.Fatal(err)
	}
	check("thea read one thread, rex replied in the other", map[string]int{"thea": 1, "rex": 2})
	if err := s.AddTeamMember(ctx, pr.thea, pr.p.ID, pr.rita.UserID); err != nil {
		t.Fatal(err)
	}
	check("rita joined the care team after the patient wrote", map[string]int{"thea": 1, "rex": 2, "rita": 3})
	if _, _, err := s.Thread(ctx, pr.rita, pr.p.ID, two.ThreadID); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveTeamMember(ctx, pr.thea, pr.p.ID, pr.rita.UserID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReplyMessage(ctx, pr.patient, pr.p.ID, two.ThreadID, store.MessageInput{Body: "Thanks."}); err != nil {
		t.Fatal(err)
	}
	check("rita left; the patient wrote again", map[string]int{"thea": 2, "rex": 3})
	if err := s.AddTeamMember(ctx, pr.thea, pr.p.ID, pr.rita.UserID); err != nil {
		t.Fatal(err)
	}
	check("rita joined again", map[string]int{"thea": 2, "rex": 3, "rita": 3})
}

// TestStaffUnreadConcurrent: the patient writes while clinicians read the
// thread and a clinician joins the care team, all at once (on PostgreSQL,
// concurrent transactions under READ COMMITTED). Every write succeeds (a
// recount that counted from before another's commit used to fail on a
// duplicate key) and the kept counts equal counting every message.
func TestStaffUnreadConcurrent(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	th, err := s.StartThread(ctx, pr.patient, pr.p.ID, store.MessageInput{Subject: "Sleep", Body: "Sleeping badly."})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 12 {
		wg.Add(3)
		go func() {
			defer wg.Done()
			_, err := s.ReplyMessage(ctx, pr.patient, pr.p.ID, th.ThreadID, store.MessageInput{Body: fmt.Sprintf("Note %d.", i)})
			errs <- err
		}()
		go func() {
			defer wg.Done()
			_, _, err := s.Thread(ctx, pr.thea, pr.p.ID, th.ThreadID)
			errs <- err
		}()
		go func() {
			defer wg.Done()
			if i == 6 {
				errs <- s.AddTeamMember(ctx, pr.thea, pr.p.ID, pr.rita.UserID)
				return
			}
			_, _, err := s.Thread(ctx, pr.rex, pr.p.ID, th.ThreadID)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a concurrent write failed: %v", err)
		}
	}
	for name, a := range map[string]store.Actor{"thea": pr.thea, "rex": pr.rex, "rita": pr.rita} {
		n, err := s.StaffUnreadMessages(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		truth, err := store.CountForTest(ctx, s, `SELECT count(*) FROM care_team c
			JOIN message_threads t ON t.patient_id = c.patient_id
			JOIN messages m ON m.thread_id = t.id AND m.from_patient
			LEFT JOIN message_reads r ON r.thread_id = t.id AND r.user_id = $1
			WHERE c.user_id = $1 AND c.removed_at IS NULL AND m.seq > coalesce(r.read_seq, 0)`, a.UserID)
		if err != nil {
			t.Fatal(err)
		}
		if n != truth {
			t.Errorf("%s's unread count = %d, counting every message %d", name, n, truth)
		}
	}
}
