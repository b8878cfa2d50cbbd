package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestRememberedDevices: a device is known to its own account only, while
// it is used within store.DeviceLifetime and not forgotten; a sign-in from
// a known device moves its last use on instead of making another; one
// account cannot forget another's device.
func TestRememberedDevices(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	pat := &clinic.User{Email: "pat@example.org", DisplayName: "Pat", Role: clinic.RolePatient}
	bea := &clinic.User{Email: "bea@example.org", DisplayName: "Bea", Role: clinic.RolePatient}
	for _, u := range []*clinic.User{pat, bea} {
		if err := s.CreateUser(ctx, store.System, u, "hash"); err != nil {
			t.Fatal(err)
		}
	}
	asPat := store.Actor{UserID: pat.ID, Role: clinic.RolePatient}
	asBea := store.Actor{UserID: bea.ID, Role: clinic.RolePatient}
	d, made, err := s.RememberDevice(ctx, asPat, "", "hash-1", "Firefox")
	if err != nil || !made {
		t.Fatalf("RememberDevice = %v, %v; want a new device", made, err)
	}
	known := func(user, hash string) *store.Device {
		t.Helper()
		k, err := s.KnownDevice(ctx, user, []string{"no-such-hash", hash})
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	if k := known(pat.ID, "hash-1"); k == nil || k.ID != d.ID || k.TokenHash != "hash-1" {
		t.Fatalf("KnownDevice(pat) = %+v, want %s", k, d.ID)
	}
	for name, user := range map[string]string{"another account": bea.ID, "no account": ""} {
		if k := known(user, "hash-1"); k != nil {
			t.Errorf("pat's device is known to %s", name)
		}
	}
	// Used again well within its lifetime: the same device, no new row.
	now = now.Add(store.DeviceLifetime - time.Hour)
	d2, made, err := s.RememberDevice(ctx, asPat, d.ID, "hash-2", "Firefox")
	if err != nil || made || d2.ID != d.ID || !d2.LastUsedAt.Equal(now) {
		t.Fatalf("RememberDevice of a known device = %+v, %v, %v; want the same device, used now", d2, made, err)
	}
	if k := known(pat.ID, "hash-2"); k != nil {
		t.Error("a token that was never stored is known")
	}
	// Another account naming pat's device id gets a device of its own.
	if d3, made, err := s.RememberDevice(ctx, asBea, d.ID, "hash-3", "Safari"); err != nil || !made || d3.ID == d.ID || d3.UserID != bea.ID {
		t.Fatalf("bea naming pat's device = %+v, %v, %v; want a new device of bea's", d3, made, err)
	}
	// Unused for its lifetime, it is no longer known or listed.
	now = now.Add(store.DeviceLifetime)
	if k := known(pat.ID, "hash-1"); k != nil {
		t.Error("a device unused for its lifetime is still known")
	}
	if list, _ := s.ListDevices(ctx, pat.ID); len(list) != 0 {
		t.Errorf("ListDevices lists %d stale devices", len(list))
	}
	// Forgetting: only one's own device.
	d4, _, err := s.RememberDevice(ctx, asPat, "", "hash-4", "Firefox")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ForgetDevice(ctx, asBea, d4.ID); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Fatalf("bea forgetting pat's device = %v, want ENotFound", err)
	}
	if known(pat.ID, "hash-4") == nil {
		t.Fatal("bea's attempt forgot pat's device")
	}
	if err := s.ForgetDevice(ctx, asPat, d4.ID); err != nil {
		t.Fatal(err)
	}
	if known(pat.ID, "hash-4") != nil {
		t.Error("a forgotten device is still known")
	}
	if err := s.ForgetDevice(ctx, asPat, d4.ID); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("forgetting a forgotten device = %v, want ENotFound", err)
	}
}

// TestDevicesForgottenOnCompromise: a password change or reset, a
// second-factor reset, "sign out everywhere" and disabling the account
// each forget every remembered device of the account (someone who once
// signed in fully keeps no separate count of failures afterwards), and
// only that account's.
func TestDevicesForgottenOnCompromise(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	bea := &clinic.User{Email: "bea@example.org", DisplayName: "Bea", Role: clinic.RolePatient}
	if err := s.CreateUser(ctx, store.System, bea, "hash"); err != nil {
		t.Fatal(err)
	}
	asBea := store.Actor{UserID: bea.ID, Role: clinic.RolePatient}
	for i, tc := range []struct {
		name string
		do   func(pat *clinic.User) error
	}{
		{"password change", func(u *clinic.User) error {
			return s.SetPassword(ctx, store.Actor{UserID: u.ID, Role: u.Role}, u.ID, "new", "password.change")
		}},
		{"password reset", func(u *clinic.User) error { return s.SetPassword(ctx, store.System, u.ID, "new", "password.reset") }},
		{"second-factor reset", func(u *clinic.User) error { return s.SetTOTP(ctx, store.System, u.ID, "", nil) }},
		{"sign out everywhere", func(u *clinic.User) error { return s.EndAllSessions(ctx, store.Actor{UserID: u.ID, Role: u.Role}) }},
		{"account disabled", func(u *clinic.User) error { return s.SetUserDisabled(ctx, store.System, u.ID, true) }},
	} {
		pat := &clinic.User{Email: fmt.Sprintf("pat%d@example.org", i), DisplayName: "Pat", Role: clinic.RolePatient}
		if err := s.CreateUser(ctx, store.System, pat, "hash"); err != nil {
			t.Fatal(err)
		}
		asPat := store.Actor{UserID: pat.ID, Role: clinic.RolePatient}
		hash, beaHash := fmt.Sprintf("pat-%d", i), fmt.Sprintf("bea-%d", i)
		if _, _, err := s.RememberDevice(ctx, asPat, "", hash, "Firefox"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.RememberDevice(ctx, asBea, "", beaHash, "Firefox"); err != nil {
			t.Fatal(err)
		}
		if err := tc.do(pat); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if k, err := s.KnownDevice(ctx, pat.ID, []string{hash}); err != nil || k != nil {
			t.Errorf("after %s the account's device is still known (%v)", tc.name, err)
		}
		if k, err := s.KnownDevice(ctx, bea.ID, []string{beaHash}); err != nil || k == nil {
			t.Errorf("%s of another account forgot bea's device (%v)", tc.name, err)
		}
	}
}
