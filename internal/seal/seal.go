// Package seal encrypts data at rest with AES-256-GCM under keys kept
// outside the database (issue 16; SECURITY.md section 2 check 27: AEAD
// only, a key inventory, rotation with the key id stored beside each
// ciphertext).
//
// A key file holds one key per line, "<id> <base64 of 32 bytes>"; the last
// line is the current key, which seals new data. Older keys stay in the
// file so data sealed under them (and backups of it) can still be opened;
// Rotate adds a key, and the store's rotation re-seals every value under it.
//
// A sealed value is the text "seal1:<key id>:<base64url(nonce|ciphertext)>".
// Each value is bound to where it lives by the additional data the caller
// gives (for example "users.totp_secret:" + user id), so a ciphertext
// copied into another row or column does not open.
package seal

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// prefix starts every sealed value; the 1 is the format's version.
const prefix = "seal1:"

// keySize is AES-256's key length in bytes.
const keySize = 32

// ErrNoKey is the error (wrapped) for a sealed value whose key id is not
// in the key file: the file is not the one the data was sealed with, or a
// key was removed from it.
var ErrNoKey = errors.New("the key that sealed this value is not in the key file")

// ErrOpen is the error (wrapped) for a sealed value that does not open: it
// was changed, moved to another row, or is not a sealed value.
var ErrOpen = errors.New("sealed value does not open")

// Keyring is the set of data keys; the zero value is not usable. It is safe
// for concurrent use.
type Keyring struct {
	mu      sync.RWMutex
	keys    map[string]cipher.AEAD
	order   []string // ids, oldest first; the last is current
	secrets map[string][]byte
	path    string    // the key file it came from ("" for New)
	stamp   fileStamp // the key file's size and time when last read
	// parent and label make a derived keyring (Derived): its keys are
	// derived from parent's, and follow it when it reloads.
	parent *Keyring
	label  string
}

// New returns a keyring with one fresh key, held only in memory (for tests
// and for a first start before Save).
func New() (*Keyring, error) {
	k := &Keyring{keys: map[string]cipher.AEAD{}, secrets: map[string][]byte{}}
	if _, err := k.add(); err != nil {
		return nil, err
	}
	return k, nil
}

// keyID returns a key's id: "k" and the first 8 hex digits of the SHA-256
// of the key, so the id says nothing about the key itself.
func keyID(secret []byte) string {
	sum := sha256.Sum256(append([]byte("kapstone data key id\x00"), secret...))
	return "k" + hex.EncodeToString(sum[:4])
}

func (k *Keyring) addSecret(secret []byte) (string, error) {
	if len(secret) != keySize {
		return "", fmt.Errorf("a data key must be %d bytes, not %d", keySize, len(secret))
	}
	block, err := aes.NewCipher(secret)
	if err != nil {
		return "", err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return "", err
	}
	id := keyID(secret)
	if _, dup := k.keys[id]; dup {
		return "", fmt.Errorf("data key %s is in the key file twice", id)
	}
	k.keys[id] = aead
	k.secrets[id] = append([]byte(nil), secret...)
	k.order = append(k.order, id)
	return id, nil
}

func (k *Keyring) add() (string, error) {
	secret := make([]byte, keySize)
	if _, err := rand.Read(secret); err != nil {
		return "", err
	}
	return k.addSecret(secret)
}

// Current returns the id of the key that seals new values.
func (k *Keyring) Current() string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.order[len(k.order)-1]
}

// IDs returns the ids of every key, oldest first.
func (k *Keyring) IDs() []string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return append([]string(nil), k.order...)
}

// Seal encrypts plain under the current key, bound to aad.
func (k *Keyring) Seal(plain []byte, aad string) (string, error) {
	if k == nil {
		return "", errors.New("no data key is loaded")
	}
	k.mu.RLock()
	id := k.order[len(k.order)-1]
	aead := k.keys[id]
	k.mu.RUnlock()
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := aead.Seal(nonce, nonce, plain, []byte(aad))
	return prefix + id + ":" + base64.RawURLEncoding.EncodeToString(out), nil
}

// SealString is Seal for text.
func (k *Keyring) SealString(plain, aad string) (string, error) {
	return k.Seal([]byte(plain), aad)
}

// Open decrypts a value made by Seal with the same aad.
func (k *Keyring) Open(sealed, aad string) ([]byte, error) {
	if k == nil {
		return nil, errors.New("no data key is loaded")
	}
	id, body, ok := split(sealed)
	if !ok {
		return nil, fmt.Errorf("%w: not a sealed value", ErrOpen)
	}
	k.mu.RLock()
	aead := k.keys[id]
	k.mu.RUnlock()
	if aead == nil && k.reload() {
		// Another process (kapstone keys rotate) may have added the key.
		k.mu.RLock()
		aead = k.keys[id]
		k.mu.RUnlock()
	}
	if aead == nil {
		return nil, fmt.Errorf("%w (key id %s)", ErrNoKey, id)
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return nil, fmt.Errorf("%w: malformed", ErrOpen)
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(aad))
	if err != nil {
		return nil, fmt.Errorf("%w: wrong key, changed, or moved", ErrOpen)
	}
	return plain, nil
}

// reload re-reads the key file and adopts it if it still holds every key
// this keyring has; it reports whether it did.
func (k *Keyring) reload() bool {
	if k.parent != nil {
		if !k.parent.reload() {
			return false
		}
		k.parent.mu.RLock()
		ps := k.parent.stamp
		k.parent.mu.RUnlock()
		k.mu.RLock()
		same := ps == k.stamp && ps != (fileStamp{})
		k.mu.RUnlock()
		if same {
			return true // derived from the file as it is now
		}
		fresh, err := k.parent.Derived(k.label)
		if err != nil {
			return false
		}
		k.mu.Lock()
		defer k.mu.Unlock()
		k.keys, k.order, k.secrets, k.stamp = fresh.keys, fresh.order, fresh.secrets, fresh.stamp
		return true
	}
	if k.path == "" {
		return false
	}
	// The file is read again only when its size or time changed since it
	// was last read: one stat per sealed write, not a read and a parse.
	if st, err := stampOf(k.path); err == nil {
		k.mu.RLock()
		same := st == k.stamp
		k.mu.RUnlock()
		if same {
			return true
		}
	}
	fresh, err := Load(k.path)
	if err != nil {
		return false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, id := range k.order {
		if fresh.keys[id] == nil {
			return false // a key was removed: keep what we have
		}
	}
	k.keys, k.order, k.secrets, k.stamp = fresh.keys, fresh.order, fresh.secrets, fresh.stamp
	return true
}

// fileStamp is what tells that a key file changed: its size and
// modification time.
type fileStamp struct {
	size int64
	mod  time.Time
}

func stampOf(path string) (fileStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{fi.Size(), fi.ModTime()}, nil
}

// Refresh re-reads the key file (when the keyring came from one), so a key
// that another process added (kapstone keys rotate) seals new values here
// too, not only once a value sealed under it is opened. It keeps the keys it
// has when the file cannot be read or lacks one of them, and reports whether
// it adopted the file.
func (k *Keyring) Refresh() bool {
	if k == nil {
		return false
	}
	return k.reload()
}

// OpenString is Open for text.
func (k *Keyring) OpenString(sealed, aad string) (string, error) {
	b, err := k.Open(sealed, aad)
	return string(b), err
}

// IsSealed reports whether s has the form of a sealed value (it says
// nothing about whether it opens).
func IsSealed(s string) bool {
	_, _, ok := split(s)
	return ok
}

// KeyID returns the id of the key a sealed value was sealed under.
func KeyID(sealed string) (string, bool) {
	id, _, ok := split(sealed)
	return id, ok
}

func split(s string) (id, body string, ok bool) {
	rest, found := strings.CutPrefix(s, prefix)
	if !found {
		return "", "", false
	}
	id, body, found = strings.Cut(rest, ":")
	if !found || id == "" || body == "" {
		return "", "", false
	}
	return id, body, true
}

// fileHeader opens every key file.
const fileHeader = `# kapstone data keys: they encrypt psychotherapy notes and sign-in (TOTP)
# secrets in the database. Keep a copy of this file off this machine, apart
# from the database backups: without it that data cannot be read. The last
# key seals new data; keep the older ones for data and backups sealed before.
`

// Load reads a key file. It never makes one: a missing file is an error
// (fs.ErrNotExist, wrapped), since new keys would not open existing data.
func Load(path string) (*Keyring, error) {
	// The stamp is taken before the read: a change in between only makes
	// the next Refresh read the file once more.
	stamp, _ := stampOf(path)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k := &Keyring{keys: map[string]cipher.AEAD{}, secrets: map[string][]byte{}}
	sc := bufio.NewScanner(bytes.NewReader(b))
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, enc, ok := strings.Cut(line, " ")
		if !ok {
			return nil, fmt.Errorf("%s line %d: want \"<id> <key>\"", path, n)
		}
		secret, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
		if err != nil {
			return nil, fmt.Errorf("%s line %d: the key is not base64", path, n)
		}
		got, err := k.addSecret(secret)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %v", path, n, err)
		}
		if got != id {
			return nil, fmt.Errorf("%s line %d: the key does not match its id %s (the file was changed)", path, n, id)
		}
	}
	if len(k.order) == 0 {
		return nil, fmt.Errorf("%s holds no key", path)
	}
	k.path, k.stamp = path, stamp
	return k, nil
}

// LoadOrCreate reads a key file, or makes one with a fresh key if there is
// none.
func LoadOrCreate(path string) (*Keyring, error) {
	k, err := Load(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	// Two processes starting at once on a new install: the second finds
	// the first one's file under the lock instead of writing over it.
	unlock, err := lockFile(path)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if k, err = Load(path); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	k, err = New()
	if err != nil {
		return nil, err
	}
	if err := k.Save(path); err != nil {
		return nil, err
	}
	k.path = path
	return k, nil
}

// Derived returns a keyring whose every key is derived from this one's key
// of the same id by HKDF-SHA256 with label, for one use apart from the
// data (for example short-lived values the server seals for browsers), so
// that use neither spends the data keys' random-nonce budget nor shares a
// key with them. Its values name the key ids of this keyring, so a value
// sealed under a key that rotation later makes old still opens. It follows
// this keyring when it reloads; it is never saved (Save refuses it).
func (k *Keyring) Derived(label string) (*Keyring, error) {
	if k == nil {
		return nil, errors.New("no data key is loaded")
	}
	if label == "" {
		return nil, errors.New("a derived keyring needs a label")
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	d := &Keyring{keys: map[string]cipher.AEAD{}, secrets: map[string][]byte{}, parent: k, label: label, stamp: k.stamp}
	for _, id := range k.order {
		sub, err := hkdf.Key(sha256.New, k.secrets[id], nil, "kapstone derived key:"+label, keySize)
		if err != nil {
			return nil, err
		}
		block, err := aes.NewCipher(sub)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		d.keys[id], d.secrets[id] = aead, sub
		d.order = append(d.order, id)
	}
	return d, nil
}

// Save writes the keyring to path (mode 0600) atomically: a crash leaves
// either the old file or the new one.
func (k *Keyring) Save(path string) error {
	if k.parent != nil {
		return errors.New("a derived keyring is never saved: save the keyring it came from")
	}
	k.mu.RLock()
	var buf bytes.Buffer
	buf.WriteString(fileHeader)
	for _, id := range k.order {
		fmt.Fprintf(&buf, "%s %s\n", id, base64.StdEncoding.EncodeToString(k.secrets[id]))
	}
	k.mu.RUnlock()
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".data-key-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// AddKey makes a fresh key the current one and returns its id. The caller
// saves the keyring (before sealing anything under the new key, so no value
// is ever sealed under a key that is only in memory).
func (k *Keyring) AddKey() (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.add()
}

// AddKeyToFile adds a fresh key to the key file at path and makes it the
// current one, returning its id. It holds an exclusive lock on the file
// while it reads, adds and writes, and reads the file afresh under that
// lock, so concurrent rotations (or instances sharing the file) each add
// their key and none drops another's. Keyrings loaded from the file before
// pick the key up with Refresh.
func AddKeyToFile(path string) (string, error) {
	unlock, err := lockFile(path)
	if err != nil {
		return "", err
	}
	defer unlock()
	k, err := Load(path)
	if err != nil {
		return "", err
	}
	id, err := k.AddKey()
	if err != nil {
		return "", err
	}
	if err := k.Save(path); err != nil {
		return "", err
	}
	return id, nil
}
