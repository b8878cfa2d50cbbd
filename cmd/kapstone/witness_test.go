package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/audit"
	"github.com/kapstone/kapstone/internal/notify/smtptest"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestAuditWitnessCatchesCutTail is issue 14's finding 3: someone cuts the
// audit log's tail and deletes the newer checkpoints (the database's rows
// and the lines of audit-checkpoints.log). `audit verify` alone still
// passes, and says plainly what it cannot prove; `audit verify -witness
// FILE`, given the checkpoints the running server sent off the machine (the
// emails a real SMTP server received, saved as a mailbox, and the bodies a
// collector received by HTTP POST), fails and names the checkpoint. The
// untampered log verifies with either witness file; a forged witness line is
// reported and not trusted.
func TestAuditWitnessCatchesCutTail(t *testing.T) {
	ctx := context.Background()
	sink, err := smtptest.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	var mu sync.Mutex
	var posts []string
	col := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		posts = append(posts, string(b))
		mu.Unlock()
	}))
	defer col.Close()
	posted := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), posts...)
	}

	dsn := storetest.DSN(t)
	dataDir := filepath.Dir(dsn)
	dbFlags := []string{"-data-dir", dataDir}
	if store.IsPostgresDSN(dsn) {
		dataDir = t.TempDir()
		dbFlags = []string{"-db", dsn, "-data-dir", dataDir}
	}
	// The practice sets its witnesses (as an admin would on the page) and
	// writes some history, signed with the server's key.
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key, err := audit.LoadOrCreateKey(filepath.Join(dataDir, "audit-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	st.SetAuditKey(key)
	st.SetKeyring(dataKeys(t, dataDir))
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveWitness(ctx, store.System, store.WitnessSettings{Email: "audit@practice.example", URL: col.URL + "/kapstone"}); err != nil {
		t.Fatal(err)
	}
	rows := func(n int) {
		for i := 0; i < n; i++ {
			if err := st.Audit(ctx, store.System, store.Entry{Action: "test.history", ObjectType: "test", ObjectID: fmt.Sprint(i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	rows(10)

	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s: %d emails, %d posts", what, len(sink.Messages()), len(posted()))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	in := start(t, nil, append([]string{"serve", "-addr", "127.0.0.1:0", "-smtp-url", "smtp://" + sink.Addr(), "-mail-from", "kapstone@practice.example"}, dbFlags...)...)
	// The server signs a checkpoint as it starts; both witnesses get it.
	waitFor("the first checkpoint witnessed", func() bool { return len(sink.Messages()) >= 1 && len(posted()) >= 1 })
	first, err := audit.ParseCheckpoint(strings.TrimSpace(posted()[0]))
	if err != nil {
		t.Fatalf("the collector received %q: %v", posted()[0], err)
	}
	// More history, and an admin's "send a checkpoint now".
	rows(20)
	if _, err := st.WitnessNow(ctx, store.System); err != nil {
		t.Fatal(err)
	}
	waitFor("the second checkpoint witnessed", func() bool { return len(sink.Messages()) >= 2 && len(posted()) >= 2 })
	if err := in.stop(t); err != nil {
		t.Fatal(err)
	}
	var newest audit.Checkpoint
	for _, p := range posted() {
		c, err := audit.ParseCheckpoint(strings.TrimSpace(p))
		if err != nil {
			t.Fatalf("the collector received %q: %v", p, err)
		}
		if c.Size > newest.Size {
			newest = c
		}
	}
	if newest.Size < first.Size+20 {
		t.Fatalf("witnessed checkpoints cover %d and %d rows, want the second 20 rows on", first.Size, newest.Size)
	}

	// The witness files: the mailbox as a mail client saves it (each
	// message as the SMTP server received it, after a "From " line), and
	// the collector's file.
	var mbox strings.Builder
	qp := 0
	for _, m := range sink.Messages() {
		fmt.Fprintf(&mbox, "From kapstone@practice.example Thu Dec  3 01:00:00 2026\n%s\n", strings.ReplaceAll(m, "\r\n", "\n"))
		if !strings.Contains(m, "Subject: Audit log checkpoint of ") {
			t.Errorf("witness email has no telling subject:\n%s", m)
		}
		if strings.Contains(m, "kapstone-audit-checkpoint-v1 size=3D") {
			qp++ // the mailer wrote it quoted-printable, as a mailbox keeps it
		}
	}
	witnessDir := t.TempDir()
	mboxPath := filepath.Join(witnessDir, "witness.mbox")
	httpPath := filepath.Join(witnessDir, "collector.log")
	writeFile(t, mboxPath, mbox.String())
	writeFile(t, httpPath, strings.Join(posted(), ""))
	if n := len(audit.ScanWitness(mbox.String()).Found); n < 2 {
		t.Fatalf("the saved mailbox reads as %d checkpoints, want at least 2:\n%s", n, mbox.String())
	}
	verify := func(extra ...string) (int, string, string) {
		return kapstone(t, append(append([]string{"audit", "verify"}, dbFlags...), extra...)...)
	}

	// Untampered: verifies alone (saying what it cannot prove) and with
	// either witness file.
	if code, out, errOut := verify(); code != 0 || !strings.Contains(out, "audit log intact") || !strings.Contains(out, "without a witness copy this cannot show that rows after the last checkpoint, or newer checkpoints, were not removed") {
		t.Fatalf("audit verify = %d %q %q, want intact and the caveat", code, out, errOut)
	}
	for _, w := range []string{mboxPath, httpPath} {
		code, out, errOut := verify("-witness", w)
		if code != 0 || !strings.Contains(out, "witnessed checkpoints verify and the log reaches them all") || !strings.Contains(out, fmt.Sprintf("covers %d rows", newest.Size)) {
			t.Fatalf("audit verify -witness %s = %d %q %q, want intact", filepath.Base(w), code, out, errOut)
		}
	}
	// A forged line (the newest, claiming more rows): reported, not trusted.
	forgedPath := filepath.Join(witnessDir, "forged.log")
	forged := strings.Replace(newest.String(), fmt.Sprintf("size=%d ", newest.Size), fmt.Sprintf("size=%d ", newest.Size+500), 1)
	writeFile(t, forgedPath, strings.Join(posted(), "")+forged+"\n")
	if code, out, errOut := verify("-witness", forgedPath); code != 1 || !strings.Contains(errOut, "forged or altered") || !strings.Contains(errOut, "not trusted") || strings.Contains(errOut, "removed") {
		t.Errorf("audit verify with a forged witness line = %d %q %q, want 1 naming it forged and not trusted", code, out, errOut)
	}
	// A file with no checkpoint proves nothing, and says so.
	emptyPath := filepath.Join(witnessDir, "empty.txt")
	writeFile(t, emptyPath, "Subject: lunch\n\nno checkpoints here\n")
	if code, _, errOut := verify("-witness", emptyPath); code != 1 || !strings.Contains(errOut, "holds no kapstone audit checkpoint") {
		t.Errorf("audit verify with an empty witness = %d %q, want 1", code, errOut)
	}

	// The attack: cut the tail between the two witnessed checkpoints, and
	// delete every newer checkpoint, in the database and in the file.
	keep := first.Size + 3
	cutAudit(t, dsn, func(db *sql.DB) {
		mustExec(t, db, `DELETE FROM audit_events WHERE seq > $1`, keep)
		mustExec(t, db, `DELETE FROM audit_checkpoints WHERE size > $1`, first.Size)
	})
	cpPath := filepath.Join(dataDir, "audit-checkpoints.log")
	cps, err := readCheckpoints(cpPath)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, c := range cps {
		if c.Size <= first.Size {
			lines = append(lines, c.String()+"\n")
		}
	}
	writeFile(t, cpPath, strings.Join(lines, ""))

	code, out, errOut := verify()
	if code != 0 || !strings.Contains(out, "not proven: without a witness copy") {
		t.Fatalf("audit verify alone after the cut = %d %q %q; the attack is meant to pass it, with the caveat printed", code, out, errOut)
	}
	for _, w := range []string{mboxPath, httpPath} {
		code, out, errOut := verify("-witness", w)
		want := fmt.Sprintf("the log ends at row %d but the checkpoint witnessed at %s covering %d rows", keep, newest.At.UTC().Format("2006-01-02 15:04:05 UTC"), newest.Size)
		if code != 1 || !strings.Contains(errOut, want) || !strings.Contains(errOut, "were removed") {
			t.Errorf("audit verify -witness %s after the cut = %d %q %q, want 1 and %q", filepath.Base(w), code, out, errOut, want)
		}
	}
	t.Logf("%d witness emails (%d quoted-printable), %d posts; the log cut from %d to %d rows was caught", len(sink.Messages()), qp, len(posted()), newest.Size, keep)
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// cutAudit opens the database directly, as an attacker with the database's
// files or its superuser would, lifts the audit tables' append-only
// guards, and runs fn.
func cutAudit(t *testing.T, dsn string, fn func(db *sql.DB)) {
	t.Helper()
	if !store.IsPostgresDSN(dsn) {
		tamper(t, filepath.Dir(dsn), fn)
		return
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mustExec(t, db, `ALTER TABLE audit_events DISABLE TRIGGER USER`)
	mustExec(t, db, `ALTER TABLE audit_checkpoints DISABLE TRIGGER USER`)
	fn(db)
}
