package main

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/audit"
)

// kapstone runs the program to completion and returns its exit code, stdout and stderr.
func kapstone(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append([]string{"kapstone"}, args...), func(string) string { return "" }, strings.NewReader(""), &stdout, &stderr)
	return exitCode(err, &stderr), stdout.String(), stderr.String()
}

// copyDir copies the flat data directory src to a new temporary directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// tamper opens the SQLite database directly, as an attacker with file
// access would, drops the append-only triggers and runs fn.
func tamper(t *testing.T, dir string, fn func(db *sql.DB)) {
	t.Helper()
	db, err := sql.Open("sqlite3", filepath.Join(dir, "kapstone.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, trg := range []string{"audit_events_no_update", "audit_events_no_delete", "audit_checkpoints_no_update", "audit_checkpoints_no_delete"} {
		if _, err := db.Exec("DROP TRIGGER " + trg); err != nil {
			t.Fatal(err)
		}
	}
	fn(db)
}

func mustExec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// TestAuditVerify: `kapstone audit verify` passes on a demo database and
// fails, naming the row, after an edited row, a deleted row, a truncated
// tail, and a chain rewritten with recomputed hashes.
func TestAuditVerify(t *testing.T) {
	base := t.TempDir()
	in := start(t, nil, "demo", "-addr", "127.0.0.1:0", "-data-dir", base)
	login(t, noRedirect(), in.url, "nobody@example.org", "wrong password, audited") // one more row
	if err := in.stop(t); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := kapstone(t, "audit", "verify", "-data-dir", base)
	if code != 0 || !strings.Contains(out, "audit log intact") {
		t.Fatalf("audit verify on the demo = %d %q %q, want 0 and intact", code, out, errOut)
	}
	var rows int
	{
		db, _ := sql.Open("sqlite3", filepath.Join(base, "kapstone.db"))
		db.QueryRow(`SELECT count(*) FROM audit_events`).Scan(&rows)
		db.Close()
	}
	if rows < 20 {
		t.Fatalf("demo audit log has %d rows, want a real history", rows)
	}
	cps, err := readCheckpoints(filepath.Join(base, "audit-checkpoints.log"))
	if err != nil || len(cps) == 0 || cps[len(cps)-1].Size != int64(rows) {
		t.Fatalf("checkpoint file = %v, %v; want the last to cover all %d rows", cps, err, rows)
	}

	tests := []struct {
		name string
		do   func(db *sql.DB)
		want string
	}{
		{"edited row", func(db *sql.DB) {
			mustExec(t, db, `UPDATE audit_events SET actor_id = 'someone-else' WHERE seq = 5`)
		}, "row 5"},
		{"deleted row", func(db *sql.DB) {
			mustExec(t, db, `DELETE FROM audit_events WHERE seq = 9`)
		}, "row 9"},
		{"truncated tail", func(db *sql.DB) {
			mustExec(t, db, `DELETE FROM audit_events WHERE seq > $1`, rows-3)
			mustExec(t, db, `DELETE FROM audit_checkpoints`) // the file outside the database still knows
		}, "row " + itoa(rows-2)},
		{"rewritten chain", func(db *sql.DB) {
			// Change row 7, then recompute every hash after it: the chain is
			// consistent again, but the signatures (made with the key the
			// attacker does not have) no longer match.
			evs := readEvents(t, db)
			evs[6].Detail = "rewritten"
			prev := evs[5].Hash
			for i := 6; i < len(evs); i++ {
				evs[i].PrevHash = prev
				evs[i].Hash = evs[i].ComputeHash()
				prev = evs[i].Hash
				mustExec(t, db, `UPDATE audit_events SET detail = $1, prev_hash = $2, hash = $3 WHERE seq = $4`, evs[i].Detail, evs[i].PrevHash, evs[i].Hash, evs[i].Seq)
			}
			mustExec(t, db, `DELETE FROM audit_checkpoints`)
		}, "row 7"},
	}
	t.Run("missing key", func(t *testing.T) {
		dir := copyDir(t, base)
		os.Remove(filepath.Join(dir, "audit-key.pem"))
		code, _, errOut := kapstone(t, "audit", "verify", "-data-dir", dir)
		if code != 1 || !strings.Contains(errOut, "audit-key.pem") {
			t.Errorf("audit verify without the key = %d %q, want 1 naming the key file", code, errOut)
		}
		if _, err := os.Stat(filepath.Join(dir, "audit-key.pem")); err == nil {
			t.Error("audit verify made a new key")
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyDir(t, base)
			tamper(t, dir, tt.do)
			code, out, errOut := kapstone(t, "audit", "verify", "-data-dir", dir)
			if code != 1 {
				t.Fatalf("audit verify after %s = exit %d (%q), want 1", tt.name, code, out)
			}
			if !strings.Contains(errOut, "audit log damaged") || !strings.Contains(errOut, tt.want+" ") && !strings.Contains(errOut, tt.want+":") {
				t.Errorf("audit verify after %s said %q, want it to name %s", tt.name, errOut, tt.want)
			}
		})
	}
}

func readEvents(t *testing.T, db *sql.DB) []audit.Event {
	t.Helper()
	rs, err := db.Query(`SELECT seq, at, actor_id, actor_role, action, outcome, patient_id, object_type, object_id, client_addr, request_id, detail, prev_hash, hash, sig FROM audit_events ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var out []audit.Event
	for rs.Next() {
		var e audit.Event
		if err := rs.Scan(&e.Seq, &e.At, &e.ActorID, &e.ActorRole, &e.Action, &e.Outcome, &e.PatientID, &e.ObjectType, &e.ObjectID, &e.ClientAddr, &e.RequestID, &e.Detail, &e.PrevHash, &e.Hash, &e.Sig); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestUserCommand: the first admin from the command line, then list,
// disable and reset-password.
func TestUserCommand(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"kapstone", "user", "add", "-role", "admin", "-email", "ada@example.org", "-name", "Ada Admin", "-password-stdin", "-data-dir", dir},
		func(string) string { return "" }, strings.NewReader("quiet harbor violet stone\n"), &stdout, &stderr)
	if err != nil || !strings.Contains(stdout.String(), "Account made for ada@example.org") {
		t.Fatalf("user add -password-stdin = %v, %q", err, stdout.String())
	}
	code, out, _ := kapstone(t, "user", "add", "-role", "therapist", "-email", "tam@example.org", "-name", "Tam Lee", "-credentials", "LCSW", "-data-dir", dir, "-addr", "127.0.0.1:8080")
	if code != 0 || !strings.Contains(out, "http://127.0.0.1:8080/invite/") {
		t.Fatalf("user add (invitation) = %d %q, want a link", code, out)
	}
	for _, bad := range [][]string{
		{"user", "add", "-role", "therapist", "-email", "sam@example.org", "-name", "Sam Lee, LCSW", "-data-dir", dir},
		{"user", "add", "-role", "wizard", "-email", "w@example.org", "-name", "W", "-data-dir", dir},
		{"user", "add", "-role", "admin", "-email", "not-an-email", "-name", "X", "-data-dir", dir},
		{"user", "add", "-role", "admin", "-email", "ada@example.org", "-name", "Again", "-data-dir", dir},
		{"user", "frobnicate", "-data-dir", dir},
		{"user", "disable", "-data-dir", dir},
	} {
		if code, _, errOut := kapstone(t, bad...); code == 0 || strings.Count(errOut, "\n") != 1 {
			t.Errorf("kapstone %v = exit %d, stderr %q; want non-zero and one line", bad, code, errOut)
		}
	}
	var weak bytes.Buffer
	err = run(context.Background(), []string{"kapstone", "user", "add", "-role", "admin", "-email", "b@example.org", "-name", "B", "-password-stdin", "-data-dir", dir},
		func(string) string { return "" }, strings.NewReader("password1234\n"), io.Discard, &weak)
	if exitCode(err, &weak) != 2 || !strings.Contains(weak.String(), "password refused") {
		t.Errorf("user add with a common password: %q, want it refused", weak.String())
	}
	code, out, _ = kapstone(t, "user", "list", "-data-dir", dir)
	if code != 0 || !strings.Contains(out, "ada@example.org") || !strings.Contains(out, "admin") {
		t.Fatalf("user list = %d %q", code, out)
	}
	if code, out, _ := kapstone(t, "user", "disable", "-email", "ada@example.org", "-data-dir", dir); code != 0 || !strings.Contains(out, "disabled") {
		t.Errorf("user disable = %d %q", code, out)
	}
	if _, out, _ := kapstone(t, "user", "list", "-data-dir", dir); !strings.Contains(out, "disabled") {
		t.Errorf("user list after disable = %q, want disabled", out)
	}
	if code, out, _ := kapstone(t, "user", "reset-password", "-email", "ada@example.org", "-data-dir", dir, "-public-url", "https://care.example.org"); code != 0 || !strings.Contains(out, "https://care.example.org/reset/") {
		t.Errorf("user reset-password = %d %q, want a link on the public URL", code, out)
	}
	if code, out, _ := kapstone(t, "audit", "verify", "-data-dir", dir); code != 0 {
		t.Errorf("audit verify after user commands = %d %q", code, out)
	}
}

// TestFirstStartSetupLink: serve on an empty database prints a single-use
// link that makes the first admin.
func TestFirstStartSetupLink(t *testing.T) {
	in := start(t, nil, append([]string{"serve", "-addr", "127.0.0.1:0"}, dbArgs(t)...)...)
	m := setupRE.FindStringSubmatch(in.stdout.String())
	if m == nil {
		t.Fatalf("serve on an empty database printed no setup link: %q", in.stdout.String())
	}
	c := noRedirect()
	status, body := get(t, c, m[1])
	if status != 200 || !strings.Contains(body, "Create the first admin account") {
		t.Fatalf("setup link = %d, want the form", status)
	}
	res, err := c.PostForm(m[1], map[string][]string{"email": {"ada@example.org"}, "display_name": {"Ada Admin"}, "new_password": {"quiet harbor violet stone"}, "confirm_password": {"quiet harbor violet stone"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 303 {
		t.Fatalf("setup = %d, want 303", res.StatusCode)
	}
	if status, _ := get(t, c, m[1]); status != 404 {
		t.Errorf("setup link used twice = %d, want 404", status)
	}
	if r := login(t, noRedirect(), in.url, "ada@example.org", "quiet harbor violet stone"); r.Header.Get("Location") != "/login/mfa/setup" {
		t.Errorf("first admin's sign-in goes to %q, want two-step set-up", r.Header.Get("Location"))
	}
}
