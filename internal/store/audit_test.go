package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestAuditAppendOnly: the database itself refuses to change or remove
// audit rows and checkpoints, on both engines.
func TestAuditAppendOnly(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	if err := s.Audit(ctx, store.System, store.Entry{Action: "test.event"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE audit_events SET detail = 'x'`,
		`DELETE FROM audit_events`,
		`UPDATE audit_checkpoints SET head = 'x'`,
		`DELETE FROM audit_checkpoints`,
	} {
		if err := store.ExecForTest(ctx, s, q); err == nil {
			t.Errorf("%s succeeded, want it refused", q)
		}
	}
	if p, n, err := s.VerifyAudit(ctx, nil); err != nil || p != nil || n != 1 {
		t.Errorf("VerifyAudit = %v, %d, %v; want intact with 1 row", p, n, err)
	}
}

// TestAuditInSameTransaction: when the audit row cannot be written, the
// change it records is not made either.
func TestAuditInSameTransaction(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	key := s.AuditKey()
	s.SetAuditKey(nil)
	u := &clinic.User{Email: "x@example.org", DisplayName: "X", Role: clinic.RoleTherapist}
	if err := s.CreateUser(ctx, store.System, u, "hash"); err == nil {
		t.Fatal("CreateUser without a way to audit succeeded")
	}
	s.SetAuditKey(key)
	if _, _, err := s.FindUserByEmail(ctx, "x@example.org"); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Fatalf("user whose audit row failed exists: %v", err)
	}
}

// TestAuditChainAcrossWriters: many concurrent audited writes form one
// unbroken, verifiable chain.
func TestAuditChainAcrossWriters(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	errs := make(chan error, 40)
	for i := range 40 {
		go func() {
			errs <- s.Audit(ctx, store.Actor{UserID: "u", Role: clinic.RoleTherapist}, store.Entry{Action: "test.concurrent", ObjectID: time.Duration(i).String()})
		}()
	}
	for range 40 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	cp, err := s.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Size != 40 {
		t.Fatalf("checkpoint size = %d, want 40", cp.Size)
	}
	if p, n, err := s.VerifyAudit(ctx, nil); err != nil || p != nil || n != 40 {
		t.Fatalf("VerifyAudit = %v, %d, %v; want intact with 40 rows", p, n, err)
	}
}
