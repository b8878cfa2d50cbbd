package demo

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// skillsPatient is the demo patient who uses the skills tools.
const skillsPatient = "Riley Chen"

// seedSkills writes the skills patient's entries (issue 17, item 2): a
// week of diary cards, most shared, an emotion log and a four-options
// worksheet shared, a cope-ahead plan for next week shared, and one
// emotion log kept private, so the chart's skills page and the portal
// both have something to show.
func seedSkills(ctx context.Context, st *store.Store, pt *store.Patient, asPatient store.Actor) error {
	real := st.Now
	defer func() { st.Now = real }()
	today := real().UTC().Truncate(24 * time.Hour)
	save := func(daysAgo int, kind string, shared bool, f url.Values) error {
		at := today.AddDate(0, 0, -daysAgo).Add(20 * time.Hour)
		st.Now = func() time.Time { return at }
		_, err := st.SaveSkillEntry(ctx, asPatient, pt.ID, store.SkillInput{Kind: kind, Form: f, Shared: shared, Today: at.Format(time.DateOnly)})
		if err != nil {
			return fmt.Errorf("%s %d days ago: %w", kind, daysAgo, err)
		}
		return nil
	}
	// A week of diary cards: a hard middle of the week, easing.
	days := []struct {
		sad, anger, shame, fear, joy, selfHarm, substance int
		acted                                             bool
		sleep                                             string
		skills                                            []string
		note                                              string
	}{
		{3, 1, 2, 3, 1, 1, 2, false, "6", []string{"observe", "self_soothe"}, "Tired after work."},
		{4, 2, 3, 3, 0, 2, 3, false, "5", []string{"tipp", "distract"}, "Argument with my brother."},
		{4, 3, 3, 4, 0, 3, 4, true, "4.5", []string{"tipp"}, "Had two drinks, more than I planned."},
		{3, 2, 2, 3, 1, 2, 2, false, "6.5", []string{"check_facts", "opposite", "wise_mind"}, "Called Sam. Walked by the river."},
		{2, 1, 1, 2, 2, 1, 1, false, "7", []string{"please", "positive"}, ""},
		{2, 1, 1, 2, 3, 0, 1, false, "7.5", []string{"positive", "participate"}, "Cooked with friends."},
		{1, 0, 1, 1, 3, 0, 0, false, "8", []string{"wise_mind"}, ""},
	}
	for i, d := range days {
		ago := len(days) - i
		f := url.Values{
			"day":             {today.AddDate(0, 0, -ago).Format(time.DateOnly)},
			"emotion_sadness": {strconv.Itoa(d.sad)}, "emotion_anger": {strconv.Itoa(d.anger)}, "emotion_shame": {strconv.Itoa(d.shame)},
			"emotion_fear": {strconv.Itoa(d.fear)}, "emotion_joy": {strconv.Itoa(d.joy)},
			"urge_self_harm": {strconv.Itoa(d.selfHarm)}, "acted_self_harm": {"no"},
			"urge_suicide": {"0"}, "acted_suicide": {"no"},
			"urge_substance": {strconv.Itoa(d.substance)}, "acted_substance": {map[bool]string{true: "yes", false: "no"}[d.acted]},
			"sleep": {d.sleep}, "skill": d.skills, "note": {d.note},
		}
		if err := save(ago, clinic.SkillDiary, ago != 2, f); err != nil {
			return err
		}
	}
	if err := save(4, clinic.SkillEmotion, true, url.Values{"feeling": {"ashamed"}, "intensity": {"70"}, "body": {"Heavy chest, hot face"},
		"message": {"That I care about keeping my word to myself."}, "validation": {"One evening does not undo the work I have been doing."}}); err != nil {
		return err
	}
	if err := save(3, clinic.SkillOptions, true, url.Values{"problem": {"My brother keeps bringing up money at family dinners."}, "choice": {"solve"},
		"first_step": {"Text him before Sunday and ask to talk about it just the two of us."}}); err != nil {
		return err
	}
	if err := save(1, clinic.SkillCopeAhead, true, url.Values{"situation": {"Sunday dinner at my parents'"}, "on": {today.AddDate(0, 0, 6).Format(time.DateOnly)},
		"hard": {"The money conversation, and the wine on the table."}, "skills": {"Paced breathing; opposite action; leaving early if I need to."},
		"rehearsal": {"I say I'm not drinking tonight, I step outside for five minutes when it gets loud, and I leave by nine."}, "call": {"Sam"}}); err != nil {
		return err
	}
	return save(0, clinic.SkillEmotion, false, url.Values{"feeling": {"lonely"}, "intensity": {"55"}, "body": {"Throat"},
		"message": {"That I miss how close we used to be."}, "validation": {"It makes sense to miss someone you love."}})
}
