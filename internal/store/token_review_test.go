package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// live reports whether the unused, unexpired link hash of purpose works.
func live(t *testing.T, s *store.Store, hash, purpose string) bool {
	t.Helper()
	_, err := s.FindToken(context.Background(), auth.HashToken(hash), purpose)
	if err != nil && code(err) != clinic.ENotFound {
		t.Fatal(err)
	}
	return err == nil
}

// TestPatientInvitationToMistypedAddress (review of issue 15): a portal
// invitation sent to a mistyped address stops working when the email is
// corrected (cancelled and audited in the same save) and when a new
// invitation is made for the patient, whatever address the old one named;
// the new invitation says which address it names, so the page emails that
// one. An invitation to another patient is left alone.
func TestPatientInvitationToMistypedAddress(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	s.Now = func() time.Time { return time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC) }
	lena := sitePeople(t, s)["lena"]
	p := &store.Patient{DisplayName: "Pia Portal", Email: "pia@exmaple.org"}
	other := &store.Patient{DisplayName: "Oda Other", Email: "oda@example.org"}
	for _, x := range []*store.Patient{p, other} {
		if err := s.CreatePatient(ctx, lena, x, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CreatePatientToken(ctx, lena, other.ID, store.TokenInvite, auth.HashToken("oda-1")); err != nil {
		t.Fatal(err)
	}
	to, err := s.CreatePatientToken(ctx, lena, p.ID, store.TokenInvite, auth.HashToken("typo-1"))
	if err != nil || to != "pia@exmaple.org" {
		t.Fatalf("invitation = %q, %v; want it to name pia@exmaple.org", to, err)
	}

	// The therapist corrects the address on the record.
	saved, _, err := s.FindPatient(ctx, lena, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	saved.Email = "pia@example.org"
	if err := s.UpdatePatientDetails(ctx, lena, saved); err != nil {
		t.Fatal(err)
	}
	if live(t, s, "typo-1", store.TokenInvite) {
		t.Error("the invitation to the mistyped address still works after the email was corrected")
	}
	n, _, err := s.CountAudit(ctx, "token.invite.revoke", "", "", time.Time{})
	if err != nil || n != 1 {
		t.Errorf("token.invite.revoke rows after the email change = %d, %v; want 1", n, err)
	}
	// Saving other details (the same email, in other case) cancels nothing.
	to, err = s.CreatePatientToken(ctx, lena, p.ID, store.TokenInvite, auth.HashToken("good-1"))
	if err != nil || to != "pia@example.org" {
		t.Fatalf("invitation = %q, %v; want it to name pia@example.org", to, err)
	}
	saved.Email, saved.Phone = "Pia@Example.org", "+1 555 010 9999"
	if err := s.UpdatePatientDetails(ctx, lena, saved); err != nil {
		t.Fatal(err)
	}
	if !live(t, s, "good-1", store.TokenInvite) {
		t.Error("saving the same email in other case cancelled the invitation")
	}

	// An invitation to an old address made before this rule (or in any
	// other way) is cancelled by the next invitation of the patient.
	if err := store.ExecForTest(ctx, s, `UPDATE auth_tokens SET email = 'pia@exmaple.org' WHERE token_hash = $1`, auth.HashToken("good-1")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreatePatientToken(ctx, lena, p.ID, store.TokenInvite, auth.HashToken("good-2")); err != nil {
		t.Fatal(err)
	}
	if live(t, s, "good-1", store.TokenInvite) {
		t.Error("an earlier invitation of the patient to another address still works after a new one was made")
	}
	if !live(t, s, "good-2", store.TokenInvite) || !live(t, s, "oda-1", store.TokenInvite) {
		t.Error("the new invitation, or another patient's, does not work")
	}
	invs, err := s.Invitations(ctx, lena, p.ID)
	if err != nil || len(invs) != 1 || !strings.EqualFold(invs[0].Email, "pia@example.org") {
		t.Errorf("pending invitations = %+v, %v; want only the new one", invs, err)
	}
	// Nor is an invitation to an address the record no longer holds sent
	// again from the list of invitations.
	if err := store.ExecForTest(ctx, s, `UPDATE auth_tokens SET email = 'pia@exmaple.org' WHERE token_hash = $1`, auth.HashToken("good-2")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ResendInvitation(ctx, lena, auth.HashToken("good-2"), auth.HashToken("typo-again")); code(err) != clinic.EConflict {
		t.Errorf("sending again an invitation to an old address = %v, want conflict", err)
	}
	if live(t, s, "typo-again", store.TokenInvite) || !live(t, s, "good-2", store.TokenInvite) {
		t.Error("a refused resend made a link, or cancelled the pending one")
	}
}

// TestSelfServiceResetKeepsStaffLink (review of issue 15): anyone can ask
// for a reset link for an account by its email; that must not cancel the
// link the patient's therapist (or an administrator) just made. It cancels
// only earlier self-service links; a link a person makes cancels every
// earlier one.
func TestSelfServiceResetKeepsStaffLink(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	s.Now = func() time.Time { return time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC) }
	who := sitePeople(t, s)
	lena := who["lena"]
	p := &store.Patient{DisplayName: "Pia Portal", Email: "pia@example.org"}
	if err := s.CreatePatient(ctx, lena, p, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreatePatientToken(ctx, lena, p.ID, store.TokenInvite, auth.HashToken("inv")); err != nil {
		t.Fatal(err)
	}
	if err := s.AcceptAccountToken(ctx, store.System, auth.HashToken("inv"), store.TokenInvite, &clinic.User{DisplayName: "Pia Portal"}, "hash"); err != nil {
		t.Fatal(err)
	}
	saved, _, err := s.FindPatient(ctx, lena, p.ID)
	if err != nil || saved.UserID == "" {
		t.Fatalf("patient after accepting = %+v, %v", saved, err)
	}
	self := func(h string) {
		t.Helper()
		if u, err := s.CreateSelfServiceReset(ctx, saved.UserID, auth.HashToken(h)); err != nil || u == nil {
			t.Fatalf("self-service reset = %v, %v", u, err)
		}
	}
	self("self-1")
	if _, err := s.CreatePatientToken(ctx, lena, p.ID, store.TokenReset, auth.HashToken("therapist-1")); err != nil {
		t.Fatal(err)
	}
	if live(t, s, "self-1", store.TokenReset) {
		t.Error("the therapist's link left an earlier self-service link working")
	}
	self("self-2")
	if !live(t, s, "therapist-1", store.TokenReset) {
		t.Error("a self-service request cancelled the link the therapist made")
	}
	self("self-3")
	if live(t, s, "self-2", store.TokenReset) || !live(t, s, "self-3", store.TokenReset) || !live(t, s, "therapist-1", store.TokenReset) {
		t.Error("a second self-service request did not replace only the first")
	}

	// A staff member's link made by an administrator, likewise.
	admin, sam := who["admin"], who["sam"]
	if err := s.CreateToken(ctx, admin, &store.AuthToken{Hash: auth.HashToken("admin-1"), Purpose: store.TokenReset, UserID: sam.UserID, Role: clinic.RoleTherapist}); err != nil {
		t.Fatal(err)
	}
	if u, err := s.CreateSelfServiceReset(ctx, sam.UserID, auth.HashToken("sam-self")); err != nil || u == nil {
		t.Fatalf("self-service reset = %v, %v", u, err)
	}
	if !live(t, s, "admin-1", store.TokenReset) || !live(t, s, "sam-self", store.TokenReset) {
		t.Error("a self-service request cancelled the link an administrator made")
	}
}
