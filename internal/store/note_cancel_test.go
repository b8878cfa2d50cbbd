package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
)

// TestNotedAppointmentCannotBeCancelled: an appointment with a note (a
// draft or signed) cannot be cancelled, since a cancelled appointment's
// note could no longer be opened (review finding); one without a note can.
func TestNotedAppointmentCannotBeCancelled(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	signed := pr.addAppointment(t, pr.p.ID, "integration", pr.now.Add(2*time.Hour))
	draft := pr.addAppointment(t, pr.p.ID, "follow_up", pr.now.Add(4*time.Hour))
	bare := pr.addAppointment(t, pr.p.ID, "follow_up", pr.now.Add(6*time.Hour))
	in := dap("Written ahead.")
	n, err := s.SaveNoteDraft(ctx, pr.thea, pr.p.ID, signed, in)
	if err != nil {
		t.Fatal(err)
	}
	in.Version, in.Attest = n.Version, true
	if _, err := s.SignNote(ctx, pr.thea, pr.p.ID, signed, in); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveNoteDraft(ctx, pr.thea, pr.p.ID, draft, dap("Half written.")); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{signed, draft} {
		err := s.CancelAppointment(ctx, pr.thea, pr.p.ID, id, "Patient is unwell.")
		var e *clinic.Error
		if !errors.As(err, &e) || !strings.Contains(e.Fields["reason"], "clinical note") {
			t.Errorf("cancelling an appointment with a note: %v", err)
		}
	}
	if err := s.CancelAppointment(ctx, pr.thea, pr.p.ID, bare, "Patient is unwell."); err != nil {
		t.Errorf("cancelling an appointment without a note: %v", err)
	}
	if got, err := s.NoteFor(ctx, pr.thea, pr.p.ID, signed); err != nil || got.Status != "signed" {
		t.Errorf("the signed note after the refused cancel: %+v, %v", got, err)
	}
}
