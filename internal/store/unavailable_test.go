package store

import (
	"database/sql"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/ncruces/go-sqlite3"

	"github.com/kapstone/kapstone/internal/clinic"
)

// TestUnavailableIf: a query that fails because the database cannot be used
// (a full disk, a lost connection) is EUnavailable (503, try again); a
// query that is wrong, or an error that already has a code, is left alone.
func TestUnavailableIf(t *testing.T) {
	for _, engine := range []string{EngineSQLite, EnginePostgres} {
		s := &Store{d: &dialect{name: engine}}
		for _, tt := range []struct {
			err  error
			want string
		}{
			{sqlite3.FULL, clinic.EUnavailable},
			{fmt.Errorf("insert: %w", sqlite3.IOERR_WRITE), clinic.EUnavailable},
			{sqlite3.BUSY_TIMEOUT, clinic.EUnavailable},
			{pgconn.ErrConnClosed, clinic.EUnavailable},
			{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), clinic.EUnavailable},
			{&pgconn.PgError{Code: "57P01"}, clinic.EUnavailable}, // admin shutdown
			{&pgconn.PgError{Code: "53100"}, clinic.EUnavailable}, // disk full
			{&pgconn.PgError{Code: "23505"}, clinic.EInternal},    // unique violation: a bug or a conflict, not an outage
			{sqlite3.CONSTRAINT_UNIQUE, clinic.EInternal},
			{errors.New("no such column"), clinic.EInternal},
			{sql.ErrNoRows, clinic.EInternal},
			{clinic.Errorf(clinic.EInvalid, "bad"), clinic.EInvalid},
			{nil, ""},
		} {
			if got := clinic.ErrorCode(s.unavailableIf(tt.err)); got != tt.want {
				t.Errorf("%s: unavailableIf(%v) has code %q, want %q", engine, tt.err, got, tt.want)
			}
		}
	}
}
