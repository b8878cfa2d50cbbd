package audit

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// checkpointTag opens every checkpoint line and names its version.
const checkpointTag = "kapstone-audit-checkpoint-v1"

// Checkpoint is a signed statement that the log had Size events and the
// last one's Hash was Head (GenesisHash when Size is 0) at time At. Kept
// outside the database, checkpoints let a verifier detect a truncated tail
// and a chain rewritten by someone holding the key after they were made.
type Checkpoint struct {
	Size  int64
	Head  string
	At    time.Time // UTC, microsecond precision
	KeyID string    // ID of the key that signed it
	Sig   string    // base64 (std, padded) Ed25519 signature over the line before " sig="
}

// SignCheckpoint returns the checkpoint saying the log had size events
// ending in head at time at (truncated to UTC microseconds), signed with k.
func (k *Key) SignCheckpoint(size int64, head string, at time.Time) Checkpoint {
	c := Checkpoint{Size: size, Head: head, At: at.UTC().Truncate(time.Microsecond), KeyID: k.id}
	c.Sig = base64.StdEncoding.EncodeToString(ed25519.Sign(k.priv, []byte(c.signed())))
	return c
}

// signed returns the text the signature covers: String without " sig=...".
// It is always longer than 32 bytes, so no row signature (over 32 hash
// bytes) can pass for a checkpoint signature.
func (c Checkpoint) signed() string {
	return fmt.Sprintf("%s size=%d head=%s at=%s key=%s", checkpointTag, c.Size, c.Head, formatTime(c.At), c.KeyID)
}

// String returns c as one line without a newline, for an append-only
// checkpoint file:
//
//	kapstone-audit-checkpoint-v1 size=45 head=<64 hex> at=2026-03-02T10:00:00.000000Z key=1a2b3c4d sig=<base64>
//
// ParseCheckpoint reads it back exactly.
func (c Checkpoint) String() string {
	return c.signed() + " sig=" + c.Sig
}

// describe names c in a sentence, e.g. "the checkpoint of
// 2026-03-02T10:00:00.000000Z covering 45 rows".
func (c Checkpoint) describe() string {
	return fmt.Sprintf("the checkpoint of %s covering %d rows", formatTime(c.At), c.Size)
}

// ParseCheckpoint returns the checkpoint written as line by String (without
// a trailing newline). It returns an error if line is not exactly in that
// form; it does not check the signature (see Verify).
func ParseCheckpoint(line string) (Checkpoint, error) {
	bad := func(why string) (Checkpoint, error) {
		return Checkpoint{}, fmt.Errorf("audit checkpoint %q: %s", line, why)
	}
	f := strings.Split(line, " ")
	if len(f) != 6 || f[0] != checkpointTag {
		return bad("not a " + checkpointTag + " line with size, head, at, key and sig")
	}
	var v [5]string
	for i, name := range [...]string{"size", "head", "at", "key", "sig"} {
		val, ok := strings.CutPrefix(f[i+1], name+"=")
		if !ok {
			return bad(fmt.Sprintf("field %d is not %s=", i+1, name))
		}
		v[i] = val
	}
	size, err := strconv.ParseInt(v[0], 10, 64)
	if err != nil || size < 0 {
		return bad("size is not a count of rows")
	}
	if !isHash(v[1]) {
		return bad("head is not 64 lowercase hex digits")
	}
	at, err := time.Parse(timeLayout, v[2])
	if err != nil {
		return bad("at is not an RFC 3339 UTC time with six fractional digits")
	}
	if len(v[3]) != 8 || !isLowerHex(v[3]) {
		return bad("key is not 8 lowercase hex digits")
	}
	if sig, err := base64.StdEncoding.DecodeString(v[4]); err != nil || len(sig) == 0 || base64.StdEncoding.EncodeToString(sig) != v[4] {
		return bad("sig is not base64")
	}
	c := Checkpoint{Size: size, Head: v[1], At: at, KeyID: v[3], Sig: v[4]}
	if c.String() != line {
		return bad("not in canonical form")
	}
	return c, nil
}

// Verify returns nil if c is well formed and signed by the key whose public
// half is pub. Otherwise it returns an error saying why: a key that is not
// an Ed25519 public key, a KeyID that is not pub's, a negative Size, a Head
// that is not a hash (or not GenesisHash when Size is 0), or a signature
// that does not verify because c was forged or altered.
func (c Checkpoint) Verify(pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		return errors.New("audit: the public key is not an Ed25519 public key")
	}
	switch id := keyID(pub); {
	case c.KeyID != id:
		return fmt.Errorf("%s was signed with key %q, not the log key %s", c.describe(), c.KeyID, id)
	case c.Size < 0:
		return fmt.Errorf("%s has a negative size", c.describe())
	case !isHash(c.Head):
		return fmt.Errorf("%s has a head that is not 64 lowercase hex digits", c.describe())
	case c.Size == 0 && c.Head != GenesisHash:
		return fmt.Errorf("%s has a head other than the genesis hash", c.describe())
	}
	sig, err := base64.StdEncoding.DecodeString(c.Sig)
	if err != nil || !ed25519.Verify(pub, []byte(c.signed()), sig) {
		return fmt.Errorf("%s: signature does not verify (checkpoint forged or altered)", c.describe())
	}
	return nil
}
