package main

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// demoFile is one file of the demo template's data directory.
type demoFile struct {
	name string
	mode fs.FileMode
	data []byte
}

// demoTemplate is a demo practice's data directory (database, keys,
// demo-logins.json), seeded once per test process by the real `kapstone
// demo` and held in memory: seeding (a few hundred audited, durable writes
// and argon2 hashes) took most of each browser test's start. The database
// is taken with VACUUM INTO after the demo stopped, so the copy holds every
// write in one file.
var demoTemplate = sync.OnceValues(func() ([]demoFile, error) {
	dir, err := os.MkdirTemp("", "kapstone-demotemplate-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr := new(syncBuffer), new(syncBuffer)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"kapstone", "demo", "-addr", "127.0.0.1:0", "-data-dir", dir}, func(string) string { return "" }, strings.NewReader(""), stdout, stderr)
	}()
	deadline := time.After(5 * time.Minute)
	for !listeningRE.MatchString(stdout.String()) {
		select {
		case err := <-done:
			return nil, fmt.Errorf("kapstone demo exited early: %v\n%s", err, stderr.String())
		case <-deadline:
			return nil, fmt.Errorf("kapstone demo did not start\n%s", stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		return nil, fmt.Errorf("kapstone demo: %v\n%s", err, stderr.String())
	}
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "kapstone.db"))
	if err != nil {
		return nil, err
	}
	snapshot := filepath.Join(dir, "snapshot.db")
	_, err = db.Exec(`VACUUM INTO $1`, snapshot)
	db.Close()
	if err != nil {
		return nil, fmt.Errorf("VACUUM INTO: %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []demoFile
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, "kapstone.db") || name == "snapshot.db" {
			continue
		}
		if !e.Type().IsRegular() {
			return nil, fmt.Errorf("demo data directory holds %s, which is not a file", name)
		}
		info, err := e.Info()
		if err != nil {
			return nil, err
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		files = append(files, demoFile{name, info.Mode().Perm(), b})
	}
	b, err := os.ReadFile(snapshot)
	if err != nil {
		return nil, err
	}
	return append(files, demoFile{"kapstone.db", 0o644, b}), nil
})

// demoDataDir returns a new data directory under t.TempDir() holding a copy
// of the demo template: `kapstone demo -data-dir` on it serves the seeded
// practice (the demo's restart path) and prints the same logins. Each test
// gets its own copy, so what one test writes no other sees. TestDemo seeds
// its own practice, to test the seeding.
func demoDataDir(t *testing.T) string {
	t.Helper()
	files, err := demoTemplate()
	if err != nil {
		t.Fatalf("demo template: %v", err)
	}
	dir := t.TempDir()
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, f.mode); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
