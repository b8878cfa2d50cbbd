package storetest_test

import (
	"context"
	"testing"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestTemplateCopies checks what tests rely on from the shared template:
// every Open is fully migrated (Migrate has nothing left to apply, and the
// original consent documents are there), independent of every other, and
// two stores on one DSN see one database; DSN is still empty.
func TestTemplateCopies(t *testing.T) {
	ctx := context.Background()
	names, err := store.Migrations(storetest.Open(t).Engine())
	if err != nil {
		t.Fatal(err)
	}
	a, b := storetest.Open(t), storetest.Open(t)
	for _, s := range []*store.Store{a, b} {
		if applied, err := s.Migrate(ctx); err != nil || len(applied) != 0 {
			t.Fatalf("Migrate on a copy applied %v (%v), want nothing", applied, err)
		}
		if docs, _, err := s.ConsentVersions(ctx, store.System, clinic.ConsentKAP, 1); err != nil || len(docs) == 0 {
			t.Fatalf("a copy has %d consent documents (%v), want the originals", len(docs), err)
		}
	}
	if err := a.SetSetting(ctx, store.System, "practice_name", "Copy A"); err != nil {
		t.Fatal(err)
	}
	if got, err := b.Setting(ctx, "practice_name", "none"); err != nil || got != "none" {
		t.Fatalf("copy B reads copy A's setting: %q (%v)", got, err)
	}
	if storetest.StoreDSN(t, a) == storetest.StoreDSN(t, b) {
		t.Fatal("two copies share a DSN")
	}

	dsn := storetest.MigratedDSN(t)
	one, two := storetest.OpenDSN(t, dsn), storetest.OpenDSN(t, dsn)
	if err := one.SetSetting(ctx, store.System, "practice_name", "Shared"); err != nil {
		t.Fatal(err)
	}
	if got, err := two.Setting(ctx, "practice_name", "none"); err != nil || got != "Shared" {
		t.Fatalf("the second store on one DSN reads %q (%v), want the first's write", got, err)
	}
	if storetest.Keyring(t, dsn) != storetest.Keyring(t, storetest.StoreDSN(t, two)) {
		t.Fatal("two stores on one DSN have different data keys")
	}

	empty, err := store.Open(ctx, storetest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer empty.Close()
	applied, err := empty.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != len(names) {
		t.Fatalf("Migrate on DSN's database applied %d migrations, want all %d", len(applied), len(names))
	}
	t.Logf("%d migrations; copies of the template on %s", len(names), a.Engine())
}
