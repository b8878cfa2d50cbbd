package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
)

// Room is a place appointments happen in.
type Room struct {
	ID     string
	Name   string
	Dosing bool // suitable for a dosing session
}

// Rooms lists the practice's rooms in use, by name. Any signed-in staff
// member may see them (they hold no patient information).
func (s *Store) Rooms(ctx context.Context) ([]Room, error) {
	var out []Room
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, func(row scanner) (r Room, err error) {
			return r, row.Scan(&r.ID, &r.Name, &r.Dosing)
		}, `SELECT id, name, dosing FROM rooms WHERE archived_at IS NULL ORDER BY name`)
		return err
	})
	return out, err
}

// CreateRoom adds a room (admins). A name another room in use has is an
// EInvalid field error, also when the two are added at the same moment.
// Audited.
func (s *Store) CreateRoom(ctx context.Context, actor Actor, r *Room) error {
	if !actor.may(auth.PermRooms) {
		return clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	r.Name = strings.TrimSpace(r.Name)
	switch {
	case r.Name == "":
		return clinic.FieldErrors{"name": "Give the room a name, like Garden room."}.Err()
	case utf8.RuneCountInString(r.Name) > 60:
		return clinic.FieldErrors{"name": "Use at most 60 characters."}.Err()
	case !clinic.SingleLine(r.Name):
		return clinic.FieldErrors{"name": clinic.LineProblem}.Err()
	}
	return s.write(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM rooms WHERE name = $1 AND archived_at IS NULL`, r.Name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return errRoomNameTaken()
		}
		r.ID = NewID()
		// The count above misses a room another transaction is adding
		// (PostgreSQL runs them side by side); the unique index rooms_name
		// catches it, and the transaction is given up.
		_, err := tx.Exec(ctx, `INSERT INTO rooms (id, name, dosing, created_at) VALUES ($1, $2, $3, $4)`, r.ID, r.Name, r.Dosing, s.now())
		if s.d.isUniqueViolation(err) {
			return errRoomNameTaken()
		}
		if err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "room.create", ObjectType: "room", ObjectID: r.ID})
	})
}

func errRoomNameTaken() error {
	return clinic.FieldErrors{"name": "There is already a room with that name."}.Err()
}

// ArchiveRoom takes a room out of use; its past appointments keep it.
// Audited.
func (s *Store) ArchiveRoom(ctx context.Context, actor Actor, id string) error {
	if !actor.may(auth.PermRooms) {
		return clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	return s.write(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE rooms SET archived_at = $1 WHERE id = $2 AND archived_at IS NULL`, s.now(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return clinic.Errorf(clinic.ENotFound, "We could not find that room.")
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "room.archive", ObjectType: "room", ObjectID: id})
	})
}

// checkRoom says why roomID cannot take an appointment of kind: it is not
// a room in use, or not suitable for dosing. "" when it can (or no room).
func checkRoom(ctx context.Context, tx *Tx, roomID, kind string) (string, error) {
	if roomID == "" {
		return "", nil
	}
	var dosing bool
	err := tx.QueryRow(ctx, `SELECT dosing FROM rooms WHERE id = $1 AND archived_at IS NULL`, roomID).Scan(&dosing)
	if errors.Is(err, sql.ErrNoRows) {
		return "Choose one of the practice's rooms.", nil
	}
	if err != nil {
		return "", err
	}
	if kind == "dosing" && !dosing {
		return "That room is not set up for dosing sessions; choose one that is.", nil
	}
	return "", nil
}
