package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/demo"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestDemoSkills: the demo's skills patient has a week of diary cards
// (one kept private), shared worksheets, and a private emotion log the
// therapist cannot see.
func TestDemoSkills(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	if _, err := demo.Seed(ctx, st, t.TempDir(), auth.Params{Memory: 8 * 1024, Time: 1, Threads: 1}); err != nil {
		t.Fatal(err)
	}
	u, _, err := st.FindUserByEmail(ctx, "sam.whitaker@willowcreek.example")
	if err != nil {
		t.Fatal(err)
	}
	sam := store.Actor{UserID: u.ID, Role: clinic.RoleTherapist}
	pts, err := st.ListPatients(ctx, sam, store.PatientFilter{Query: "Riley Chen"})
	if err != nil || len(pts) != 1 {
		t.Fatalf("Riley Chen = %v, %v", pts, err)
	}
	shared, more, err := st.SharedSkillList(ctx, sam, pts[0].ID, "", 0, 20)
	if err != nil || more {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, e := range shared {
		kinds[e.Kind]++
		if e.Kind == clinic.SkillEmotion && e.Emotion.Feeling == "lonely" {
			t.Errorf("the private emotion log is shown to the therapist")
		}
	}
	if kinds[clinic.SkillDiary] != 6 || kinds[clinic.SkillEmotion] != 1 || kinds[clinic.SkillOptions] != 1 || kinds[clinic.SkillCopeAhead] != 1 {
		t.Errorf("shared entries by kind = %v, want 6 diary cards and one of each worksheet", kinds)
	}
	today := time.Now().UTC()
	cards, err := st.SharedDiaryDays(ctx, sam, pts[0].ID, today.AddDate(0, 0, -7).Format(time.DateOnly), today.Format(time.DateOnly))
	if err != nil || len(cards) != 6 {
		t.Errorf("shared diary cards of the last week = %d, %v", len(cards), err)
	}
}
