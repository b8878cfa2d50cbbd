package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// DefaultPageSize is how many rows one page of a staff list shows when
// PageKey.Limit is 0.
const DefaultPageSize = 50

// Page is one page of a list read by key (see PageKey): its rows, how many
// rows match the filter on every page, and the row ids to pass as After
// (Next) and Before (Prev) for the neighbouring pages, "" when there is
// none.
type Page[T any] struct {
	Rows       []T
	Total      int
	Next, Prev string
}

// keyset is one list read a page at a time by key, the pattern of
// PagePatients and FindAudit's After/Before shared by the other staff
// lists: the next page starts after the last row shown (never an OFFSET,
// so page 200 costs what page 1 does, and a row added meanwhile shifts
// nothing), and a key is looked up in the actor's own scope, so an id
// outside it reads the first page, as an unknown id does, and tells
// nothing about its row.
type keyset struct {
	// Scope is the FROM and WHERE (it must have one) of the rows the actor
	// may list that match the filter, with its placeholders' Args.
	Scope string
	Args  []any
	// Table is the table whose rows are paged, named Alias in Scope; Order
	// its key columns, most significant first, the last one its unique id
	// column "id". Desc reads the largest first (newest first for a time).
	Table, Alias string
	Order        []string
	Desc         bool
	// Count, when set, is a query (with Args) for the count of every
	// match, read instead of counting Scope's rows: a count kept up to
	// date, for a list whose page must not read every match.
	Count string
}

// readPage reads one page of ks, the columns cols of each row scanned by
// scan, id naming a row's key, and counts every match, in tx.
func readPage[T any](ctx context.Context, tx *Tx, ks keyset, cols string, k PageKey, scan func(scanner) (T, error), id func(T) string) (*Page[T], error) {
	limit := k.Limit
	if limit <= 0 {
		limit = DefaultPageSize
	}
	out := &Page[T]{}
	count := `SELECT count(*)` + ks.Scope
	if ks.Count != "" {
		count = ks.Count
	}
	if err := tx.QueryRow(ctx, count, ks.Args...).Scan(&out.Total); err != nil {
		return nil, err
	}
	key, backward := k.After, false
	if k.Before != "" {
		key, backward = k.Before, true
	}
	if key != "" {
		a := append(slices.Clone(ks.Args), key)
		var n int
		if err := tx.QueryRow(ctx, fmt.Sprintf(`SELECT count(*)%s AND %s.id = $%d`, ks.Scope, ks.Alias, len(a)), a...).Scan(&n); err != nil {
			return nil, err
		}
		if n == 0 {
			key, backward = "", false
		}
	}
	desc := ks.Desc != backward // a page before is read the other way, then turned round
	cmp, dir := ">", " ASC"
	if desc {
		cmp, dir = "<", " DESC"
	}
	own, theirs, order := make([]string, len(ks.Order)), make([]string, len(ks.Order)), make([]string, len(ks.Order))
	for i, c := range ks.Order {
		own[i], theirs[i], order[i] = ks.Alias+"."+c, "k."+c, ks.Alias+"."+c+dir
	}
	q, a := `SELECT `+cols+ks.Scope, slices.Clone(ks.Args)
	if key != "" {
		a = append(a, key)
		q += fmt.Sprintf(` AND (%s) %s (SELECT %s FROM %s k WHERE k.id = $%d)`, strings.Join(own, ", "), cmp, strings.Join(theirs, ", "), ks.Table, len(a))
	}
	q += ` ORDER BY ` + strings.Join(order, ", ") + fmt.Sprintf(` LIMIT %d`, limit+1)
	list, err := queryAll(ctx, tx, scan, q, a...)
	if err != nil {
		return nil, err
	}
	more := len(list) > limit
	if more {
		list = list[:limit]
	}
	if backward {
		slices.Reverse(list)
	}
	out.Rows = list
	if len(list) > 0 {
		if backward {
			out.Next = id(list[len(list)-1])
			if more {
				out.Prev = id(list[0])
			}
		} else {
			if more {
				out.Next = id(list[len(list)-1])
			}
			if key != "" {
				out.Prev = id(list[0])
			}
		}
	}
	return out, nil
}
