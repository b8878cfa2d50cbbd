package main

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/store"
)

// process is kapstone running as a separate OS process (this test binary,
// re-executed as the real program), so it can be killed with SIGKILL.
type process struct {
	cmd *exec.Cmd
	url string
}

func startProcess(t *testing.T, args ...string) *process {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "KAPSTONE_TEST_MAIN=1")
	cmd.Args[0] = "kapstone"
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = nil // JSON logs are not needed here
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case p.url = <-found:
	case <-time.After(60 * time.Second):
		t.Fatalf("kapstone %v did not start listening", args)
	}
	return p
}

// TestCrashKeepsAcknowledgedWrites kills kapstone with SIGKILL while several
// clients are signing in (each sign-in writes a session row), restarts it on
// the same data directory, and checks that every sign-in the server
// acknowledged still works and that SQLite's integrity check passes.
func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	dir := t.TempDir()
	p := startProcess(t, "demo", "-addr", "127.0.0.1:0", "-data-dir", dir)
	var patients []struct{ email, password string }
	for _, l := range readLogins(t, dir) {
		if l.Role == "patient" {
			patients = append(patients, struct{ email, password string }{l.Email, l.Password})
		}
	}

	var mu sync.Mutex
	var acked []string // session tokens the server answered 303 with
	ctx, stopClients := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pt := patients[i%len(patients)]
			for ctx.Err() == nil {
				c := noRedirect()
				form := url.Values{"email": {pt.email}, "password": {pt.password}}
				res, err := c.PostForm(p.url+"/login", form)
				if err != nil {
					continue // in flight when the process died: not acknowledged
				}
				res.Body.Close()
				if res.StatusCode != http.StatusSeeOther {
					continue
				}
				for _, ck := range res.Cookies() {
					if ck.Name == "kapstone_session" && ck.Value != "" {
						mu.Lock()
						acked = append(acked, ck.Value)
						mu.Unlock()
					}
				}
			}
		}()
	}
	// Let writes pile up, then kill the server in the middle of them.
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 40 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()
	stopClients()
	wg.Wait()
	if len(acked) == 0 {
		t.Fatal("no sign-in was acknowledged before the kill; the test proved nothing")
	}
	t.Logf("%d acknowledged sign-ins before SIGKILL", len(acked))

	q := startProcess(t, "serve", "-addr", "127.0.0.1:0", "-data-dir", dir)
	for i, tok := range acked {
		req, _ := http.NewRequest("GET", q.url+"/account", nil)
		req.AddCookie(&http.Cookie{Name: "kapstone_session", Value: tok})
		res, err := noRedirect().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("acknowledged session %d of %d after the crash: GET /account = %d, want 200 (the write was lost)", i+1, len(acked), res.StatusCode)
		}
	}
	// A graceful stop (SIGTERM) exits 0.
	q.cmd.Process.Signal(syscall.SIGTERM)
	if err := q.cmd.Wait(); err != nil {
		t.Fatalf("kapstone after SIGTERM: %v, want exit 0", err)
	}

	st, err := store.Open(context.Background(), filepath.Join(dir, "kapstone.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.IntegrityCheck(context.Background()); err != nil {
		t.Fatalf("PRAGMA integrity_check after the crash: %v", err)
	}
}
