package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
)

// CalendarFeed is a clinician's private calendar feed (its token is never
// stored, only its hash).
type CalendarFeed struct {
	ID         string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero when no calendar app has fetched it yet
}

// FeedEvent is one appointment as a calendar feed shows it: the patient's
// initials and the kind, never their name.
type FeedEvent struct {
	ID        string
	Kind      string
	StartsAt  time.Time
	Minutes   int
	Initials  string
	Cancelled bool
	Sequence  int       // how many times it changed: calendar apps keep the highest
	ChangedAt time.Time // booked or last changed: the event's DTSTAMP
	patientID string
}

// FeedWindow is how far back and ahead a feed reaches.
const (
	FeedBack  = 30 * 24 * time.Hour
	FeedAhead = 366 * 24 * time.Hour
)

func clinicianOnly(actor Actor) error {
	if !actor.may(auth.PermCaseload) {
		return clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	return nil
}

// ActiveCalendarFeed returns actor's current feed, or nil when they have none.
func (s *Store) ActiveCalendarFeed(ctx context.Context, actor Actor) (*CalendarFeed, error) {
	if err := clinicianOnly(actor); err != nil {
		return nil, err
	}
	var f CalendarFeed
	var used sql.NullTime
	err := s.read(ctx, func(tx *Tx) error {
		return tx.QueryRow(ctx, `SELECT id, created_at, last_used_at FROM calendar_feeds WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC LIMIT 1`, actor.UserID).Scan(&f.ID, &f.CreatedAt, &used)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	f.CreatedAt = f.CreatedAt.UTC()
	if used.Valid {
		f.LastUsedAt = used.Time.UTC()
	}
	return &f, nil
}

// CreateCalendarFeed gives actor a new feed with tokenHash, revoking any
// earlier one (its URL stops working at once). Audited.
func (s *Store) CreateCalendarFeed(ctx context.Context, actor Actor, tokenHash string) error {
	if err := clinicianOnly(actor); err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error {
		now := s.now()
		if _, err := tx.Exec(ctx, `UPDATE calendar_feeds SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL`, now, actor.UserID); err != nil {
			return err
		}
		id := NewID()
		if _, err := tx.Exec(ctx, `INSERT INTO calendar_feeds (id, user_id, token_hash, created_at) VALUES ($1, $2, $3, $4)`, id, actor.UserID, tokenHash, now); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "calendar.feed.create", ObjectType: "calendar_feed", ObjectID: id})
	})
}

// RevokeCalendarFeed turns off actor's feed. Audited; a no-op without one.
func (s *Store) RevokeCalendarFeed(ctx context.Context, actor Actor) error {
	if err := clinicianOnly(actor); err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE calendar_feeds SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL`, s.now(), actor.UserID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "calendar.feed.revoke", ObjectType: "calendar_feed"})
	})
}

// CalendarFeedEvents returns the appointments of the clinician whose live
// feed has tokenHash, from FeedBack ago to FeedAhead on, with cancelled
// ones marked (so calendar apps remove them). A revoked or unknown token,
// or a disabled account, is ENotFound. Each fetch is audited as the
// clinician's, in the same transaction.
func (s *Store) CalendarFeedEvents(ctx context.Context, tokenHash string) (owner string, events []FeedEvent, err error) {
	err = s.write(ctx, func(tx *Tx) error {
		var feedID, userID, role string
		err := tx.QueryRow(ctx, `SELECT f.id, u.id, u.display_name, u.role FROM calendar_feeds f JOIN users u ON u.id = f.user_id
			WHERE f.token_hash = $1 AND f.revoked_at IS NULL AND u.disabled_at IS NULL`, tokenHash).Scan(&feedID, &userID, &owner, &role)
		if errors.Is(err, sql.ErrNoRows) {
			return clinic.Errorf(clinic.ENotFound, "We could not find that calendar.")
		}
		if err != nil {
			return err
		}
		actor := Actor{UserID: userID, Role: clinic.Role(role)}
		if err := clinicianOnly(actor); err != nil {
			return err
		}
		now := s.now()
		events, err = queryAll(ctx, tx, func(r scanner) (ev FeedEvent, err error) {
			var name string
			var updated sql.NullTime
			err = r.Scan(&ev.ID, &ev.Kind, &ev.StartsAt, &ev.Minutes, &name, &ev.Cancelled, &ev.Sequence, &ev.ChangedAt, &updated, &ev.patientID)
			if updated.Valid {
				ev.ChangedAt = updated.Time
			}
			ev.StartsAt, ev.ChangedAt, ev.Initials = ev.StartsAt.UTC(), ev.ChangedAt.UTC(), Initials(name)
			return ev, err
		}, `SELECT a.id, a.kind, a.starts_at, a.minutes, p.display_name, a.cancelled_at IS NOT NULL, a.sequence, a.created_at, a.updated_at, a.patient_id
			FROM appointments a JOIN patients p ON p.id = a.patient_id
			WHERE a.clinician_id = $1 AND a.starts_at >= $2 AND a.starts_at < $3 ORDER BY a.starts_at LIMIT 5000`,
			userID, now.Add(-FeedBack), now.Add(FeedAhead))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE calendar_feeds SET last_used_at = $1 WHERE id = $2`, now, feedID); err != nil {
			return err
		}
		// One row per patient whose initials and appointment kinds the
		// feed carried, so each patient's access report shows it.
		seen := map[string]bool{}
		for _, ev := range events {
			if seen[ev.patientID] {
				continue
			}
			seen[ev.patientID] = true
			if err := s.appendAudit(ctx, tx, actor, Entry{Action: "calendar.feed.read", PatientID: ev.patientID, ObjectType: "calendar_feed", ObjectID: feedID}); err != nil {
				return err
			}
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "calendar.feed.read", ObjectType: "calendar_feed", ObjectID: feedID, Detail: "events=" + strconv.Itoa(len(events))})
	})
	return owner, events, err
}

// Initials are the first letters of a name's first and last words, like
// "J. L." for "Jordan Lee": enough for a clinician's own calendar, not
// enough to name the patient to anyone who glances at it.
func Initials(name string) string {
	var letters []rune
	for _, w := range strings.Fields(name) {
		for _, r := range w {
			if unicode.IsLetter(r) {
				letters = append(letters, unicode.ToUpper(r))
				break
			}
		}
	}
	switch len(letters) {
	case 0:
		return "?"
	case 1:
		return string(letters[0]) + "."
	}
	return string(letters[0]) + ". " + string(letters[len(letters)-1]) + "."
}
