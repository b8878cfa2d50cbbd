package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kapstone/kapstone/internal/seal"
)

// sealedColumn is one database column whose values are sealed (encrypted
// with AES-256-GCM under the data keys, package seal). Every value is bound
// to its place by the additional data "<table>.<column>:<row id>" (aad), so
// a ciphertext copied into another row or column does not open.
type sealedColumn struct {
	Table  string // the table
	ID     string // its primary-key column (text), which names the row in the aad
	Column string // the sealed column (text; '' means no value)
	// Bind names further columns of the row the value is bound to (their
	// values join the aad as ":<column>=<value>"), so a value does not
	// open once the row is given, say, another author or patient.
	Bind []string
	// NeverPlain says the schema's CHECK keeps plain text out of the
	// column (every value starts with seal1:), so sealPlain need not read
	// it: at every start, for a large table such as the psychotherapy
	// notes, that read grew with the practice (issue 18).
	NeverPlain bool
}

// sealedColumns is every sealed column in the database. To seal a new
// column, add one line here (its table with a text primary key, and a text
// column NOT NULL DEFAULT ”), and write and read it with Store.sealValue and
// Store.openValue under the same table and column names; its migration
// adds the three key-use triggers of migration 0046 for it and counts its
// values (TestKeyUseMatchesValues fails until it does). The start-up check
// (which key ids the database needs, read from sealed_key_use), the sealing
// of plain values left by an older release (sealPlain, at every Migrate),
// `kapstone keys rotate` and `kapstone keys status` then cover it.
var sealedColumns = []sealedColumn{
	{Table: "users", ID: "id", Column: "totp_secret"},          // a user's TOTP secret
	{Table: "sessions", ID: "id_hash", Column: "pending_totp"}, // a TOTP secret being enrolled
	// a psychotherapy note's text, bound to its author and patient (psychNoteAAD)
	{Table: "psychotherapy_notes", ID: "id", Column: "body_sealed", Bind: []string{"author_id", "patient_id"}, NeverPlain: true},
}

// plainCandidates are the sealed columns that may hold plain values left
// by an older release: those without NeverPlain.
func plainCandidates() []sealedColumn {
	var out []sealedColumn
	for _, c := range sealedColumns {
		if !c.NeverPlain {
			out = append(out, c)
		}
	}
	return out
}

// name is "table.column".
func (c sealedColumn) name() string { return c.Table + "." + c.Column }

// aad is the additional data that binds a value to its row: the row id and
// the values of the Bind columns, in order.
func (c sealedColumn) aad(id string, bound ...string) string {
	a := c.name() + ":" + id
	for i, b := range c.Bind {
		v := ""
		if i < len(bound) {
			v = bound[i]
		}
		a += ":" + b + "=" + v
	}
	return a
}

// sealedOf returns the registered column, and panics on one that is not
// registered: a sealed column missing from sealedColumns would be left out
// of rotation, which a test must catch rather than a practice.
func sealedOf(table, column string) sealedColumn {
	for _, c := range sealedColumns {
		if c.Table == table && c.Column == column {
			return c
		}
	}
	panic("store: " + table + "." + column + " is not in sealedColumns")
}

// sealBatch is how many rows one transaction of sealing or rotation
// handles, so a running server waits on it for a moment at most.
const sealBatch = 100

// errNoKeyring is returned by writes of sealed values when no data key is loaded.
var errNoKeyring = errors.New("no data key is loaded, so a secret cannot be stored: set the store's keyring (Store.SetKeyring)")

// sealValue seals plain for row id of table.column under the current data
// key; "" stays "" (no value).
func (s *Store) sealValue(table, column, id, plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	if s.keys == nil {
		return "", errNoKeyring
	}
	// A key added meanwhile by `kapstone keys rotate` in another process
	// seals new values here too, not only values it re-sealed.
	s.keys.Refresh()
	return s.keys.SealString(plain, sealedOf(table, column).aad(id))
}

// openValue opens a value of row id of table.column; "" stays "". A value
// that does not open (another row's, changed, or under a key not in the key
// file) is an error that says so and names no secret.
func (s *Store) openValue(table, column, id, sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	c := sealedOf(table, column)
	if s.keys == nil {
		return "", errNoKeyring
	}
	plain, err := s.keys.OpenString(sealed, c.aad(id))
	if err != nil {
		return "", fmt.Errorf("%s of %s: %w", c.name(), id, err)
	}
	return plain, nil
}

// tableExists reports whether table is in the database (a sealed column's
// table may come with a migration not yet applied).
func tableExists(ctx context.Context, tx *Tx, table string) (bool, error) {
	q := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1`
	if tx.d.name == EnginePostgres {
		q = `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`
	}
	var n int
	err := tx.QueryRow(ctx, q, table).Scan(&n)
	return n > 0, err
}

// SealCount is how the values of one sealed column stand.
type SealCount struct {
	Column string         // "table.column"
	ByKey  map[string]int // sealed values by the id of their key
	Plain  int            // values not sealed yet (an older release wrote them)
}

// SealStatus counts, for every sealed column whose table exists, its values
// by the key that sealed them. It reads only the start of each value.
func (s *Store) SealStatus(ctx context.Context) ([]SealCount, error) {
	return s.sealStatus(ctx, sealedColumns)
}

// sealStatus is SealStatus over the columns cols.
func (s *Store) sealStatus(ctx context.Context, cols []sealedColumn) ([]SealCount, error) {
	var out []SealCount
	err := s.read(ctx, func(tx *Tx) error {
		out = nil
		for _, c := range cols {
			ok, err := tableExists(ctx, tx, c.Table)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			sc := SealCount{Column: c.name(), ByKey: map[string]int{}}
			heads, err := queryAll(ctx, tx, func(row scanner) (v string, err error) {
				err = row.Scan(&v)
				return v, err
			}, fmt.Sprintf(`SELECT substr(%s, 1, 64) FROM %s WHERE %s <> ''`, c.Column, c.Table, c.Column))
			if err != nil {
				return fmt.Errorf("count %s: %w", c.name(), err)
			}
			for _, h := range heads {
				if id, ok := seal.KeyID(h); ok {
					sc.ByKey[id]++
				} else {
					sc.Plain++
				}
			}
			out = append(out, sc)
		}
		return nil
	})
	return out, err
}

// keyUseTable is the table (migration 0046) that counts, by sealed column
// and key id, the values sealed under each key (an empty id: values not sealed);
// triggers keep it current in the transaction of every write of a sealed
// column, so start-up reads it instead of every sealed value.
const keyUseTable = "sealed_key_use"

// KeyUse is SealStatus as the key-use table counts it, without reading a
// sealed value: one SealCount for every registered column. ok is false when
// the table does not exist yet (a database from before migration 0046: ask
// SealStatus).
func (s *Store) KeyUse(ctx context.Context) (out []SealCount, ok bool, err error) {
	err = s.read(ctx, func(tx *Tx) error {
		out = nil
		if ok, err = tableExists(ctx, tx, keyUseTable); err != nil || !ok {
			return err
		}
		type use struct {
			col, key string
			n        int
		}
		rows, err := queryAll(ctx, tx, func(r scanner) (u use, err error) {
			err = r.Scan(&u.col, &u.key, &u.n)
			return u, err
		}, `SELECT sealed_column, key_id, n FROM sealed_key_use WHERE n > 0`)
		if err != nil {
			return fmt.Errorf("read %s: %w", keyUseTable, err)
		}
		for _, c := range sealedColumns {
			sc := SealCount{Column: c.name(), ByKey: map[string]int{}}
			for _, u := range rows {
				switch {
				case u.col != c.name():
				case u.key == "":
					sc.Plain += u.n
				default:
					sc.ByKey[u.key] += u.n
				}
			}
			out = append(out, sc)
		}
		return nil
	})
	return out, ok, err
}

// SealedKeyIDs returns how many values in the database each data key
// sealed: a key file must hold every one of these ids. It reads the
// key-use table (KeyUse), so it costs the same at any size of practice; on
// a database from before that table it counts the values themselves.
func (s *Store) SealedKeyIDs(ctx context.Context) (map[string]int, error) {
	status, ok, err := s.KeyUse(ctx)
	if err == nil && !ok {
		status, err = s.SealStatus(ctx)
	}
	if err != nil {
		return nil, err
	}
	ids := map[string]int{}
	for _, c := range status {
		for id, n := range c.ByKey {
			ids[id] += n
		}
	}
	return ids, nil
}

// sealPlain seals every value an older release stored in plain text (TOTP
// secrets before issue 16), in batches, and records how many in the audit
// log as a system event. It runs at the end of every Migrate and does
// nothing when every value is sealed already.
func (s *Store) sealPlain(ctx context.Context) error {
	cols := plainCandidates()
	// The key-use table counts the plain values too: when it holds none,
	// nothing is read (this runs at every start).
	status, ok, err := s.KeyUse(ctx)
	if err != nil {
		return err
	}
	plain := 0
	for _, c := range status {
		plain += c.Plain
	}
	if ok && plain == 0 {
		return nil
	}
	if status, err = s.sealStatus(ctx, cols); err != nil {
		return err
	}
	var done []string
	for _, c := range cols {
		plain := 0
		for _, st := range status {
			if st.Column == c.name() {
				plain = st.Plain
			}
		}
		if plain == 0 {
			continue
		}
		if s.keys == nil {
			return fmt.Errorf("the database holds %d values of %s in plain text, and no data key is loaded to seal them", plain, c.name())
		}
		n, err := s.resealColumn(ctx, c, func(v string) bool { return !seal.IsSealed(v) }, nil)
		if err != nil {
			return err
		}
		if n.done > 0 {
			done = append(done, fmt.Sprintf("%s=%d", c.name(), n.done))
		}
	}
	if len(done) == 0 {
		return nil
	}
	return s.Audit(ctx, System, Entry{Action: "data.seal", ObjectType: "data_key", ObjectID: s.keys.Current(), Detail: "sealed " + strings.Join(done, " ")})
}

// resealCount is what resealColumn did.
type resealCount struct {
	done   int // values sealed under the current key
	failed int // values that did not open (left as they were)
}

// resealColumn seals, under the current key, every value of c that pick
// selects: the plain ones (sealPlain) or those under older keys (rotation).
// It walks the table in batches of sealBatch rows by id, each batch in its
// own transaction; a value changed meanwhile by another writer is left to
// it (the update only replaces the value it read). A value that does not
// open is counted in failed and left unchanged, with its row id reported
// to bad (never its contents).
func (s *Store) resealColumn(ctx context.Context, c sealedColumn, pick func(string) bool, bad func(id string, err error)) (resealCount, error) {
	var n resealCount
	last := ""
	for {
		var rows int
		err := s.write(ctx, func(tx *Tx) error {
			type row struct {
				id, v string
				bound []string
			}
			cols := c.ID + ", " + c.Column
			for _, b := range c.Bind {
				cols += ", " + b
			}
			batch, err := queryAll(ctx, tx, func(r scanner) (x row, err error) {
				x.bound = make([]string, len(c.Bind))
				dest := []any{&x.id, &x.v}
				for i := range x.bound {
					dest = append(dest, &x.bound[i])
				}
				err = r.Scan(dest...)
				return x, err
			}, fmt.Sprintf(`SELECT %s FROM %s WHERE %s > $1 AND %s <> '' ORDER BY %s LIMIT %d`,
				cols, c.Table, c.ID, c.Column, c.ID, sealBatch), last)
			if err != nil {
				return err
			}
			rows = len(batch)
			for _, x := range batch {
				last = x.id
				if !pick(x.v) {
					continue
				}
				plain := x.v
				if seal.IsSealed(x.v) {
					if plain, err = s.keys.OpenString(x.v, c.aad(x.id, x.bound...)); err != nil {
						err = fmt.Errorf("%s of %s: %w", c.name(), x.id, err)
						n.failed++
						if bad != nil {
							bad(x.id, err)
						}
						continue
					}
				}
				sealed, err := s.keys.SealString(plain, c.aad(x.id, x.bound...))
				if err != nil {
					return err
				}
				res, err := tx.Exec(ctx, fmt.Sprintf(`UPDATE %s SET %s = $1 WHERE %s = $2 AND %s = $3`, c.Table, c.Column, c.ID, c.Column), sealed, x.id, x.v)
				if err != nil {
					return err
				}
				if k, _ := res.RowsAffected(); k == 1 {
					n.done++
				}
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		if rows < sealBatch {
			return n, nil
		}
	}
}

// RotateResult is what ResealAll did.
type RotateResult struct {
	Key      string         // the key every value is now sealed under
	Resealed map[string]int // values re-sealed, by column
	Failed   map[string]int // values that did not open, by column (left as they were)
	Left     int            // values still under an older key afterwards (written meanwhile by a server that had not yet seen the new key)
}

// ResealAll re-seals every sealed value in the database that is not under
// the keyring's current key, column by column in batches, and records the
// counts in the audit log (data.key.rotate). The caller adds the new key
// and saves the key file first, so nothing is ever sealed under a key that
// is only in memory. Servers running meanwhile keep working: they open
// re-sealed values by reloading the key file when they meet the new key
// id, and seal new values under it from their next write on; values they
// sealed under the old key during the run are picked up by a second pass.
// bad hears of each value that does not open (its column and row id).
func (s *Store) ResealAll(ctx context.Context, actor Actor, bad func(column, id string, err error)) (RotateResult, error) {
	if s.keys == nil {
		return RotateResult{}, errNoKeyring
	}
	cur := s.keys.Current()
	res := RotateResult{Key: cur, Resealed: map[string]int{}, Failed: map[string]int{}}
	old := func(v string) bool {
		id, ok := seal.KeyID(v)
		return ok && id != cur
	}
	status, err := s.SealStatus(ctx)
	if err != nil {
		return res, err
	}
	for pass := 0; pass < 3; pass++ {
		for _, c := range sealedColumns {
			if !slices.ContainsFunc(status, func(x SealCount) bool { return x.Column == c.name() }) {
				continue // its table is not in this database yet
			}
			var report func(string, error)
			if bad != nil && pass == 0 {
				report = func(id string, err error) { bad(c.name(), id, err) }
			}
			n, err := s.resealColumn(ctx, c, old, report)
			if err != nil {
				return res, err
			}
			res.Resealed[c.name()] += n.done
			if pass == 0 {
				res.Failed[c.name()] = n.failed
			}
		}
		if status, err = s.SealStatus(ctx); err != nil {
			return res, err
		}
		res.Left = 0
		for _, c := range status {
			for id, k := range c.ByKey {
				if id != cur {
					res.Left += k
				}
			}
		}
		failed := 0
		for _, k := range res.Failed {
			failed += k
		}
		if res.Left <= failed {
			break // only values that do not open are left
		}
	}
	var parts []string
	for _, c := range sealedColumns {
		if k, ok := res.Resealed[c.name()]; ok {
			parts = append(parts, fmt.Sprintf("%s=%d", c.name(), k))
		}
	}
	detail := "resealed " + strings.Join(parts, " ")
	failed := 0
	for _, k := range res.Failed {
		failed += k
	}
	if failed > 0 {
		detail += fmt.Sprintf(" unopenable=%d", failed)
	}
	if res.Left > 0 {
		detail += fmt.Sprintf(" left=%d", res.Left)
	}
	return res, s.Audit(ctx, actor, Entry{Action: "data.key.rotate", ObjectType: "data_key", ObjectID: cur, Detail: detail})
}
