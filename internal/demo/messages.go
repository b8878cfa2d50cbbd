package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// seedMessages gives the demo two conversations (issue 17): Jordan Lee
// asked Lena Ortiz about his dosing day two days ago, she answered, and
// his thanks from yesterday waits unread in Lena's inbox; Casey Morgan
// wrote this morning about her sleep, not yet answered. Each goes through
// the store with its clock set to when it was written.
func seedMessages(ctx context.Context, st *store.Store, ids map[string]string, patients map[string]*store.Patient, asPatients map[string]store.Actor) error {
	lena := store.Actor{UserID: ids["lena.ortiz@willowcreek.example"], Role: clinic.RoleTherapist}
	real := st.Now
	defer func() { st.Now = real }()
	now := real().UTC()
	var clock time.Time
	st.Now = func() time.Time { return clock }

	jordan, casey := patients["Jordan Lee"], patients["Casey Morgan"]
	clock = now.Add(-50 * time.Hour)
	t, err := st.StartThread(ctx, asPatients["Jordan Lee"], jordan.ID, store.MessageInput{Subject: "Coffee and pickup on my dosing day",
		Body: "Hi Lena, is it OK to have my usual coffee the morning of my session? And should my partner wait in the lobby, or come back at pickup time?"})
	if err != nil {
		return fmt.Errorf("message of Jordan Lee: %w", err)
	}
	clock = now.Add(-47 * time.Hour)
	if _, err := st.ReplyMessage(ctx, lena, jordan.ID, t.ThreadID, store.MessageInput{
		Body: "Good questions, Jordan. For food and drink, please follow the instructions in your preparation checklist; we will go through coffee and everything else in Thursday's preparation session. Your partner is welcome to come back at pickup time: we will call them when you are ready."}); err != nil {
		return fmt.Errorf("reply of Lena Ortiz: %w", err)
	}
	clock = now.Add(-26 * time.Hour)
	if _, err := st.ReplyMessage(ctx, asPatients["Jordan Lee"], jordan.ID, t.ThreadID, store.MessageInput{
		Body: "Thank you, that helps a lot. See you Thursday."}); err != nil {
		return fmt.Errorf("reply of Jordan Lee: %w", err)
	}
	clock = now.Add(-5 * time.Hour)
	if _, err := st.StartThread(ctx, asPatients["Casey Morgan"], casey.ID, store.MessageInput{Subject: "Sleep this week",
		Body: "I have been sleeping badly since I stopped the trazodone last week. Should I tell Dr. Natarajan before my medical clearance, or wait for our next session?"}); err != nil {
		return fmt.Errorf("message of Casey Morgan: %w", err)
	}
	return nil
}
