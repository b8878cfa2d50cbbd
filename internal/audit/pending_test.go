package audit

import (
	"strings"
	"testing"
	"time"
)

// TestSignPending: a pending row's signature verifies under the key's
// public half for that id only, and an edit of any field, another id,
// another key or a chained row's signature in its place fails.
func TestSignPending(t *testing.T) {
	k := testKey(1)
	e := golden
	e.Seq, e.PrevHash, e.Hash, e.Sig = 0, "", "", ""
	sig := k.SignPending(42, &e)
	if got, want := e.At, time.Date(2026, 3, 2, 15, 4, 5, 123456000, time.UTC); got != want {
		t.Errorf("At = %v, want %v (UTC, truncated to microseconds)", got, want)
	}
	if !VerifyPending(k.Public(), 42, &e, sig) {
		t.Fatal("VerifyPending(the signed row) = false, want true")
	}
	chained := e
	k.Seal(GenesisHash, &chained)
	cases := map[string]struct {
		id   int64
		edit func(*Event)
		key  *Key
		sig  string
	}{
		"another id":            {id: 43},
		"another key":           {key: testKey(2)},
		"a chained signature":   {sig: chained.Sig},
		"not base64":            {sig: "not base64!"},
		"At":                    {edit: func(e *Event) { e.At = e.At.Add(time.Microsecond) }},
		"ActorID":               {edit: func(e *Event) { e.ActorID += "x" }},
		"ActorRole":             {edit: func(e *Event) { e.ActorRole = "admin" }},
		"Action":                {edit: func(e *Event) { e.Action = "patient.update" }},
		"Outcome":               {edit: func(e *Event) { e.Outcome = "denied" }},
		"PatientID":             {edit: func(e *Event) { e.PatientID = "" }},
		"ObjectType":            {edit: func(e *Event) { e.ObjectType = "note" }},
		"ObjectID":              {edit: func(e *Event) { e.ObjectID += "x" }},
		"ClientAddr":            {edit: func(e *Event) { e.ClientAddr = "192.0.2.1" }},
		"RequestID":             {edit: func(e *Event) { e.RequestID += "x" }},
		"Detail":                {edit: func(e *Event) { e.Detail += "x" }},
		"ActorID/Role boundary": {edit: func(e *Event) { e.ActorID, e.ActorRole = e.ActorID+"t", "herapist" }},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got := e
			id, s, key := int64(42), sig, k
			if c.id != 0 {
				id = c.id
			}
			if c.sig != "" {
				s = c.sig
			}
			if c.key != nil {
				key = c.key
			}
			if c.edit != nil {
				c.edit(&got)
			}
			if VerifyPending(key.Public(), id, &got, s) {
				t.Errorf("VerifyPending after %s = true, want false", name)
			}
		})
	}
	if !strings.HasPrefix(string(e.PendingCanonical(42)), pendingTag) || pendingTag == canonicalTag {
		t.Error("a pending row's encoding must open with its own tag")
	}
}
