package audit

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"time"
)

// pendingTag opens the encoding a pending row's signature covers.
const pendingTag = "kapstone-audit-pending-v1\n"

// PendingCanonical returns the stable encoding a pending row's signature
// covers: a row appended unchained (its Seq, PrevHash, Hash and Sig not yet
// set), waiting for the sealer to chain it, whose id in the pending table is
// id. The encoding (version 1) is the line "kapstone-audit-pending-v1\n"
// followed, for each field, by its length in bytes in decimal, a colon, the
// field's bytes and a newline, in this order: id, At, ActorID, ActorRole,
// Action, Outcome, PatientID, ObjectType, ObjectID, ClientAddr, RequestID,
// Detail (id in decimal, At as in Canonical). Its own tag keeps a pending
// signature from ever passing for a chained row's, or the reverse; the id
// keeps one signed row from being copied into two.
func (e *Event) PendingCanonical(id int64) []byte {
	return encodeFields(pendingTag, []string{
		strconv.FormatInt(id, 10),
		formatTime(e.At),
		e.ActorID, e.ActorRole, e.Action, e.Outcome, e.PatientID,
		e.ObjectType, e.ObjectID, e.ClientAddr, e.RequestID, e.Detail,
	})
}

// SignPending truncates e.At to UTC microseconds (as Seal does) and
// returns the key's signature (base64, std, padded) over the SHA-256 of
// e.PendingCanonical(id).
func (k *Key) SignPending(id int64, e *Event) string {
	e.At = e.At.UTC().Truncate(time.Microsecond)
	sum := sha256.Sum256(e.PendingCanonical(id))
	return base64.StdEncoding.EncodeToString(ed25519.Sign(k.priv, sum[:]))
}

// VerifyPending reports whether sig is the signature of the key whose
// public half is pub over the pending row e with id (SignPending).
func VerifyPending(pub ed25519.PublicKey, id int64, e *Event, sig string) bool {
	if len(pub) != ed25519.PublicKeySize {
		return false
	}
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return false
	}
	sum := sha256.Sum256(e.PendingCanonical(id))
	return ed25519.Verify(pub, sum[:], raw)
}
