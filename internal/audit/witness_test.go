package audit

import (
	"bytes"
	"encoding/base64"
	"mime/quotedprintable"
	"strings"
	"testing"
	"time"
)

// qpEmail returns an email as a mailbox saves it, its body (the line
// between two sentences) encoded quoted-printable with lines of at most 76
// characters, as go-mail sends a long plain-text line.
func qpEmail(t *testing.T, line string) string {
	t.Helper()
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	w.Write([]byte("A signed checkpoint of the audit log.\r\n\r\n" + line + "\r\n\r\nKeep this email.\r\n"))
	w.Close()
	return "From kapstone@practice.example Thu Dec  3 01:00:00 2026\r\n" +
		"Subject: Audit checkpoint: 12 rows\r\nContent-Type: text/plain; charset=UTF-8\r\n" +
		"Content-Transfer-Encoding: quoted-printable\r\n\r\n" + b.String() + "\r\n"
}

// TestScanWitness: checkpoint lines are found in every form a witness copy
// takes (plain, a saved mailbox in quoted-printable or base64, quoted in a
// reply, wrapped at spaces, behind a syslog prefix), once each; a line cut
// short is counted, not read.
func TestScanWitness(t *testing.T) {
	k := testKey(1)
	at := time.Date(2026, 12, 3, 1, 0, 0, 0, time.UTC)
	cps := []Checkpoint{
		k.SignCheckpoint(12, strings.Repeat("a", 64), at),
		k.SignCheckpoint(30, strings.Repeat("b", 64), at.Add(time.Hour)),
		k.SignCheckpoint(45, strings.Repeat("c", 64), at.Add(2*time.Hour)),
	}
	lines := make([]string, len(cps))
	for i, c := range cps {
		lines[i] = c.String()
	}
	if len(lines[0]) <= 78 {
		t.Fatalf("a checkpoint line is %d characters; the test of wrapping wants one longer than a mail line", len(lines[0]))
	}
	b64 := base64.StdEncoding.EncodeToString([]byte("Checkpoint:\r\n" + lines[2] + "\r\n"))
	var wrapped []string
	for len(b64) > 76 {
		wrapped = append(wrapped, b64[:76])
		b64 = b64[76:]
	}
	wrapped = append(wrapped, b64)
	tests := []struct {
		name       string
		text       string
		want       []int // indexes into cps
		unreadable int
	}{
		{"plain file", lines[0] + "\n" + lines[1] + "\n", []int{0, 1}, 0},
		{"mbox, quoted-printable", qpEmail(t, lines[0]) + qpEmail(t, lines[1]), []int{0, 1}, 0},
		{"mbox, base64 body", "Subject: x\nContent-Transfer-Encoding: base64\n\n" + strings.Join(wrapped, "\r\n") + "\n", []int{2}, 0},
		{"quoted reply", "On Thursday kapstone wrote:\n> " + lines[1] + "\n>\n", []int{1}, 0},
		{"wrapped at spaces", strings.Replace(strings.Replace(lines[2], " at=", "\n at=", 1), " sig=", "\r\n sig=", 1), []int{2}, 0},
		{"syslog prefix", "Dec  3 01:00:00 host kapstone[42]: " + lines[0] + "\nDec  3 02:00:00 host kapstone[42]: " + lines[0] + "\n", []int{0}, 0},
		{"line cut short", lines[0][:120] + "\n" + lines[1] + "\n", []int{1}, 1},
		{"nothing", "Subject: lunch\n\nno checkpoints here\n", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ScanWitness(tt.text)
			if len(got.Found) != len(tt.want) {
				t.Fatalf("ScanWitness found %d checkpoints %v, want %d", len(got.Found), got.Found, len(tt.want))
			}
			for i, w := range tt.want {
				if got.Found[i].String() != lines[w] {
					t.Errorf("checkpoint %d = %q, want %q", i, got.Found[i].String(), lines[w])
				}
			}
			if got.Unreadable != tt.unreadable {
				t.Errorf("Unreadable = %d, want %d", got.Unreadable, tt.unreadable)
			}
		})
	}
}

// TestVerifierWitness: a witnessed checkpoint the log no longer reaches,
// or disagrees with, is a problem that says it was witnessed, even when
// the log's own newer checkpoints were deleted with its tail; a forged
// witness line is reported and not trusted; another key's line is skipped.
func TestVerifierWitness(t *testing.T) {
	k := testKey(1)
	log := sealedLog(k, 40)
	at := time.Date(2026, 12, 3, 1, 0, 0, 0, time.UTC)
	old := k.SignCheckpoint(20, log[19].Hash, at)
	newer := k.SignCheckpoint(35, log[34].Hash, at.Add(time.Hour))
	witness := []Witnessed{{old, 1}, {newer, 2}}

	run := func(log []Event, local []Checkpoint, w []Witnessed) (*Problem, WitnessResult) {
		v := NewVerifier(k.Public(), local)
		v.Witness(w)
		for _, e := range log {
			v.Add(e)
		}
		return v.Finish(), v.WitnessResult()
	}
	// Intact: every witnessed checkpoint is reached and agrees.
	if p, r := run(log, []Checkpoint{old, newer}, witness); p != nil || r.Trusted != 2 || r.Newest == nil || r.Newest.Size != 35 || len(r.Forged) != 0 {
		t.Fatalf("intact log with witness = %v, %+v; want no problem, 2 trusted, newest 35", p, r)
	}
	// The attack: the tail cut after row 25 and the newer checkpoint gone
	// from the log's own copies. Without the witness it verifies.
	cut := log[:25]
	if p, _ := run(cut, []Checkpoint{old}, nil); p != nil {
		t.Fatalf("cut log without witness = %v; the attack is meant to pass here", p)
	}
	p, _ := run(cut, []Checkpoint{old}, witness)
	if p == nil || p.Seq != 26 || !strings.Contains(p.Reason, "the log ends at row 25 but the checkpoint witnessed at 2026-12-03 02:00:00 UTC covering 35 rows") || !strings.Contains(p.Reason, "were removed") {
		t.Fatalf("cut log with witness = %v, want row 26 and the witnessed checkpoint named", p)
	}
	// Rewritten with the key after the witness: row 35 no longer matches.
	rew := append([]Event(nil), log...)
	rew[29].Detail = "rewritten"
	reseal(k, rew, 29)
	if p, _ := run(rew, []Checkpoint{old}, witness); p == nil || p.Seq != 35 || !strings.Contains(p.Reason, "witnessed") {
		t.Fatalf("resealed log with witness = %v, want row 35 not matching the witnessed checkpoint", p)
	}
	// A forged line claiming more rows: reported, never trusted.
	forged := newer
	forged.Size = 400
	other := testKey(2).SignCheckpoint(500, strings.Repeat("d", 64), at)
	p, r := run(log, nil, []Witnessed{{forged, 7}, {other, 8}, {old, 9}})
	if p != nil {
		t.Errorf("a forged witness line was trusted: %v", p)
	}
	if len(r.Forged) != 1 || !strings.Contains(r.Forged[0], "line 7") || !strings.Contains(r.Forged[0], "not trusted") || r.OtherKey != 1 || r.Trusted != 1 {
		t.Errorf("witness result = %+v, want one forged line (line 7), one of another key, one trusted", r)
	}
}
