package audit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzParseCheckpoint checks the checkpoint line parser (audit verify reads
// audit-checkpoints.log, and a witness copy, with it): it takes only lines
// in exactly String's form and gives them back unchanged, and a line it
// takes verifies against the log key only if the key signed exactly that
// line, so no edit of a signed line (size, head, time, key or signature)
// passes Verify.
func FuzzParseCheckpoint(f *testing.F) {
	key, err := LoadOrCreateKey(filepath.Join(f.TempDir(), "audit-key.pem"))
	if err != nil {
		f.Fatal(err)
	}
	at := time.Date(2026, 3, 2, 10, 0, 0, 123456000, time.UTC)
	signed := map[string]bool{}
	for _, c := range []Checkpoint{
		key.SignCheckpoint(0, GenesisHash, at),
		key.SignCheckpoint(45, strings.Repeat("ab", 32), at),
		key.SignCheckpoint(1<<62, strings.Repeat("f", 64), at.Add(time.Hour)),
	} {
		signed[c.String()] = true
		f.Add(c.String())
		f.Add(strings.Replace(c.String(), " sig=", "  sig=", 1))
		f.Add(c.String() + "\n")
		f.Add(strings.Replace(c.String(), "size=", "size=0", 1))
		f.Add(strings.Replace(c.String(), "size=", "size=+", 1))
		f.Add(strings.ToUpper(c.String()))
	}
	f.Add("kapstone-audit-checkpoint-v1 size=-1 head=" + GenesisHash + " at=2026-03-02T10:00:00.000000Z key=1a2b3c4d sig=AA==")
	f.Add("kapstone-audit-checkpoint-v1 size=1 head=" + GenesisHash + " at=2026-03-02T10:00:00Z key=1a2b3c4d sig=AA==")
	f.Add("kapstone-audit-checkpoint-v1 size=1 head=" + GenesisHash + " at=2026-03-02T10:00:00.000000+00:00 key=1a2b3c4d sig=AA")
	f.Add("")
	pub := key.Public()
	f.Fuzz(func(t *testing.T, line string) {
		c, err := ParseCheckpoint(line)
		if err != nil {
			if c != (Checkpoint{}) {
				t.Fatalf("ParseCheckpoint(%q) failed but gave %+v", line, c)
			}
			return
		}
		if c.String() != line {
			t.Fatalf("ParseCheckpoint(%q) = %+v, written back as %q", line, c, c.String())
		}
		if c.Size < 0 || !isHash(c.Head) || c.At.Location() != time.UTC || strings.ContainsAny(line, "\r\n\t") {
			t.Fatalf("ParseCheckpoint(%q) took %+v", line, c)
		}
		if again, err := ParseCheckpoint(c.String()); err != nil || again != c {
			t.Fatalf("ParseCheckpoint does not round-trip %q: %+v, %v", line, again, err)
		}
		if err := c.Verify(pub); err == nil && !signed[line] {
			t.Fatalf("a line the key never signed verifies: %q", line)
		} else if err != nil && signed[line] {
			t.Fatalf("a signed line does not verify: %v", err)
		}
	})
}

// FuzzLoadKey checks the audit key file reader on any file: it refuses, or
// gives a key that signs checkpoints its own public half verifies.
func FuzzLoadKey(f *testing.F) {
	dir := f.TempDir()
	good, err := os.ReadFile(mustKeyFile(f, filepath.Join(dir, "seed.pem")))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(append(append([]byte{}, good...), "trailing"...))
	f.Add([]byte(strings.Replace(string(good), "Key-Id:", "Key-Id: 0", 1)))
	f.Add([]byte("-----BEGIN KAPSTONE AUDIT KEY-----\n\nAAAA\n-----END KAPSTONE AUDIT KEY-----\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "audit-key.pem")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		k, err := LoadKey(path)
		if err != nil {
			if k != nil {
				t.Fatalf("LoadKey failed (%v) but gave a key", err)
			}
			return
		}
		if len(k.ID()) != 8 || !isLowerHex(k.ID()) {
			t.Fatalf("LoadKey gave key id %q", k.ID())
		}
		c := k.SignCheckpoint(1, strings.Repeat("a", 64), time.Unix(0, 0))
		if err := c.Verify(k.Public()); err != nil {
			t.Fatalf("a loaded key's checkpoint does not verify: %v", err)
		}
	})
}

func mustKeyFile(f *testing.F, path string) string {
	if _, err := LoadOrCreateKey(path); err != nil {
		f.Fatal(err)
	}
	return path
}
