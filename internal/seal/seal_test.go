package seal

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSealOpen(t *testing.T) {
	k, err := New()
	if err != nil {
		t.Fatal(err)
	}
	s, err := k.SealString("the canary phrase", "users.totp_secret:u1")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s, "canary") || !IsSealed(s) {
		t.Fatalf("sealed value %q", s)
	}
	if id, _ := KeyID(s); id != k.Current() {
		t.Fatalf("key id %q, want %q", id, k.Current())
	}
	got, err := k.OpenString(s, "users.totp_secret:u1")
	if err != nil || got != "the canary phrase" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	// Bound to its place: another row's aad does not open it.
	if _, err := k.OpenString(s, "users.totp_secret:u2"); !errors.Is(err, ErrOpen) {
		t.Fatalf("moved value opened: %v", err)
	}
	// A changed byte does not open.
	b := []byte(s)
	b[len(b)-3] ^= 1
	if b[len(b)-3] == '-' || b[len(b)-3] == '_' {
		b[len(b)-3] = 'A'
	}
	if _, err := k.OpenString(string(b), "users.totp_secret:u1"); err == nil {
		t.Fatal("changed value opened")
	}
	for _, bad := range []string{"", "plain", "seal1:", "seal1:kx:", "seal1:" + k.Current() + ":!!"} {
		if _, err := k.OpenString(bad, "a"); err == nil {
			t.Fatalf("%q opened", bad)
		}
	}
	other, _ := New()
	if _, err := other.OpenString(s, "users.totp_secret:u1"); !errors.Is(err, ErrNoKey) {
		t.Fatalf("another keyring: %v", err)
	}
	var nilk *Keyring
	if _, err := nilk.SealString("x", "a"); err == nil {
		t.Fatal("nil keyring sealed")
	}
}

func TestFileRotateReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "data-key")
	if _, err := Load(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load of a missing file: %v", err)
	}
	k, err := LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", fi.Mode(), err)
	}
	old, _ := k.SealString("before", "a")

	// Another process rotates: loads the file, adds a key, saves.
	k2, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	newID, err := k2.AddKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := k2.Save(path); err != nil {
		t.Fatal(err)
	}
	resealed, _ := k2.SealString("after", "a")
	// The first keyring learns the new key from the file on first use.
	if got, err := k.OpenString(resealed, "a"); err != nil || got != "after" {
		t.Fatalf("open after rotation: %q %v", got, err)
	}
	if k.Current() != newID {
		t.Fatalf("current %s, want %s", k.Current(), newID)
	}
	if got, err := k.OpenString(old, "a"); err != nil || got != "before" {
		t.Fatalf("old key: %q %v", got, err)
	}
	k3, err := LoadOrCreate(path)
	if err != nil || len(k3.IDs()) != 2 || k3.Current() != newID {
		t.Fatalf("reloaded: %v %v", k3.IDs(), err)
	}
	// A changed key line is refused.
	b, _ := os.ReadFile(path)
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, newID+" ") {
			lines[i] = newID + " " + strings.Repeat("A", 43) + "="
		}
	}
	os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o600)
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("changed key file loaded: %v", err)
	}
	os.WriteFile(path, []byte("# nothing\n"), 0o600)
	if _, err := Load(path); err == nil {
		t.Fatal("empty key file loaded")
	}
}

// TestConcurrentAddKeyToFile: rotations running at once (separate
// processes, or instances sharing the file) each keep their key; without
// the lock and the fresh read, the last writer's file lacked the others'
// keys, and values re-sealed under them no longer opened (review finding).
func TestConcurrentAddKeyToFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data-key")
	if _, err := LoadOrCreate(path); err != nil {
		t.Fatal(err)
	}
	const n = 8
	ids := make(chan string, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := AddKeyToFile(path)
			if err != nil {
				errs <- err
				return
			}
			ids <- id
		}()
	}
	wg.Wait()
	close(ids)
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	k, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for id := range ids {
		if !slices.Contains(k.IDs(), id) {
			t.Errorf("key %s added by one rotation is missing from the file", id)
		}
	}
	if len(k.IDs()) != n+1 {
		t.Errorf("file holds %d keys, want %d", len(k.IDs()), n+1)
	}
}

// TestDerived: a derived keyring seals under its own key (the parent does
// not open its values, nor it the parent's), names the parent's key id,
// opens values sealed before a rotation, and is never saved.
func TestDerived(t *testing.T) {
	k, err := New()
	if err != nil {
		t.Fatal(err)
	}
	d, err := k.Derived("carry")
	if err != nil {
		t.Fatal(err)
	}
	v, err := d.SealString("draft", "aad")
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := KeyID(v); id != k.Current() {
		t.Errorf("derived value names key %q, want the parent's %q", id, k.Current())
	}
	if _, err := k.OpenString(v, "aad"); err == nil {
		t.Error("the parent keyring opens a derived value")
	}
	pv, _ := k.SealString("data", "aad")
	if _, err := d.OpenString(pv, "aad"); err == nil {
		t.Error("the derived keyring opens the parent's value")
	}
	other, _ := k.Derived("other")
	if _, err := other.OpenString(v, "aad"); err == nil {
		t.Error("a keyring derived with another label opens the value")
	}
	if _, err := k.AddKey(); err != nil {
		t.Fatal(err)
	}
	d2, _ := k.Derived("carry")
	if got, err := d2.OpenString(v, "aad"); err != nil || got != "draft" {
		t.Errorf("after rotation the derived keyring opens %q, %v", got, err)
	}
	if err := d.Save(t.TempDir() + "/keys"); err == nil {
		t.Error("a derived keyring was saved")
	}
}

// TestRefreshReadsOnlyAChangedFile: Refresh runs before every sealed write,
// so it reads the key file only when its size or time changed (one stat
// otherwise); a derived keyring follows a key another process added even
// when its parent learned of the key first.
func TestRefreshReadsOnlyAChangedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data-key")
	k, err := LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := k.Derived("carry")
	if err != nil {
		t.Fatal(err)
	}
	// Another process adds a key; the parent refreshes first.
	other, _ := Load(path)
	newID, err := other.AddKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Save(path); err != nil {
		t.Fatal(err)
	}
	if !k.Refresh() || k.Current() != newID {
		t.Fatalf("parent current %s after Refresh, want %s", k.Current(), newID)
	}
	if !d.Refresh() || d.Current() != newID {
		t.Fatalf("derived current %s after its parent refreshed, want %s", d.Current(), newID)
	}

	// Same size and time, other bytes: not read (a read would fail on them).
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, bytes.Repeat([]byte("x"), int(fi.Size())), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if !k.Refresh() || !d.Refresh() || k.Current() != newID {
		t.Fatal("an unchanged stamp made Refresh read the file")
	}
	// A new time: read, found broken, and the keys in hand are kept.
	later := fi.ModTime().Add(time.Second)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	if k.Refresh() || d.Refresh() {
		t.Fatal("a changed, broken file was adopted")
	}
	if v, err := k.SealString("still", "a"); err != nil || !strings.Contains(v, newID) {
		t.Fatalf("sealing after a broken file: %q %v", v, err)
	}
}
