package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// notesPractice is a practice whose one therapist wrote notes
// psychotherapy notes of about 2 kB each, sealed (the form of a sealed
// value, under the store's current key: what start-up counts), written in
// one statement so the benchmark's set-up stays short.
func notesPractice(b *testing.B, notes int) *store.Store {
	b.Helper()
	ctx := context.Background()
	s := storetest.Open(b)
	th := &clinic.User{Email: "bench@example.org", DisplayName: "Bench", Role: clinic.RoleTherapist}
	if err := s.CreateUser(ctx, store.System, th, "h"); err != nil {
		b.Fatal(err)
	}
	p := &store.Patient{DisplayName: "Many Notes"}
	if err := s.CreatePatient(ctx, store.Actor{UserID: th.ID, Role: th.Role}, p, ""); err != nil {
		b.Fatal(err)
	}
	err := store.ExecForTest(ctx, s, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
		INSERT INTO psychotherapy_notes (id, patient_id, author_id, body_sealed, version, created_at, updated_at)
		SELECT 'bench' || i, $2, $3, 'seal1:' || $4 || ':' || $5 || i, 1, $6, $6 FROM n`,
		notes, p.ID, th.ID, s.Keyring().Current(), strings.Repeat("A", 2000), time.Now())
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkStartupKeyCheck: what start-up reads to learn which data keys
// the database needs (SealedKeyIDs, from the key-use table of migration
// 0046), beside the read of every sealed value it replaced (SealStatus,
// still what `kapstone keys status` does), and Migrate with nothing to
// apply (start-up runs it too), on practices with more and more sealed
// psychotherapy notes: the key check and Migrate should not grow with
// them; the scan does.
func BenchmarkStartupKeyCheck(b *testing.B) {
	ctx := context.Background()
	for _, notes := range []int{1000, 20000} {
		s := notesPractice(b, notes)
		b.Run(fmt.Sprintf("notes=%d/key-use-table", notes), func(b *testing.B) {
			for b.Loop() {
				if ids, err := s.SealedKeyIDs(ctx); err != nil || ids[s.Keyring().Current()] != notes {
					b.Fatalf("SealedKeyIDs = %v, %v; want %d notes", ids, err, notes)
				}
			}
		})
		b.Run(fmt.Sprintf("notes=%d/scan-every-value", notes), func(b *testing.B) {
			for b.Loop() {
				if _, err := s.SealStatus(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("notes=%d/migrate", notes), func(b *testing.B) {
			for b.Loop() {
				if _, err := s.Migrate(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
