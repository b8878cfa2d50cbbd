package demo

import (
	"context"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// safetyPlanPatient is the demo patient whose safety plan was built in
// session (her latest PHQ-9 answers item 9 positively).
const safetyPlanPatient = "Casey Morgan"

// seedSafetyPlan gives pt a safety plan built together in session: the
// therapist saves the first version with her, then she adds her reasons
// for living in the portal (version 2).
func seedSafetyPlan(ctx context.Context, st *store.Store, therapist, asPatient store.Actor, pt *store.Patient) error {
	first := map[string][]string{
		clinic.PlanWarningSigns: {"I stop answering texts and stay in bed", "Thinking \"everyone would be better off\"", "Sunday evenings alone after a hard week"},
		clinic.PlanCoping:       {"Cold water on my face, then slow breathing for five minutes", "Walk the long way round the park with music on", "Write down what the feeling is telling me"},
		clinic.PlanDistraction:  {"The library café on Elm Street", "Call Jess to watch a film together"},
		clinic.PlanPeople:       {"Jess (sister) 555 010 0142", "Marcus (friend) 555 010 0177"},
		clinic.PlanProfessional: {"Lena Ortiz, my therapist, through the practice in office hours"},
		clinic.PlanSafer:        {"Jess keeps my spare medication at her place", "Ask Marcus to hold the car keys on bad nights"},
	}
	if _, _, err := st.SaveSafetyPlan(ctx, therapist, pt.ID, 0, first); err != nil {
		return err
	}
	second := map[string][]string{}
	for k, v := range first {
		second[k] = v
	}
	second[clinic.PlanReasons] = []string{"My niece, Ella", "Finishing the garden I started this spring", "Seeing the ocean again"}
	_, _, err := st.SaveSafetyPlan(ctx, asPatient, pt.ID, 1, second)
	return err
}
