package audit

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestDocumentSignature: a document signature verifies for its document,
// kind and key only; a changed document, another kind, another key, a
// damaged line and a checkpoint's signature are each refused with their
// own reason.
func TestDocumentSignature(t *testing.T) {
	k := keyFromSeed(make([]byte, 32))
	other := keyFromSeed([]byte(strings.Repeat("o", 32)))
	body := []byte(`{"tables":[{"name":"patients","rows":3}]}`)
	line := k.SignDocument("backup-manifest", body)
	cp := k.SignCheckpoint(3, GenesisHash, time.Unix(0, 0))
	for _, c := range []struct {
		name string
		kind string
		body []byte
		line string
		want string // "" verifies
		sig  bool   // the error wraps ErrDocumentSignature
	}{
		{"as signed", "backup-manifest", body, line, "", false},
		{"with a newline", "backup-manifest", body, line + "\n", "", false},
		{"document changed", "backup-manifest", []byte(strings.Replace(string(body), "3", "4", 1)), line, "does not verify", true},
		{"another kind", "export", body, line, "not a export", false},
		{"another key", "backup-manifest", body, other.SignDocument("backup-manifest", body), "signed with audit key " + other.ID(), false},
		{"signature damaged", "backup-manifest", body, line[:len(line)-4] + "AAA=", "does not verify", true},
		{"kind forged in the line", "backup-manifest", body, strings.Replace(other.SignDocument("export", body), "export", "backup-manifest", 1), "signed with audit key", false},
		{"a checkpoint line", "backup-manifest", body, cp.String(), "not a " + documentTag, false},
		{"empty", "backup-manifest", body, "", "not a " + documentTag, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := VerifyDocument(k.Public(), c.kind, c.body, c.line)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("VerifyDocument = %v, want it to verify", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("VerifyDocument = %v, want an error saying %q", err, c.want)
			case c.want != "" && errors.Is(err, ErrDocumentSignature) != c.sig:
				t.Fatalf("VerifyDocument = %v: wraps ErrDocumentSignature %v, want %v", err, !c.sig, c.sig)
			}
		})
	}
	// The key's own signature of the kind forged into the line does not verify either.
	forged := strings.Replace(k.SignDocument("export", body), "export", "backup-manifest", 1)
	if err := VerifyDocument(k.Public(), "backup-manifest", body, forged); !errors.Is(err, ErrDocumentSignature) {
		t.Errorf("an export signature relabelled as a manifest's = %v, want it refused", err)
	}
}
