package store

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/kapstone/kapstone/internal/audit"
	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
)

// The audit witness sends each signed checkpoint of the audit log off the
// machine (issue 14, finding 3): by email to a practice address and/or by
// HTTP(S) POST to a log collector. A checkpoint holds the log's size, the
// last row's hash, a time, the key's id and a signature: no patient
// information. Only such a copy shows that the log's tail was cut together
// with its newer checkpoints (`kapstone audit verify -witness FILE`).

// Audit witness settings keys.
const (
	settingWitnessEmail = "audit_witness_email"
	settingWitnessURL   = "audit_witness_url"
)

// Job kinds of the audit witness, one per channel. A job sends the newest
// checkpoint there is when it runs (not the one that queued it), so a late
// job still witnesses everything up to then.
const (
	JobWitnessEmail = "audit.witness.email"
	JobWitnessHTTP  = "audit.witness.http"
)

// Witness channels, as the audit_witness table and the admin page name them.
const (
	WitnessEmail = "email"
	WitnessHTTP  = "http"
)

// witnessChannels maps each channel to its job kind, setting and pace: at
// most one checkpoint goes out at once in each period, and one more at its
// end if the log grew meanwhile (so the last rows of a busy hour are
// witnessed within the next). Email is hourly, so a practice's witness
// mailbox gets at most two a hour (none while nothing happens); a collector
// every five minutes.
var witnessChannels = []struct {
	channel, kind, setting string
	every                  time.Duration
}{
	{WitnessEmail, JobWitnessEmail, settingWitnessEmail, time.Hour},
	{WitnessHTTP, JobWitnessHTTP, settingWitnessURL, 5 * time.Minute},
}

// WitnessSettings is where the audit witness sends checkpoints: an email
// address and/or an HTTPS URL; empty means not that way.
type WitnessSettings struct {
	Email string
	URL   string
}

// CheckWitness says what is wrong with ws, field by field, after trimming
// it: the email must be one plain address (no name, no list); the URL must
// be https with a host, or http to this machine only (127.0.0.1, ::1,
// localhost: a collector beside kapstone), with no user name or password
// in it (they would show on the admin page).
func CheckWitness(ws *WitnessSettings) clinic.FieldErrors {
	ws.Email, ws.URL = strings.TrimSpace(ws.Email), strings.TrimSpace(ws.URL)
	fe := clinic.FieldErrors{}
	if ws.Email != "" {
		a, err := mail.ParseAddress(ws.Email)
		if err != nil || a.Name != "" || a.Address != ws.Email || len(ws.Email) > 254 || strings.IndexFunc(ws.Email, unicode.IsControl) >= 0 {
			fe.Add("witness_email", "Enter one email address, like audit@practice.example.")
		}
	}
	if ws.URL != "" {
		if msg := checkWitnessURL(ws.URL); msg != "" {
			fe.Add("witness_url", msg)
		}
	}
	return fe
}

func checkWitnessURL(raw string) string {
	const want = "Enter an https:// URL, like https://logs.practice.example/kapstone (http:// only to this machine: 127.0.0.1 or localhost)."
	u, err := url.Parse(raw)
	if err != nil || len(raw) > 500 || strings.IndexFunc(raw, unicode.IsControl) >= 0 || u.Host == "" || u.Opaque != "" {
		return want
	}
	if u.User != nil {
		return "Leave the user name and password out of the URL: it shows on this page."
	}
	switch u.Scheme {
	case "https":
		return ""
	case "http":
		if isLoopbackHost(u.Hostname()) {
			return ""
		}
		return "Use https:// for a collector on another machine: checkpoints must not be changed on the way. http:// is only for one on this machine (127.0.0.1 or localhost)."
	}
	return want
}

// isLoopbackHost reports whether host is this machine: localhost, or a
// loopback address.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Witness reads where the audit witness sends checkpoints.
func (s *Store) Witness(ctx context.Context) (WitnessSettings, error) {
	var ws WitnessSettings
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		ws, err = witnessIn(ctx, tx)
		return err
	})
	return ws, err
}

func witnessIn(ctx context.Context, tx *Tx) (WitnessSettings, error) {
	var ws WitnessSettings
	var err error
	if ws.Email, err = settingIn(ctx, tx, settingWitnessEmail, ""); err != nil {
		return ws, err
	}
	ws.URL, err = settingIn(ctx, tx, settingWitnessURL, "")
	return ws, err
}

// SaveWitness checks and stores where the audit witness sends checkpoints,
// for an administrator; audited, one row per setting that changed (its
// detail says "set" or "cleared", never the address). A channel whose
// target changed starts its status afresh.
func (s *Store) SaveWitness(ctx context.Context, actor Actor, ws WitnessSettings) error {
	if !actor.may(auth.PermSettings) {
		return clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	if err := CheckWitness(&ws).Err(); err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error {
		old, err := witnessIn(ctx, tx)
		if err != nil {
			return err
		}
		for _, c := range []struct{ channel, key, old, new string }{
			{WitnessEmail, settingWitnessEmail, old.Email, ws.Email},
			{WitnessHTTP, settingWitnessURL, old.URL, ws.URL},
		} {
			if c.old == c.new {
				continue
			}
			detail := "set"
			if c.new == "" {
				detail = "cleared"
			}
			if err := s.setSettingDetail(ctx, tx, actor, c.key, c.new, detail); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM audit_witness WHERE channel = $1`, c.channel); err != nil {
				return err
			}
		}
		return nil
	})
}

// WitnessStatus is how sending checkpoints to one witness goes.
type WitnessStatus struct {
	Channel      string // WitnessEmail or WitnessHTTP
	Target       string // the address or URL
	LastOKAt     time.Time
	LastOKSize   int64     // rows the last witnessed checkpoint covered; -1 for none
	FailingSince time.Time // zero when the last try worked (or none failed)
	LastError    string    // the last failure, short, never PHI
}

// WitnessStatuses returns, for an administrator, the status of each
// configured witness channel (email first): when a checkpoint last reached
// it and since when it fails, if it does.
func (s *Store) WitnessStatuses(ctx context.Context, actor Actor) ([]WitnessStatus, error) {
	if !actor.may(auth.PermSettings) {
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	var out []WitnessStatus
	err := s.read(ctx, func(tx *Tx) error {
		ws, err := witnessIn(ctx, tx)
		if err != nil {
			return err
		}
		for _, c := range []struct{ channel, target string }{{WitnessEmail, ws.Email}, {WitnessHTTP, ws.URL}} {
			if c.target == "" {
				continue
			}
			st, err := witnessStatusIn(ctx, tx, c.channel, c.target)
			if err != nil {
				return err
			}
			out = append(out, st)
		}
		return nil
	})
	return out, err
}

// witnessStatusIn reads channel's status for target; a fresh status when
// none is kept or it is about another target.
func witnessStatusIn(ctx context.Context, tx *Tx, channel, target string) (WitnessStatus, error) {
	st := WitnessStatus{Channel: channel, Target: target, LastOKSize: -1}
	var okAt, failing nullTime
	var kept string
	err := tx.QueryRow(ctx, `SELECT target, last_ok_at, last_ok_size, failing_since, last_error FROM audit_witness WHERE channel = $1`, channel).
		Scan(&kept, &okAt, &st.LastOKSize, &failing, &st.LastError)
	if errors.Is(err, sql.ErrNoRows) || err == nil && kept != target {
		return WitnessStatus{Channel: channel, Target: target, LastOKSize: -1}, nil
	}
	st.LastOKAt, st.FailingSince = okAt.t, failing.t
	return st, err
}

// enqueueWitnessIn queues, inside the transaction that stored a new
// checkpoint at now, a witness job for each configured channel: one due at
// once if none went out yet in the channel's current period, else one at the
// period's end (each at most once, by dedupe key).
func (s *Store) enqueueWitnessIn(ctx context.Context, tx *Tx, now time.Time) error {
	ws, err := witnessIn(ctx, tx)
	if err != nil {
		return err
	}
	targets := map[string]string{WitnessEmail: ws.Email, WitnessHTTP: ws.URL}
	for _, c := range witnessChannels {
		if targets[c.channel] == "" {
			continue
		}
		period := now.UTC().Truncate(c.every)
		first := c.kind + ":" + period.Format(time.RFC3339) + ":first"
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM jobs WHERE dedupe_key = $1`, first).Scan(&n); err != nil {
			return err
		}
		key, at := first, now
		if n > 0 {
			key, at = c.kind+":"+period.Format(time.RFC3339)+":end", period.Add(c.every)
		}
		if _, err := s.EnqueueIn(ctx, tx, c.kind, "{}", at, key); err != nil {
			return err
		}
	}
	return nil
}

// WitnessNow signs a checkpoint of the audit log now and sends it to every
// configured witness at once, for an administrator checking that the
// witness works. Audited. It returns how many channels it queued; an
// EInvalid error when none is configured.
func (s *Store) WitnessNow(ctx context.Context, actor Actor) (int, error) {
	if !actor.may(auth.PermSettings) {
		return 0, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	ws, err := s.Witness(ctx)
	if err != nil {
		return 0, err
	}
	if ws.Email == "" && ws.URL == "" {
		return 0, clinic.Errorf(clinic.EInvalid, "Set a witness email address or URL first.")
	}
	// The audit row comes first, so the checkpoint covers it.
	if err := s.Audit(ctx, actor, Entry{Action: "audit.witness.test", ObjectType: "audit"}); err != nil {
		return 0, err
	}
	if _, err := s.Checkpoint(ctx); err != nil {
		return 0, err
	}
	var n int
	err = s.write(ctx, func(tx *Tx) error {
		n = 0
		targets := map[string]string{WitnessEmail: ws.Email, WitnessHTTP: ws.URL}
		for _, c := range witnessChannels {
			if targets[c.channel] == "" {
				continue
			}
			if _, err := s.EnqueueIn(ctx, tx, c.kind, `{"test":true}`, s.now(), c.kind+":test:"+NewID()); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// WitnessJob is what one witness job has to send: the newest checkpoint,
// where to, and the practice's name for the email's subject.
type WitnessJob struct {
	Channel    string
	Target     string
	Checkpoint audit.Checkpoint
	Practice   string
}

// WitnessToSend returns what a witness job of kind must send now, or nil
// when there is nothing to: the channel is no longer configured, there is
// no checkpoint yet, or the newest checkpoint already reached this target
// (unless force, a test send).
func (s *Store) WitnessToSend(ctx context.Context, kind string, force bool) (*WitnessJob, error) {
	channel := WitnessEmail
	if kind == JobWitnessHTTP {
		channel = WitnessHTTP
	}
	var out *WitnessJob
	err := s.read(ctx, func(tx *Tx) error {
		ws, err := witnessIn(ctx, tx)
		if err != nil {
			return err
		}
		target := ws.Email
		if channel == WitnessHTTP {
			target = ws.URL
		}
		if target == "" {
			return nil
		}
		var cp audit.Checkpoint
		err = tx.QueryRow(ctx, `SELECT size, head, at, key_id, sig FROM audit_checkpoints ORDER BY size DESC LIMIT 1`).Scan(&cp.Size, &cp.Head, &cp.At, &cp.KeyID, &cp.Sig)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		} else if err != nil {
			return err
		}
		cp.At = cp.At.UTC()
		st, err := witnessStatusIn(ctx, tx, channel, target)
		if err != nil {
			return err
		}
		if !force && st.LastOKSize >= cp.Size {
			return nil
		}
		name, err := settingIn(ctx, tx, settingName, "Your practice")
		if err != nil {
			return err
		}
		out = &WitnessJob{Channel: channel, Target: target, Checkpoint: cp, Practice: name}
		return nil
	})
	return out, err
}

// WitnessSent records that the checkpoint of size rows reached target by
// channel: the witness works again.
func (s *Store) WitnessSent(ctx context.Context, channel, target string, size int64) error {
	return s.write(ctx, func(tx *Tx) error {
		now := s.now()
		_, err := tx.Exec(ctx, `INSERT INTO audit_witness (channel, target, last_ok_at, last_ok_size, failing_since, last_error, updated_at)
			VALUES ($1, $2, $3, $4, NULL, '', $3)
			ON CONFLICT (channel) DO UPDATE SET target = excluded.target, last_ok_at = excluded.last_ok_at,
				last_ok_size = CASE WHEN audit_witness.target = excluded.target AND audit_witness.last_ok_size > excluded.last_ok_size THEN audit_witness.last_ok_size ELSE excluded.last_ok_size END,
				failing_since = NULL, last_error = '', updated_at = excluded.updated_at`, channel, target, now, size)
		return err
	})
}

// WitnessFailed records that sending to target by channel failed with
// errMsg (short, no PHI; addresses are redacted anyway): the admin page
// shows the witness failing since its first failure after the last success.
func (s *Store) WitnessFailed(ctx context.Context, channel, target, errMsg string) error {
	msg := shortError(errMsg)
	return s.write(ctx, func(tx *Tx) error {
		now := s.now()
		_, err := tx.Exec(ctx, `INSERT INTO audit_witness (channel, target, last_ok_at, last_ok_size, failing_since, last_error, updated_at)
			VALUES ($1, $2, NULL, -1, $3, $4, $3)
			ON CONFLICT (channel) DO UPDATE SET
				last_ok_at = CASE WHEN audit_witness.target = excluded.target THEN audit_witness.last_ok_at END,
				last_ok_size = CASE WHEN audit_witness.target = excluded.target THEN audit_witness.last_ok_size ELSE -1 END,
				failing_since = CASE WHEN audit_witness.target = excluded.target AND audit_witness.failing_since IS NOT NULL THEN audit_witness.failing_since ELSE excluded.failing_since END,
				target = excluded.target, last_error = excluded.last_error, updated_at = excluded.updated_at`, channel, target, now, msg)
		return err
	})
}
