package store

import (
	"strings"
	"testing"
)

// FuzzRebindNumbered checks the SQLite placeholder rewrite on any query
// text: it changes only a "$" followed by a digit, into "?", never inside
// a '...' literal, a "..." identifier or a comment, keeps the length, and
// is idempotent.
func FuzzRebindNumbered(f *testing.F) {
	for _, q := range []string{
		"SELECT * FROM t WHERE a = $1 AND b = $2",
		"SELECT '$1', \"$2\", $3 -- $4\n, $5 /* $6 */ , $7",
		"SELECT 'it''s $1', $2", "SELECT '$1", "SELECT /* $1", "SELECT -- $1", "$", "$$1", "$a", "'", "\"\"$1",
		"UPDATE t SET x = $10 WHERE y = $1", "SELECT E'\\'$1', $2",
	} {
		f.Add(q, "x")
	}
	f.Add("SELECT $1, '", "$1 -- /* \" $2")
	f.Fuzz(func(t *testing.T, q, lit string) {
		out := rebindNumbered(q)
		if len(out) != len(q) {
			t.Fatalf("rebindNumbered(%q) = %q: length changed", q, out)
		}
		for i := range q {
			if out[i] != q[i] && !(q[i] == '$' && out[i] == '?' && i+1 < len(q) && q[i+1] >= '0' && q[i+1] <= '9') {
				t.Fatalf("rebindNumbered(%q) = %q: byte %d changed", q, out, i)
			}
		}
		if again := rebindNumbered(out); again != out {
			t.Fatalf("rebindNumbered is not idempotent on %q: %q then %q", q, out, again)
		}
		// A literal holding anything but a quote is left as written, and
		// the placeholders either side of it are rewritten.
		lit = strings.ReplaceAll(lit, "'", "")
		query := "SELECT $1, '" + lit + "', $2"
		want := "SELECT ?1, '" + lit + "', ?2"
		if got := rebindNumbered(query); got != want {
			t.Fatalf("rebindNumbered(%q) = %q, want %q", query, got, want)
		}
	})
}

// FuzzDSN checks the database address helpers on any text: a PostgreSQL
// URL is never an unknown scheme, an unknown scheme is a prefix of the
// address ending in "://", and OpenHint always says something.
func FuzzDSN(f *testing.F) {
	for _, s := range []string{"postgres://u@h/db", "postgresql://h/db?sslmode=disable", "POSTGRES://h/db", "mysql://h/db", "/var/lib/kapstone/kapstone.db",
		"kapstone.db", "file:kapstone.db?mode=ro", "://x", "sqlite:///x.db", "postgres:/x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dsn string) {
		scheme := UnknownScheme(dsn)
		if IsPostgresDSN(dsn) && scheme != "" {
			t.Fatalf("%q is PostgreSQL and an unknown scheme %q", dsn, scheme)
		}
		if scheme != "" && (!strings.HasPrefix(dsn, scheme) || !strings.HasSuffix(scheme, "://") || len(scheme) < 4) {
			t.Fatalf("UnknownScheme(%q) = %q", dsn, scheme)
		}
		if OpenHint(dsn) == "" {
			t.Fatalf("OpenHint(%q) is empty", dsn)
		}
	})
}

// FuzzParseReminderHours checks the practice's reminder field: it refuses
// with a sentence, or gives at most three distinct leads from 1 hour to
// MaxReminderHours, largest first, that read back the same when written.
func FuzzParseReminderHours(f *testing.F) {
	for _, s := range []string{"48, 24", "none", "NONE", "", " , ,", "24 24 24 24", "1,2,3,4", "0", "337", "-1", "+5", "٣", "48;24", "9223372036854775808", "2\u00a03"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		hours, msg := ParseReminderHours(raw)
		if msg != "" {
			if hours != nil {
				t.Fatalf("ParseReminderHours(%q) refused (%q) but gave %v", raw, msg, hours)
			}
			return
		}
		if len(hours) > 3 {
			t.Fatalf("ParseReminderHours(%q) = %v: more than three", raw, hours)
		}
		for i, h := range hours {
			if h < 1 || h > MaxReminderHours || i > 0 && h >= hours[i-1] {
				t.Fatalf("ParseReminderHours(%q) = %v", raw, hours)
			}
		}
		back, msg := ParseReminderHours(FormatReminderHours(hours))
		if msg != "" || len(back) != len(hours) {
			t.Fatalf("ParseReminderHours(%q) = %v does not read back from %q: %v %q", raw, hours, FormatReminderHours(hours), back, msg)
		}
		for i := range back {
			if back[i] != hours[i] {
				t.Fatalf("ParseReminderHours(%q) = %v reads back as %v", raw, hours, back)
			}
		}
	})
}
