package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// testKey returns a key with a fixed seed made of b, so results repeat.
func testKey(b byte) *Key {
	return keyFromSeed(bytes.Repeat([]byte{b}, 32))
}

var start = time.Date(2026, 3, 2, 9, 0, 0, 123456000, time.UTC)

// sealedLog returns a log of n rows sealed with k.
func sealedLog(k *Key, n int) []Event {
	log := make([]Event, 0, n)
	prev := GenesisHash
	for i := 1; i <= n; i++ {
		e := Event{
			Seq:        int64(i),
			At:         start.Add(time.Duration(i) * time.Second),
			ActorID:    fmt.Sprintf("u%d", i%3),
			ActorRole:  "therapist",
			Action:     "patient.read",
			Outcome:    "success",
			PatientID:  "p7",
			ObjectType: "patient",
			ObjectID:   "p7",
			ClientAddr: "192.0.2.10",
			RequestID:  fmt.Sprintf("req-%d", i),
		}
		k.Seal(prev, &e)
		prev = e.Hash
		log = append(log, e)
	}
	return log
}

// rechain recomputes PrevHash and Hash of log[from:] so the chain links,
// keeping each old Sig, as someone without the key would.
func rechain(log []Event, from int) {
	for i := from; i < len(log); i++ {
		log[i].PrevHash = GenesisHash
		if i > 0 {
			log[i].PrevHash = log[i-1].Hash
		}
		log[i].Hash = log[i].ComputeHash()
	}
}

// reseal seals log[from:] again with k, keeping the chain linked.
func reseal(k *Key, log []Event, from int) {
	for i := from; i < len(log); i++ {
		prev := GenesisHash
		if i > 0 {
			prev = log[i-1].Hash
		}
		k.Seal(prev, &log[i])
	}
}

// verify streams log through a Verifier and returns Finish's Problem.
func verify(t *testing.T, k *Key, log []Event, cps []Checkpoint) *Problem {
	t.Helper()
	v := NewVerifier(k.Public(), cps)
	var first *Problem
	for _, e := range log {
		p := v.Add(e)
		if first == nil {
			first = p
		} else if p != first {
			t.Errorf("Add after a problem = %v, want the first problem %v again", p, first)
		}
	}
	got := v.Finish()
	if first != nil && got != first {
		t.Errorf("Finish() = %v, want Add's first problem %v", got, first)
	}
	return got
}

func TestVerify(t *testing.T) {
	const n = 50
	const verifies = -1
	k, other := testKey(1), testKey(2)
	at := start.Add(time.Hour)
	// Each case receives a fresh 50-row log and a checkpoint of all 50 rows.
	tests := []struct {
		name    string
		tamper  func(log []Event, cps []Checkpoint) ([]Event, []Checkpoint)
		wantSeq int64  // first bad Seq, or verifies
		why     string // in the Reason
	}{
		{"clean", func(log []Event, cps []Checkpoint) ([]Event, []Checkpoint) {
			return log, cps
		}, verifies, ""},
		{"clean without checkpoints", func(log []Event, cps []Checkpoint) ([]Event, []Checkpoint) {
			return log, nil
		}, verifies, ""},
		{"clean with a checkpoint of every row", func(log []Event, _ []Checkpoint) ([]Event, []Checkpoint) {
			cps := []Checkpoint{k.SignCheckpoint(0, GenesisHash, at)}
			for _, e := range log {
				cps = append(cps, k.SignCheckpoint(e.Seq, e.Hash, at))
			}
			return log, cps
		}, verifies, ""},
		{"empty log", func(log []Event, cps []Checkpoint) ([]Event, []Checkpoint) {
			return nil, []Checkpoint{k.SignCheckpoint(0, GenesisHash, at)}
		}, verifies, ""},
		{"edited field", func(log []Event, cps []Checkpoint) ([]Event, []Checkpoint) {
			log[16].PatientID = "p8"
			return log, cps
		}, 17, "edited"},
		{"edited time", func(log []Event, cps []Checkpoint) ([]Event, []Checkpoint) {
			log[16].At = log[16].At.Add(time.Microsecond)
			return log, cps
		}, 17, "edited"},
		{"edited first row", func(log []Event, cps []Checkpoint) ([]Event, []Checkpoint) {
			log[0].Outcome = "failure"
			return log, cps
		}, 1, "edited"},
		{"edited previous hash", func(log []Event, cps []Checkpoint) ([]Event, []Checkpoint) {
			log[16].PrevHash = log[14].Hash
			return log, cps
		}, 17, "previous hash"},
		{"edited row with its hash recomputed", func(log []Event, cps []Checkpoint) ([]Event, []Checkpoint) {
			log[16].Detail = "reason.override"
			log[16].Hash = log[16].ComputeHash()
			return log, cps
		}, 17, "without the key"},
		{"deleted middle row", func(log []Event, cps []Checkpoint) ([]Event, []Checkpoint) {
			return slices.Delete(log, 17, 18), cps
		}, 18, "row 18 is missing (deleted)"},
		{"deleted three rows", func(log []Event, cps []Checkpoint) ([]Event, []Checkpoint) {
			return slices.Delete(log, 17, 20), cps
		}, 18, "rows 18 to 20 are missing (deleted)"},
		{"deleted first row", func(log []Event, cps []Checkpoint) ([]Event, []Checkpoint) {
			return log[1:], cps
		}, 1, "row 1 is missing"},
		{"deleted middle row, later rows renumbered and rechained", func(log []Event, cps []Checkpoint) ([]Event, []Checkpoint) {
			log = slices.Delete(log, 17, 18)
			for i := 17; i < len(log); i++ {
				log[i].Seq--
			}
			rechain(log, 17)
			return log, cps
		}, 18, "without the key"},
		{"inserted copy of a row after it", func(log []Event, cps []Checkpoint) ([]Event, []Checkpoint) {
			return slices.Insert(log, 30, log[29]), cps
		}, 30, "appears twice (inserted)"},
		{"inserted copy of an older row", func(log []Event, cps []Checkpoint) ([]Event, []Checkpoint) {
			return slices.Insert(log, 30, log[11]), cps
		}, 12, "row 12 appears after row 30 (inserted or reordered)"},
		{"inserted row with Seq 0", func(log []Event, cps []Checkpoint) ([]Event, []Checkpoint) {
			e := log[0]
			e.Seq = 0
			return slices.Insert(log, 0, e), cps
		}, 0, "inserted"},
		{"inserted forged row, chained", func(log []Event, cps []Checkpoint) ([]Event, []Checkpoint) {
			e := log[25]
			e.ActorID, e.Action = "u9", "patient.update"
			other.Seal(log[24].Hash, &e)
			return slices.Insert(log, 25, e), cps
		}, 26, "without the key"},
		{"swapped rows", func(log []Event, cps []Checkpoint) ([]Event, []Checkpoint) {
			log[4], log[5] = log[5], log[4]
			return log, cps
		}, 5, "row 5 is missing"},
		{"truncated tail", func(log []Event, cps []Checkpoint) ([]Event, []Checkpoint) {
			return log[:45], cps
		}, 46, "log ends at row 45 but the checkpoint of 2026-03-02T10:00:00.123456Z covering 50 rows (truncated)"},
		{"truncated to nothing", func(log []Event, cps []Checkpoint) ([]Event, []Checkpoint) {
			return nil, cps
		}, 1, "log is empty but the checkpoint"},
		{"truncated past the older of two checkpoints", func(log []Event, cps []Checkpoint) ([]Event, []Checkpoint) {
			return log[:20], append(cps, k.SignCheckpoint(30, log[29].Hash, at))
		}, 21, "covering 50 rows (truncated)"},
		{"truncated after the last checkpoint, undetectable", func(log []Event, cps []Checkpoint) ([]Event, []Checkpoint) {
			return log[:45], []Checkpoint{k.SignCheckpoint(40, log[39].Hash, at)}
		}, verifies, ""},
		{"truncated tail regrown without the key", func(log []Event, cps []Checkpoint) ([]Event, []Checkpoint) {
			log[45].Detail = "regrown"
			reseal(other, log, 45)
			return log, cps
		}, 46, "without the key"},
		{"chain rewritten from row 9 without the key", func(log []Event, cps []Checkpoint) ([]Event, []Checkpoint) {
			log[8].ActorID = "u9"
			rechain(log, 8)
			return log, cps
		}, 9, "row 9: signature does not verify (chain rewritten without the key)"},
		{"chain rewritten from row 9 with another key", func(log []Event, cps []Checkpoint) ([]Event, []Checkpoint) {
			log[8].ActorID = "u9"
			reseal(other, log, 8)
			return log, cps
		}, 9, "without the key"},
		{"row re-signed with another key", func(log []Event, cps []Checkpoint) ([]Event, []Checkpoint) {
			other.Seal(log[32].PrevHash, &log[32])
			return log, cps
		}, 33, "without the key"},
		{"whole log re-signed with another key", func(log []Event, cps []Checkpoint) ([]Event, []Checkpoint) {
			reseal(other, log, 0)
			return log, cps
		}, 1, "without the key"},
		{"row appended without the key", func(log []Event, cps []Checkpoint) ([]Event, []Checkpoint) {
			e := Event{Seq: 51, At: at, Action: "login.success", Outcome: "success"}
			other.Seal(log[49].Hash, &e)
			return append(log, e), cps
		}, 51, "without the key"},
		{"signature stripped", func(log []Event, cps []Checkpoint) ([]Event, []Checkpoint) {
			log[39].Sig = ""
			return log, cps
		}, 40, "without the key"},
		{"chain rewritten with the key after a checkpoint", func(log []Event, _ []Checkpoint) ([]Event, []Checkpoint) {
			cps := []Checkpoint{k.SignCheckpoint(30, log[29].Hash, at)}
			log[19].Outcome = "denied"
			reseal(k, log, 19)
			return log, cps
		}, 30, "row 30 does not match the checkpoint"},
		{"checkpoint altered", func(log []Event, cps []Checkpoint) ([]Event, []Checkpoint) {
			cps[0].Size = 45
			return log, cps
		}, 0, "signature does not verify (checkpoint forged or altered)"},
		{"checkpoint signed with another key", func(log []Event, cps []Checkpoint) ([]Event, []Checkpoint) {
			return log[:45], []Checkpoint{other.SignCheckpoint(45, log[44].Hash, at)}
		}, 0, "not the log key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := sealedLog(k, n)
			cps := []Checkpoint{k.SignCheckpoint(n, log[n-1].Hash, at)}
			log, cps = tt.tamper(log, cps)
			got := verify(t, k, log, cps)
			if tt.wantSeq == verifies {
				if got != nil {
					t.Fatalf("Finish() = %v, want nil", got)
				}
				return
			}
			if got == nil {
				t.Fatalf("Finish() = nil, want a problem at row %d", tt.wantSeq)
			}
			if got.Seq != tt.wantSeq {
				t.Errorf("Finish().Seq = %d (%v), want %d", got.Seq, got, tt.wantSeq)
			}
			if got.Error() != got.Reason {
				t.Errorf("Error() = %q, want the Reason %q", got.Error(), got.Reason)
			}
			if !strings.Contains(got.Reason, tt.why) {
				t.Errorf("Finish().Reason = %q, want it to contain %q", got.Reason, tt.why)
			}
		})
	}
}

func TestVerifierCountHead(t *testing.T) {
	k := testKey(1)
	log := sealedLog(k, 10)
	v := NewVerifier(k.Public(), nil)
	if got := v.Head(); got != GenesisHash {
		t.Errorf("Head() of an empty log = %q, want GenesisHash", got)
	}
	for _, e := range log[:7] {
		v.Add(e)
	}
	bad := log[7]
	bad.Detail = "x"
	v.Add(bad)
	v.Add(log[8])
	if got, want := v.Count(), int64(7); got != want {
		t.Errorf("Count() = %d, want %d", got, want)
	}
	if got, want := v.Head(), log[6].Hash; got != want {
		t.Errorf("Head() = %q, want %q (row 7's hash)", got, want)
	}
}

// golden is an event whose hash is pinned: if this test fails, Canonical
// changed, and every stored log would stop verifying.
var golden = Event{
	Seq:        17,
	At:         time.Date(2026, 3, 2, 10, 4, 5, 123456789, time.FixedZone("EST", -5*3600)),
	ActorID:    "usr_01HZX",
	ActorRole:  "therapist",
	Action:     "patient.read",
	Outcome:    "success",
	PatientID:  "pat_42",
	ObjectType: "patient",
	ObjectID:   "pat_42",
	ClientAddr: "2001:db8::1",
	RequestID:  "req-7f3a",
	Detail:     "chart",
	PrevHash:   "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
}

const goldenHash = "3885524b3992ce8a17338f53ed6f12f7561470b4e65269a784ce3db05bbcae23"

func TestCanonicalGolden(t *testing.T) {
	e := golden
	if got := e.ComputeHash(); got != goldenHash {
		t.Fatalf("ComputeHash() = %s, want %s; Canonical() =\n%s", got, goldenHash, e.Canonical())
	}
	wantPrefix := "kapstone-audit-event-v1\n64:" + golden.PrevHash + "\n2:17\n27:2026-03-02T15:04:05.123456Z\n"
	if got := string(e.Canonical()); !strings.HasPrefix(got, wantPrefix) {
		t.Errorf("Canonical() = %q, want it to start %q", got, wantPrefix)
	}
	e.Hash, e.Sig = "anything", "anything"
	if got := e.ComputeHash(); got != goldenHash {
		t.Errorf("ComputeHash() with Hash and Sig set = %s, want %s (they are not hashed)", got, goldenHash)
	}
	e.At = time.Date(2026, 3, 2, 15, 4, 5, 123456000, time.UTC)
	if got := e.ComputeHash(); got != goldenHash {
		t.Errorf("ComputeHash() with At in UTC microseconds = %s, want %s", got, goldenHash)
	}
}

func TestCanonicalCoversEveryField(t *testing.T) {
	edits := map[string]func(*Event){
		"Seq":        func(e *Event) { e.Seq++ },
		"At":         func(e *Event) { e.At = e.At.Add(time.Microsecond) },
		"ActorID":    func(e *Event) { e.ActorID += "x" },
		"ActorRole":  func(e *Event) { e.ActorRole = "admin" },
		"Action":     func(e *Event) { e.Action = "patient.update" },
		"Outcome":    func(e *Event) { e.Outcome = "denied" },
		"PatientID":  func(e *Event) { e.PatientID = "" },
		"ObjectType": func(e *Event) { e.ObjectType = "note" },
		"ObjectID":   func(e *Event) { e.ObjectID += "x" },
		"ClientAddr": func(e *Event) { e.ClientAddr = "192.0.2.1" },
		"RequestID":  func(e *Event) { e.RequestID += "x" },
		"Detail":     func(e *Event) { e.Detail = "" },
		"PrevHash":   func(e *Event) { e.PrevHash = GenesisHash },
		// Moving bytes between neighbouring fields must change the hash too.
		"ActorID/ActorRole boundary": func(e *Event) { e.ActorID, e.ActorRole = e.ActorID+"t", "herapist" },
		"ObjectID/ClientAddr boundary": func(e *Event) {
			e.ObjectID, e.ClientAddr = e.ObjectID+"2", "001:db8::1"
		},
	}
	for name, edit := range edits {
		e := golden
		edit(&e)
		if got := e.ComputeHash(); got == goldenHash {
			t.Errorf("ComputeHash() after editing %s = the golden hash, want a different hash", name)
		}
	}
}

func TestSeal(t *testing.T) {
	k := testKey(1)
	e := golden
	k.Seal(GenesisHash, &e)
	if e.PrevHash != GenesisHash {
		t.Errorf("PrevHash = %q, want GenesisHash", e.PrevHash)
	}
	if got, want := e.At, time.Date(2026, 3, 2, 15, 4, 5, 123456000, time.UTC); got != want {
		t.Errorf("At = %v, want %v (UTC, truncated to microseconds)", got, want)
	}
	if got := e.ComputeHash(); e.Hash != got {
		t.Errorf("Hash = %s, want ComputeHash() = %s", e.Hash, got)
	}
	v := NewVerifier(k.Public(), nil)
	e.Seq = 1
	k.Seal(GenesisHash, &e)
	if p := v.Add(e); p != nil {
		t.Errorf("Add(sealed row 1) = %v, want nil", p)
	}
}

func TestCheckpoint(t *testing.T) {
	k := testKey(1)
	at := time.Date(2026, 3, 2, 10, 0, 0, 987654321, time.FixedZone("CET", 3600))
	c := k.SignCheckpoint(45, sealedLog(k, 1)[0].Hash, at)
	if err := c.Verify(k.Public()); err != nil {
		t.Fatalf("Verify() = %v, want nil", err)
	}
	line := c.String()
	if want := "kapstone-audit-checkpoint-v1 size=45 head=" + c.Head + " at=2026-03-02T09:00:00.987654Z key=" + k.ID() + " sig="; !strings.HasPrefix(line, want) {
		t.Errorf("String() = %q, want it to start %q", line, want)
	}
	got, err := ParseCheckpoint(line)
	if err != nil {
		t.Fatalf("ParseCheckpoint(%q) error = %v, want nil", line, err)
	}
	if got != c {
		t.Errorf("ParseCheckpoint(String()) = %+v, want %+v", got, c)
	}
	if got.String() != line {
		t.Errorf("ParseCheckpoint(line).String() = %q, want %q", got.String(), line)
	}
	if err := got.Verify(k.Public()); err != nil {
		t.Errorf("parsed Verify() = %v, want nil", err)
	}

	edits := map[string]func(*Checkpoint){
		"Size":      func(c *Checkpoint) { c.Size-- },
		"Size to 0": func(c *Checkpoint) { c.Size = 0 },
		"Head":      func(c *Checkpoint) { c.Head = GenesisHash },
		"At":        func(c *Checkpoint) { c.At = c.At.Add(time.Microsecond) },
		"KeyID":     func(c *Checkpoint) { c.KeyID = testKey(2).ID() },
		"Sig":       func(c *Checkpoint) { c.Sig = testKey(1).SignCheckpoint(44, c.Head, c.At).Sig },
		"no Sig":    func(c *Checkpoint) { c.Sig = "" },
		"Head case": func(c *Checkpoint) { c.Head = strings.ToUpper(c.Head) },
		"negative":  func(c *Checkpoint) { c.Size = -1 },
	}
	for name, edit := range edits {
		e := c
		edit(&e)
		if err := e.Verify(k.Public()); err == nil {
			t.Errorf("Verify() after editing %s = nil, want an error", name)
		}
	}
	if err := c.Verify(testKey(2).Public()); err == nil {
		t.Error("Verify(another key) = nil, want an error")
	}
	if err := c.Verify(nil); err == nil {
		t.Error("Verify(nil) = nil, want an error")
	}
	empty := k.SignCheckpoint(0, GenesisHash, at)
	if err := empty.Verify(k.Public()); err != nil {
		t.Errorf("Verify() of an empty log's checkpoint = %v, want nil", err)
	}
}

func TestParseCheckpointRejects(t *testing.T) {
	k := testKey(1)
	head := sealedLog(k, 1)[0].Hash
	line := k.SignCheckpoint(45, head, start).String()
	tests := []struct {
		name string
		line string
	}{
		{"empty", ""},
		{"trailing newline", line + "\n"},
		{"trailing space", line + " "},
		{"double space", strings.Replace(line, " ", "  ", 1)},
		{"other version", strings.Replace(line, "-v1 ", "-v2 ", 1)},
		{"missing sig", line[:strings.Index(line, " sig=")]},
		{"fields reordered", strings.Replace(line, "size=45 head=", "head=", 1) + " size=45"},
		{"size with a sign", strings.Replace(line, "size=45", "size=+45", 1)},
		{"size with a leading zero", strings.Replace(line, "size=45", "size=045", 1)},
		{"negative size", strings.Replace(line, "size=45", "size=-1", 1)},
		{"uppercase head", strings.Replace(line, head, strings.ToUpper(head), 1)},
		{"short head", strings.Replace(line, "head=", "head=0", 1)},
		{"three fractional digits", strings.Replace(line, ".123456Z", ".123Z", 1)},
		{"offset instead of Z", strings.Replace(line, ".123456Z", ".123456+00:00", 1)},
		{"short key id", strings.Replace(line, "key="+k.ID(), "key=1234567", 1)},
		{"sig not base64", strings.Replace(line, "sig=", "sig=!", 1)},
	}
	for _, tt := range tests {
		if got, err := ParseCheckpoint(tt.line); err == nil {
			t.Errorf("%s: ParseCheckpoint(%q) = %+v, nil; want an error", tt.name, tt.line, got)
		}
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.key")
	k, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatalf("LoadOrCreateKey(new) error = %v, want nil", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("key file mode = %v, want 0600", got)
	}
	data, _ := os.ReadFile(path)
	if want := "-----BEGIN KAPSTONE AUDIT KEY-----\nKey-Id: " + k.ID() + "\n"; !strings.HasPrefix(string(data), want) {
		t.Errorf("key file = %q, want it to start %q", data, want)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after creating the key, want 1 (no temporary files left)", len(entries))
	}
	if sum := sha256.Sum256(k.Public()); fmt.Sprintf("%x", sum[:4]) != k.ID() || len(k.ID()) != 8 {
		t.Errorf("ID() = %q, want the first 8 hex digits of SHA-256(public key)", k.ID())
	}

	again, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatalf("LoadOrCreateKey(existing) error = %v, want nil", err)
	}
	if again.ID() != k.ID() || !again.Public().Equal(k.Public()) {
		t.Errorf("LoadOrCreateKey(existing) = key %s, want the created key %s", again.ID(), k.ID())
	}
	log := sealedLog(k, 3)
	if p := verify(t, again, log, nil); p != nil {
		t.Errorf("verifying rows sealed before reloading = %v, want nil", p)
	}

	other, err := LoadOrCreateKey(filepath.Join(dir, "other.key"))
	if err != nil {
		t.Fatal(err)
	}
	if other.ID() == k.ID() {
		t.Errorf("two created keys share the id %s, want random keys", k.ID())
	}

	if _, err := LoadOrCreateKey(filepath.Join(dir, "missing", "audit.key")); err == nil {
		t.Error("LoadOrCreateKey(path in a missing directory) error = nil, want an error")
	}
}

func TestLoadOrCreateKeyConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.key")
	ids := make([]string, 8)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			k, err := LoadOrCreateKey(path)
			if err != nil {
				t.Errorf("LoadOrCreateKey error = %v, want nil", err)
				return
			}
			ids[i] = k.ID()
		})
	}
	wg.Wait()
	stored, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		if id != stored.ID() {
			t.Errorf("caller %d got key %s, want the stored key %s", i, id, stored.ID())
		}
	}
}

func TestLoadOrCreateKeyRejectsMalformed(t *testing.T) {
	good := string(encodeKey(testKey(1)))
	tests := []struct {
		name string
		data string
	}{
		{"empty", ""},
		{"not PEM", "hello\n"},
		{"other PEM type", strings.ReplaceAll(good, "KAPSTONE AUDIT KEY", "PRIVATE KEY")},
		{"no Key-Id", strings.Replace(good, "Key-Id: "+testKey(1).ID()+"\n", "", 1)},
		{"wrong Key-Id", strings.Replace(good, testKey(1).ID(), testKey(2).ID(), 1)},
		{"short seed", string(pemBlock(bytes.Repeat([]byte{1}, 31)))},
		{"data after the block", good + "x\n"},
		{"two blocks", good + good},
	}
	for _, tt := range tests {
		path := filepath.Join(t.TempDir(), "audit.key")
		if err := os.WriteFile(path, []byte(tt.data), 0o600); err != nil {
			t.Fatal(err)
		}
		k, err := LoadOrCreateKey(path)
		if err == nil {
			t.Errorf("%s: LoadOrCreateKey = key %s, nil; want an error", tt.name, k.ID())
			continue
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("%s: LoadOrCreateKey error = %q, want it to name %s", tt.name, err, path)
		}
		if got, _ := os.ReadFile(path); string(got) != tt.data {
			t.Errorf("%s: malformed key file was rewritten, want it left alone", tt.name)
		}
	}
}

// pemBlock returns a key file holding seed, for building malformed files.
func pemBlock(seed []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: keyPEMType, Headers: map[string]string{"Key-Id": "00000000"}, Bytes: seed})
}

func benchEvent() Event {
	return Event{
		Seq: 123456, At: start, ActorID: "usr_01HZX", ActorRole: "therapist",
		Action: "patient.read", Outcome: "success", PatientID: "pat_42",
		ObjectType: "patient", ObjectID: "pat_42", ClientAddr: "2001:db8::1",
		RequestID: "req-7f3a", Detail: "chart",
	}
}

// BenchmarkSeal measures sealing one row: encode, hash, sign.
func BenchmarkSeal(b *testing.B) {
	k := testKey(1)
	e := benchEvent()
	b.SetBytes(int64(len(e.Canonical())))
	for b.Loop() {
		k.Seal(GenesisHash, &e)
	}
}

// BenchmarkSHA256 is BenchmarkSeal's baseline: hashing the same bytes.
func BenchmarkSHA256(b *testing.B) {
	e := benchEvent()
	e.PrevHash = GenesisHash
	data := e.Canonical()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		sha256.Sum256(data)
	}
}

// BenchmarkVerifierAdd measures verifying one row: encode, hash, check the
// signature.
func BenchmarkVerifierAdd(b *testing.B) {
	k := testKey(1)
	log := sealedLog(k, 1000)
	b.SetBytes(int64(len(log[0].Canonical())))
	var v *Verifier
	i := 0
	for b.Loop() {
		if i%len(log) == 0 {
			v = NewVerifier(k.Public(), nil)
		}
		if p := v.Add(log[i%len(log)]); p != nil {
			b.Fatal(p)
		}
		i++
	}
}

func TestLoadKeyNeverCreates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.pem")
	if _, err := LoadKey(path); err == nil {
		t.Fatal("LoadKey of a missing file succeeded")
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("LoadKey created a key file")
	}
	k, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadKey(path)
	if err != nil || k2.ID() != k.ID() {
		t.Fatalf("LoadKey = %v, %v; want the same key", k2, err)
	}
	a, b := k.MAC("email", []byte("x@example.org")), k.MAC("email", []byte("y@example.org"))
	if a == b || len(a) != 32 || k2.MAC("email", []byte("x@example.org")) != a || k.MAC("other", []byte("x@example.org")) == a {
		t.Fatalf("MAC is not a keyed, labelled, stable 128-bit hash: %s %s", a, b)
	}
}

// leakedKeyFile is the audit key a test run wrote to
// cmd/kapstone/kapstone-data/audit-key.pem and that was committed to
// kapstone's git history (commit 52407c2): its private half is public, so
// kapstone must refuse it. It is here only to prove that.
const leakedKeyFile = `-----BEGIN KAPSTONE AUDIT KEY-----
Key-Id: c27f040e

9eijESYUUiMAR2Tbb2IkJquuHYwXUH21RTpUa0DInPM=
-----END KAPSTONE AUDIT KEY-----
`

// TestPublicKeyRefused: neither LoadOrCreateKey nor LoadKey loads the key
// that was committed to git; the error says why and how to recover, the
// file is left as it was, and once it is moved aside a new key is made and
// signs rows that verify.
func TestPublicKeyRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit-key.pem")
	if err := os.WriteFile(path, []byte(leakedKeyFile), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, load := range map[string]func(string) (*Key, error){"LoadOrCreateKey": LoadOrCreateKey, "LoadKey": LoadKey} {
		k, err := load(path)
		if !errors.Is(err, ErrPublicKey) || k != nil {
			t.Fatalf("%s(leaked key): got a key %v, error %v; want ErrPublicKey", name, k != nil, err)
		}
		for _, want := range []string{path, "c27f040e", "committed to kapstone's source repository", "will not sign", "Move " + path + " aside", "makes a new key"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s(leaked key) error = %q, want it to contain %q", name, err, want)
			}
		}
		if data, _ := os.ReadFile(path); string(data) != leakedKeyFile {
			t.Errorf("%s changed the refused key file to %q", name, data)
		}
	}

	if err := os.Rename(path, path+".leaked"); err != nil {
		t.Fatal(err)
	}
	k, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatalf("LoadOrCreateKey after moving the leaked key aside = %v, want a new key", err)
	}
	if k.ID() == "c27f040e" {
		t.Fatal("the new key has the leaked key's id")
	}
	again, err := LoadKey(path)
	if err != nil || again.ID() != k.ID() {
		t.Fatalf("LoadKey(new key) = %v, %v; want the new key", again, err)
	}
	if p := verify(t, again, sealedLog(k, 3), nil); p != nil {
		t.Errorf("rows signed with the new key: %v, want them to verify", p)
	}
}

// TestPublicKeyIDs: the deny list names the leaked key by the id the code
// derives (the first 8 hex digits of the SHA-256 of its public key), and
// every entry is such an id with a reason.
func TestPublicKeyIDs(t *testing.T) {
	block, _ := pem.Decode([]byte(leakedKeyFile))
	if block == nil {
		t.Fatal("leakedKeyFile is not PEM")
	}
	if id := keyFromSeed(block.Bytes).ID(); id != "c27f040e" || publicKeyIDs[id] == "" {
		t.Errorf("the leaked key's id = %q; want c27f040e, on the deny list", id)
	}
	for id, why := range publicKeyIDs {
		if len(id) != 8 || strings.Trim(id, "0123456789abcdef") != "" || why == "" {
			t.Errorf("deny list entry %q: %q; want 8 lowercase hex digits and where the key was published", id, why)
		}
	}
}
