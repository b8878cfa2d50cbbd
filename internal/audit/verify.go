package audit

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// Problem is the first thing wrong with a log: the first bad row's Seq (0
// when the problem is a checkpoint, not a row) and why, in plain words.
type Problem struct {
	Seq    int64
	Reason string // a full sentence that names the row, e.g. "row 17: hash does not match its contents (edited)"
}

// Error returns p.Reason.
func (p Problem) Error() string {
	return p.Reason
}

// Verifier checks a log row by row, in Seq order, holding only the last
// row's hash and the checkpoints, so a caller can stream millions of rows.
type Verifier struct {
	pub     ed25519.PublicKey
	count   int64
	head    string
	heads   map[int64][]Checkpoint // checkpoints whose signatures verify, by Size
	last    *Checkpoint            // the verified checkpoint with the largest Size
	forged  *Problem               // the first checkpoint whose signature fails
	problem *Problem               // the first bad row

	witnessed map[int64][]Checkpoint // trusted checkpoints from a witness copy, by Size
	witness   WitnessResult
}

// NewVerifier returns a Verifier for a log signed with the key whose public
// half is pub, checked against checkpoints (in any order; none is allowed).
// It remembers only the checkpoints whose signatures verify; Finish reports
// the first that does not.
func NewVerifier(pub ed25519.PublicKey, checkpoints []Checkpoint) *Verifier {
	v := &Verifier{pub: pub, head: GenesisHash, heads: make(map[int64][]Checkpoint), witnessed: make(map[int64][]Checkpoint)}
	for _, c := range checkpoints {
		if err := c.Verify(pub); err != nil {
			if v.forged == nil {
				v.forged = &Problem{Seq: 0, Reason: err.Error()}
			}
			continue
		}
		v.heads[c.Size] = append(v.heads[c.Size], c)
		if v.last == nil || c.Size > v.last.Size {
			v.last = &c
		}
	}
	return v
}

// Add checks e, the next row of the log, and returns nil if it is sound.
// It checks, in order, that e.Seq follows the previous row's (a gap means
// deleted rows, reported at the first missing Seq; a repeated or lower Seq
// means an inserted or reordered row, reported at e.Seq); that e.PrevHash
// is the previous row's Hash (GenesisHash for row 1); that e.Hash is
// e.ComputeHash() (else e was edited); that e.Sig is the key's signature
// over e.Hash (else the chain was rewritten without the key); and that e.Hash
// is the Head of every checkpoint of e.Seq rows (else the log was rewritten
// with the key after that checkpoint). Once a row fails, Add ignores later
// rows and keeps returning that first Problem.
func (v *Verifier) Add(e Event) *Problem {
	if v.problem != nil {
		return v.problem
	}
	if p := v.check(&e); p != nil {
		v.problem = p
		return p
	}
	v.count = e.Seq
	v.head = e.Hash
	return nil
}

func (v *Verifier) check(e *Event) *Problem {
	want := v.count + 1
	switch {
	case e.Seq == want+1:
		return &Problem{want, fmt.Sprintf("row %d is missing (deleted)", want)}
	case e.Seq > want:
		return &Problem{want, fmt.Sprintf("rows %d to %d are missing (deleted)", want, e.Seq-1)}
	case e.Seq < 1:
		return &Problem{e.Seq, fmt.Sprintf("row %d: sequence numbers start at 1 (inserted)", e.Seq)}
	case e.Seq == v.count:
		return &Problem{e.Seq, fmt.Sprintf("row %d appears twice (inserted)", e.Seq)}
	case e.Seq < want:
		return &Problem{e.Seq, fmt.Sprintf("row %d appears after row %d (inserted or reordered)", e.Seq, v.count)}
	}
	if e.PrevHash != v.head {
		if v.count == 0 {
			return &Problem{e.Seq, fmt.Sprintf("row %d: previous hash is not the genesis hash (edited)", e.Seq)}
		}
		return &Problem{e.Seq, fmt.Sprintf("row %d: previous hash does not match row %d (edited, or rows replaced)", e.Seq, v.count)}
	}
	if e.Hash != e.ComputeHash() {
		return &Problem{e.Seq, fmt.Sprintf("row %d: hash does not match its contents (edited)", e.Seq)}
	}
	if !v.signedByKey(e) {
		return &Problem{e.Seq, fmt.Sprintf("row %d: signature does not verify (chain rewritten without the key)", e.Seq)}
	}
	for _, c := range v.heads[e.Seq] {
		if c.Head != e.Hash {
			return &Problem{e.Seq, fmt.Sprintf("row %d does not match %s (log rewritten with the key after that checkpoint)", e.Seq, c.describe())}
		}
	}
	for _, c := range v.witnessed[e.Seq] {
		if c.Head != e.Hash {
			return &Problem{e.Seq, fmt.Sprintf("row %d does not match %s: the log was rewritten after it was witnessed", e.Seq, c.describeWitnessed())}
		}
	}
	return nil
}

// signedByKey reports whether e.Sig is v's key's signature over e.Hash,
// which check has already found to be a well-formed hash.
func (v *Verifier) signedByKey(e *Event) bool {
	if len(v.pub) != ed25519.PublicKeySize {
		return false
	}
	sum, err := hex.DecodeString(e.Hash)
	if err != nil {
		return false
	}
	sig, err := base64.StdEncoding.DecodeString(e.Sig)
	return err == nil && ed25519.Verify(v.pub, sum, sig)
}

// Finish returns the first Problem with the log once every row has been
// added, or nil if it verifies: the Problem Add reported, if any; else a
// checkpoint whose signature does not verify (Seq 0); else, if a checkpoint
// covers more rows than were added, a truncated tail, reported at the first
// missing Seq; else, if a checkpoint from a witness copy (see Witness)
// covers more rows than were added, rows removed after it was witnessed.
// Rows removed from the tail after the last checkpoint cannot be detected;
// sign checkpoints often, and send them off the machine.
func (v *Verifier) Finish() *Problem {
	w := v.witness.Newest
	switch {
	case v.problem != nil:
		return v.problem
	case v.forged != nil:
		return v.forged
	case v.last != nil && v.last.Size > v.count:
		if v.count == 0 {
			return &Problem{1, fmt.Sprintf("log is empty but %s (truncated)", v.last.describe())}
		}
		return &Problem{v.count + 1, fmt.Sprintf("log ends at row %d but %s (truncated)", v.count, v.last.describe())}
	case w != nil && w.Size > v.count:
		return &Problem{v.count + 1, fmt.Sprintf("the log ends at row %d but %s: rows %d to %d were removed, and the newer checkpoints with them", v.count, w.describeWitnessed(), v.count+1, w.Size)}
	}
	return nil
}

// Count returns the number of rows added that verified.
func (v *Verifier) Count() int64 {
	return v.count
}

// Head returns the Hash of the last row added that verified, or GenesisHash
// if there is none.
func (v *Verifier) Head() string {
	return v.head
}
