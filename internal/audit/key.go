package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// keyPEMType is the PEM block type of a key file.
const keyPEMType = "KAPSTONE AUDIT KEY"

// Key is the log's Ed25519 signing key. It must be kept outside the
// database: whoever holds it can rewrite the log undetected after the last
// checkpoint shipped off the box.
type Key struct {
	priv ed25519.PrivateKey
	id   string
}

// ErrPublicKey is the error (wrapped) for a key file holding a key whose
// private half is public, so rows it signs prove nothing.
var ErrPublicKey = errors.New("the key is public")

// publicKeyIDs lists the ids of keys whose private half is public, with
// where it was published. kapstone refuses to load them, so it never signs
// with them: anyone holding such a key can forge audit rows and checkpoints.
var publicKeyIDs = map[string]string{
	// A test run (TestBadInput's "database cannot connect" case, which gave
	// no data directory) wrote cmd/kapstone/kapstone-data/audit-key.pem, and
	// it was committed to kapstone's git history (commit 52407c2, untracked
	// again in bb8eda2). Its seed is readable there by anyone.
	"c27f040e": "it was committed to kapstone's source repository",
}

// keyFromSeed returns the key derived from a 32-byte Ed25519 seed.
func keyFromSeed(seed []byte) *Key {
	priv := ed25519.NewKeyFromSeed(seed)
	return &Key{priv: priv, id: keyID(priv.Public().(ed25519.PublicKey))}
}

// keyID returns the first 8 lowercase hex digits of the SHA-256 of pub.
func keyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:4])
}

// Public returns the key's public half, which is all a verifier needs.
func (k *Key) Public() ed25519.PublicKey {
	return k.priv.Public().(ed25519.PublicKey)
}

// ID returns the key's short id: the first 8 lowercase hex digits of the
// SHA-256 of its public key.
func (k *Key) ID() string {
	return k.id
}

// Seal makes e the row after the one whose hash is prevHash: it truncates
// e.At to UTC microseconds (the precision Canonical keeps, so the stored
// value is exactly the hashed one), sets e.PrevHash to prevHash, e.Hash to
// e.ComputeHash(), and e.Sig to the key's signature over the 32 hash bytes.
// Use GenesisHash as prevHash for row 1.
func (k *Key) Seal(prevHash string, e *Event) {
	e.At = e.At.UTC().Truncate(time.Microsecond)
	e.PrevHash = prevHash
	sum := sha256.Sum256(e.Canonical())
	e.Hash = hex.EncodeToString(sum[:])
	e.Sig = base64.StdEncoding.EncodeToString(ed25519.Sign(k.priv, sum[:]))
}

// LoadOrCreateKey returns the key stored at path. If no file exists there,
// it creates a new random key and writes it to path with mode 0600: to a
// temporary file in the same directory, synced, then linked (or, where hard
// links are unsupported, renamed) into place, and the directory synced; if
// another process created path in the meantime, its key is loaded instead.
// The parent directory must exist. It returns an error naming path if the
// file cannot be read or written, or is not a well-formed key file, and one
// wrapping ErrPublicKey if the file holds a key whose private half is public.
//
// A key file is one PEM block of type "KAPSTONE AUDIT KEY" whose bytes are
// the 32-byte Ed25519 seed, with a "Key-Id" header holding the key's ID,
// which must match the seed:
//
//	-----BEGIN KAPSTONE AUDIT KEY-----
//	Key-Id: 1a2b3c4d
//
//	<base64 of the 32-byte seed>
//	-----END KAPSTONE AUDIT KEY-----
func LoadOrCreateKey(path string) (*Key, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		return parseKey(path, data)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("audit key %s: %w", path, err)
	}
	return createKey(path)
}

// parseKey returns the key in data, a key file read from path, or an error
// naming path and what is wrong.
func parseKey(path string, data []byte) (*Key, error) {
	block, rest := pem.Decode(data)
	switch {
	case block == nil:
		return nil, fmt.Errorf("audit key %s: malformed: not a PEM %q block", path, keyPEMType)
	case block.Type != keyPEMType:
		return nil, fmt.Errorf("audit key %s: malformed: PEM block is %q, want %q", path, block.Type, keyPEMType)
	case len(bytes.TrimSpace(rest)) != 0:
		return nil, fmt.Errorf("audit key %s: malformed: data after the PEM block", path)
	case len(block.Bytes) != ed25519.SeedSize:
		return nil, fmt.Errorf("audit key %s: malformed: seed is %d bytes, want %d", path, len(block.Bytes), ed25519.SeedSize)
	}
	k := keyFromSeed(block.Bytes)
	if id := block.Headers["Key-Id"]; id != k.id {
		return nil, fmt.Errorf("audit key %s: malformed: Key-Id header is %q, but the seed's key id is %s", path, id, k.id)
	}
	if where, ok := publicKeyIDs[k.id]; ok {
		return nil, fmt.Errorf("audit key %s (key id %s): %w: %s, so anyone could forge audit rows with it; kapstone will not sign with it. Move %s aside and start kapstone again: it makes a new key (keep a copy off this machine)", path, k.id, ErrPublicKey, where, path)
	}
	return k, nil
}

// encodeKey returns the key file for k.
func encodeKey(k *Key) []byte {
	return pem.EncodeToMemory(&pem.Block{
		Type:    keyPEMType,
		Headers: map[string]string{"Key-Id": k.id},
		Bytes:   k.priv.Seed(),
	})
}

// createKey writes a new random key to path, which did not exist, and
// returns it; if path appeared meanwhile, it returns the key stored there.
func createKey(path string) (*Key, error) {
	seed := make([]byte, ed25519.SeedSize)
	var k *Key
	for k == nil || publicKeyIDs[k.id] != "" { // never a key that parseKey would refuse
		if _, err := rand.Read(seed); err != nil {
			return nil, fmt.Errorf("audit key %s: %w", path, err)
		}
		k = keyFromSeed(seed)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("audit key %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // after a link, the temporary name only
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.Write(encodeKey(k))
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("audit key %s: %w", path, err)
	}
	// A hard link, unlike a rename, never replaces a key another process
	// created a moment ago.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return LoadOrCreateKey(path)
		}
		if err := os.Rename(tmp.Name(), path); err != nil {
			return nil, fmt.Errorf("audit key %s: %w", path, err)
		}
	}
	if err := syncDir(dir); err != nil {
		return nil, fmt.Errorf("audit key %s: %w", path, err)
	}
	return k, nil
}

// syncDir flushes dir's entries, so a new name in it survives a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// LoadKey reads the key file at path; unlike LoadOrCreateKey it never makes
// one, so a check run without the key fails rather than signing anew. Like
// LoadOrCreateKey, it refuses a key whose private half is public.
func LoadKey(path string) (*Key, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("audit key %s: %w", path, err)
	}
	return parseKey(path, data)
}

// MAC returns a keyed hash (HMAC-SHA-256, hex, 128 bits) of data under
// label, with a secret derived from the key: for pseudonymous ids (such as
// an email with no account, in a rate-limit row) that no one without the
// key can confirm by guessing.
func (k *Key) MAC(label string, data []byte) string {
	secret := sha256.Sum256(append([]byte("kapstone-mac-v1:"), k.priv.Seed()...))
	m := hmac.New(sha256.New, secret[:])
	m.Write([]byte(label))
	m.Write([]byte{0})
	m.Write(data)
	return hex.EncodeToString(m.Sum(nil)[:16])
}
