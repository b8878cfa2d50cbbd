package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/audit"
	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/demo"
	"github.com/kapstone/kapstone/internal/seal"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// dataKeys loads (or makes) the data key file of data directory dir, the
// one kapstone started with -data-dir dir uses: a test that opens the
// store by hand beside kapstone seals with it.
func dataKeys(t testing.TB, dir string) *seal.Keyring {
	t.Helper()
	k, err := seal.LoadOrCreate((&config{DataDir: dir}).dataKeyPath())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// keysDB is a fresh database of the test's engine with its data directory
// and the flags that name both.
func keysDB(t *testing.T) (dsn, dir string, args []string) {
	dsn = storetest.DSN(t)
	if store.IsPostgresDSN(dsn) {
		dir = t.TempDir()
		return dsn, dir, []string{"-db", dsn, "-data-dir", dir}
	}
	dir = filepath.Dir(dsn)
	return dsn, dir, []string{"-data-dir", dir}
}

// handStore opens the database as kapstone in dir would, to add accounts.
func handStore(t *testing.T, dsn, dir string) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key, err := audit.LoadOrCreateKey(filepath.Join(dir, "audit-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	st.SetAuditKey(key)
	st.SetKeyring(dataKeys(t, dir))
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

// staffLogin adds a therapist with a password and a second factor.
func staffLogin(t *testing.T, st *store.Store, email string) demo.Login {
	t.Helper()
	l := demo.Login{Role: clinic.RoleTherapist, Name: "Kim Keys", Email: email, Password: "correct horse battery staple 9"}
	var err error
	if l.TOTPSecret, err = auth.NewTOTPSecret("Keys Practice", email); err != nil {
		t.Fatal(err)
	}
	hash, _ := auth.HashPassword(l.Password, auth.Params{Time: 1, Memory: 8 * 1024, Threads: 1})
	if err := st.CreateUserWithTOTP(context.Background(), store.System, &clinic.User{Email: email, DisplayName: l.Name, Role: l.Role}, hash, l.TOTPSecret); err != nil {
		t.Fatal(err)
	}
	return l
}

var keyIDRE = regexp.MustCompile(`new data key (k[0-9a-f]+) added`)

// TestKeysRotateWhileServing: `kapstone keys rotate`, run while a server
// is up on the same database, adds a key to the file, re-encrypts every
// TOTP secret under it and says how many; `keys status` then shows every
// value under the new key; the running server, which loaded the file
// before, still signs staff in with their codes (it reloads the file when
// it meets the new key), and a server started afterwards does too.
func TestKeysRotateWhileServing(t *testing.T) {
	dsn, dir, args := keysDB(t)
	in := start(t, nil, append([]string{"serve", "-addr", "127.0.0.1:0"}, args...)...)
	st := handStore(t, dsn, dir)
	a := staffLogin(t, st, "kim@example.org")
	b := staffLogin(t, st, "lou@example.org")
	old := dataKeys(t, dir).Current()

	code, out, errOut := kapstone(t, append([]string{"keys", "rotate"}, args...)...)
	if code != 0 {
		t.Fatalf("keys rotate = exit %d: %s %s", code, out, errOut)
	}
	m := keyIDRE.FindStringSubmatch(out)
	if m == nil || m[1] == old {
		t.Fatalf("keys rotate said %q; want a new key id", out)
	}
	id := m[1]
	for _, want := range []string{"re-encrypted 2 values under " + id, "users.totp_secret 2", "back up " + filepath.Join(dir, "data-key") + " again"} {
		if !strings.Contains(out, want) {
			t.Errorf("keys rotate said %q, want %q in it", out, want)
		}
	}
	if strings.Contains(out+errOut, a.TOTPSecret) || strings.Contains(out+errOut, b.TOTPSecret) {
		t.Error("keys rotate printed a secret")
	}
	k, err := seal.Load(filepath.Join(dir, "data-key"))
	if err != nil || k.Current() != id || len(k.IDs()) != 2 {
		t.Fatalf("key file after rotate: %v, %v; want the old key and %s, current", k.IDs(), err, id)
	}

	code, out, errOut = kapstone(t, append([]string{"keys", "status"}, args...)...)
	if code != 0 {
		t.Fatalf("keys status = exit %d: %s %s", code, out, errOut)
	}
	if !regexp.MustCompile(`(?m)^\s+`+id+`\s+2\s+current$`).MatchString(out) || !regexp.MustCompile(`(?m)^\s+`+old+`\s+0\s*$`).MatchString(out) ||
		!regexp.MustCompile(`users\.totp_secret\s+2 under `+id+`\n`).MatchString(out) {
		t.Errorf("keys status after rotating = %q; want both secrets under %s (current), none under %s", out, id, old)
	}

	signIn(t, in.url, a) // fails the test unless both steps answer 303
	if err := in.stop(t); err != nil {
		t.Fatal(err)
	}
	again := start(t, nil, append([]string{"serve", "-addr", "127.0.0.1:0"}, args...)...)
	signIn(t, again.url, b)
	if code, out, errOut := kapstone(t, append([]string{"audit", "verify"}, args...)...); code != 0 {
		t.Errorf("audit verify after the rotation = exit %d: %s %s", code, out, errOut)
	}
}

// TestDataKeyFileRequired: a fresh install makes the key file (mode 0600);
// once the database holds encrypted values, kapstone refuses to start
// without that file, or with a key file that lacks their key, in one line
// that names the file and says to restore it, and makes no new key; with
// the file back, it starts.
func TestDataKeyFileRequired(t *testing.T) {
	dsn, dir, args := keysDB(t)
	if code, out, errOut := kapstone(t, append([]string{"migrate"}, args...)...); code != 0 {
		t.Fatalf("migrate on a fresh install = exit %d: %s %s", code, out, errOut)
	}
	path := filepath.Join(dir, "data-key")
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("data key file after the first start: %v, %v; want mode 0600", fi, err)
	}
	st := handStore(t, dsn, dir)
	staffLogin(t, st, "kim@example.org")
	st.Close()
	id := dataKeys(t, dir).Current()

	if err := os.Rename(path, path+".away"); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range [][]string{{"migrate"}, {"serve", "-addr", "127.0.0.1:0"}, {"keys", "status"}} {
		code, _, errOut := kapstone(t, append(cmd, args...)...)
		if code != 1 || strings.Count(errOut, "\n") != 1 {
			t.Errorf("kapstone %v without the key file = exit %d, %q; want 1 and one line", cmd, code, errOut)
		}
		for _, want := range []string{path, "is missing", "1 values encrypted under key " + id, "Restore the file from the copy kept off this machine"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("kapstone %v without the key file said %q, want %q in it", cmd, errOut, want)
			}
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Fatalf("kapstone %v made a new key file over encrypted data", cmd)
		}
	}

	if _, err := seal.LoadOrCreate(path); err != nil { // another install's key
		t.Fatal(err)
	}
	code, _, errOut := kapstone(t, append([]string{"migrate"}, args...)...)
	if code != 1 || !strings.Contains(errOut, path+" lacks key "+id) || !strings.Contains(errOut, "Restore the newest copy") {
		t.Errorf("kapstone with another key file = exit %d, %q; want 1, naming the file and the key it lacks", code, errOut)
	}

	if err := os.Rename(path+".away", path); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := kapstone(t, append([]string{"migrate"}, args...)...); code != 0 {
		t.Errorf("migrate with the key file restored = exit %d: %s %s", code, out, errOut)
	}
}

// TestDataKeyFlag: -data-key (and KAPSTONE_DATA_KEY) put the key file
// elsewhere than the data directory.
func TestDataKeyFlag(t *testing.T) {
	_, dir, args := keysDB(t)
	elsewhere := filepath.Join(t.TempDir(), "keys", "practice-data-key")
	if code, out, errOut := kapstone(t, append([]string{"migrate", "-data-key", elsewhere}, args...)...); code != 0 {
		t.Fatalf("migrate -data-key = exit %d: %s %s", code, out, errOut)
	}
	if _, err := seal.Load(elsewhere); err != nil {
		t.Errorf("no key file at -data-key: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data-key")); !os.IsNotExist(err) {
		t.Errorf("a key file was made in the data directory too: %v", err)
	}
	cfg, err := parseConfig("serve", nil, func(k string) string { return map[string]string{"KAPSTONE_DATA_KEY": "/srv/k"}[k] }, nil, "")
	if err != nil || cfg.dataKeyPath() != "/srv/k" {
		t.Errorf("KAPSTONE_DATA_KEY: %q, %v; want /srv/k", cfg.dataKeyPath(), err)
	}
}
