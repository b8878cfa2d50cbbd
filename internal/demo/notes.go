package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// seedNotes gives the demo clinical notes that show each part of issue 16:
// Sam Whitaker's notes need co-signature by Lena Ortiz (a supervision an
// administrator set); Lena's signed preparation note for Jordan Lee with an
// addendum; Sam's follow-up note for Morgan Ellis, co-signed by Lena;
// Sam's two integration notes for Riley Chen, waiting for Lena's
// co-signature (Lena is not on Riley's care team: she reads those notes
// only; the older one, eight days old, is on Sam's late-notes list); and
// Robin Alvarez's follow-up, attended six days ago with only a draft,
// on Lena's late-notes list. Every step goes through the store, with its
// clock set to when it happened.
func seedNotes(ctx context.Context, st *store.Store, ids map[string]string, patients map[string]*store.Patient) error {
	lena := store.Actor{UserID: ids["lena.ortiz@willowcreek.example"], Role: clinic.RoleTherapist}
	sam := store.Actor{UserID: ids["sam.whitaker@willowcreek.example"], Role: clinic.RoleTherapist}
	admin := store.Actor{UserID: ids["admin@willowcreek.example"], Role: clinic.RoleAdmin}
	real := st.Now
	defer func() { st.Now = real }()
	today := real().UTC().Truncate(24 * time.Hour)
	var clock time.Time
	st.Now = func() time.Time { return clock }

	// attended books an appointment of kind daysAgo at 15:00 UTC (09:00 in
	// Chicago), records it attended and leaves the clock an hour after it.
	attended := func(who store.Actor, name, kind string, daysAgo int) (string, error) {
		pt := patients[name]
		at := today.AddDate(0, 0, -daysAgo).Add(15 * time.Hour)
		clock = at.AddDate(0, 0, -7)
		ap := &store.Appointment{Kind: kind, StartsAt: at}
		if err := st.CreateAppointment(ctx, who, pt.ID, ap); err != nil {
			return "", fmt.Errorf("%s's %s: %w", name, kind, err)
		}
		clock = at.Add(time.Hour)
		if err := st.RecordAppointmentOutcome(ctx, who, pt.ID, ap.ID, "attended"); err != nil {
			return "", err
		}
		return ap.ID, nil
	}
	sign := func(who store.Actor, name, appt string, in store.NoteInput) (*store.Note, error) {
		in.Attest = true
		n, err := st.SignNote(ctx, who, patients[name].ID, appt, in)
		if err != nil {
			return nil, fmt.Errorf("sign %s's note: %w", name, err)
		}
		return n, nil
	}

	clock = today.AddDate(0, 0, -20)
	if err := st.SetNoteSupervisor(ctx, admin, sam.UserID, lena.UserID); err != nil {
		return err
	}

	appt, err := attended(lena, "Jordan Lee", "preparation", 9)
	if err != nil {
		return err
	}
	if _, err := sign(lena, "Jordan Lee", appt, store.NoteInput{Format: clinic.NoteDAP, Sections: map[string]string{
		"data":       "Discussed intentions for the first dosing session: \"to feel less stuck\". Some fear of losing control; we practised the breath anchor. Music and eye shades agreed. Consent to touch: a hand on the shoulder only.",
		"assessment": "Ready for a first session. Anxiety about control is expected and workable.",
		"plan":       "Dosing session next week; partner drives home. No alcohol for 24 hours before.",
	}}); err != nil {
		return err
	}
	clock = clock.Add(26 * time.Hour)
	if _, err := st.AddNoteAddendum(ctx, lena, patients["Jordan Lee"].ID, appt, clinic.AddendumClarification,
		"The shoulder touch was agreed for moments of distress only, and Jordan may withdraw it at any time, including during the session."); err != nil {
		return err
	}

	appt, err = attended(sam, "Morgan Ellis", "follow_up", 5)
	if err != nil {
		return err
	}
	n, err := sign(sam, "Morgan Ellis", appt, store.NoteInput{Format: clinic.NoteSOAP, Sections: map[string]string{
		"subjective": "Sleeping better; mood \"steady for the first time in years\". Walking daily.",
		"objective":  "Bright, engaged. PHQ-9 6 (from 18 at baseline).",
		"assessment": "Sustained response four weeks after the last session. No risk concerns.",
		"plan":       "Monthly follow-up; booster session only if scores rise.",
	}})
	if err != nil {
		return err
	}
	clock = clock.Add(20 * time.Hour)
	if _, err := st.CosignNote(ctx, lena, n.ID, true); err != nil {
		return fmt.Errorf("co-sign: %w", err)
	}

	appt, err = attended(sam, "Riley Chen", "integration", 8)
	if err != nil {
		return err
	}
	if _, err := sign(sam, "Riley Chen", appt, store.NoteInput{Format: clinic.NoteDAP, Sections: map[string]string{
		"data":       "First integration session, the day after dosing. Riley was tired but clear; spoke of feeling \"lighter in the chest\" and of wanting to call their sister.",
		"assessment": "Early integration going well; tiredness as expected. No safety concerns.",
		"plan":       "Journal each morning; integration again next week.",
	}}); err != nil {
		return err
	}

	appt, err = attended(sam, "Riley Chen", "integration", 1)
	if err != nil {
		return err
	}
	if _, err := sign(sam, "Riley Chen", appt, store.NoteInput{Format: clinic.NoteDAP, Sections: map[string]string{
		"data":       "Riley described the session as \"a long walk by the water\"; a memory of their grandmother came up with warmth rather than grief.",
		"assessment": "Meaningful, well-integrated experience; mood lifting. No safety concerns.",
		"plan":       "Daily journaling prompt; integration again next week.",
	}}); err != nil {
		return err
	}

	appt, err = attended(lena, "Robin Alvarez", "follow_up", 6)
	if err != nil {
		return err
	}
	_, err = st.SaveNoteDraft(ctx, lena, patients["Robin Alvarez"].ID, appt, store.NoteInput{Format: clinic.NoteSOAP, Sections: map[string]string{
		"subjective": "Robin reports the week was harder: work stress, less sleep.",
	}})
	return err
}
