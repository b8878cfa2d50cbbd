package measure

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// Copied from REFERENCE.md 1.1 and 1.2, not from the package data.
var (
	goldenStem   = "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
	goldenFooter = "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, with an educational grant from Pfizer Inc. No permission required to reproduce, translate, display or distribute."
	goldenPHQ9   = []struct{ text, loinc string }{
		{"Little interest or pleasure in doing things", "44250-9"},
		{"Feeling down, depressed, or hopeless", "44255-8"},
		{"Trouble falling or staying asleep, or sleeping too much", "44259-0"},
		{"Feeling tired or having little energy", "44254-1"},
		{"Poor appetite or overeating", "44251-7"},
		{"Feeling bad about yourself — or that you are a failure or have let yourself or your family down", "44258-2"},
		{"Trouble concentrating on things, such as reading the newspaper or watching television", "44252-5"},
		{"Moving or speaking so slowly that other people could have noticed? Or the opposite — being so fidgety or restless that you have been moving around a lot more than usual", "44253-3"},
		{"Thoughts that you would be better off dead or of hurting yourself in some way", "44260-8"},
	}
	goldenDifficulty        = "If you checked off any problems, how difficult have these problems made it for you to do your work, take care of things at home, or get along with other people?"
	goldenDifficultyLOINC   = "69722-7"
	goldenDifficultyOptions = []string{"Not difficult at all", "Somewhat difficult", "Very difficult", "Extremely difficult"}
	goldenGAD7              = []struct{ text, loinc string }{
		{"Feeling nervous, anxious or on edge", "69725-0"},
		{"Not being able to stop or control worrying", "68509-9"},
		{"Worrying too much about different things", "69733-4"},
		{"Trouble relaxing", "69734-2"},
		{"Being so restless that it is hard to sit still", "69735-9"},
		{"Becoming easily annoyed or irritable", "69689-8"},
		{"Feeling afraid as if something awful might happen", "69736-7"},
	}
)

var goldenAnswers = []string{"Not at all", "Several days", "More than half the days", "Nearly every day"}

func mustGet(t testing.TB, id string) Instrument {
	t.Helper()
	inst, ok := Get(id)
	if !ok {
		t.Fatalf("Get(%q) ok = false, want true", id)
	}
	return inst
}

// answersFor fills the scored items of inst in order, each as high as it
// goes, until they add up to total; the rest are 0. PHQ-9 item 9 stays 0
// unless total is above 24.
func answersFor(t testing.TB, inst Instrument, total int) Answers {
	t.Helper()
	a := Answers{}
	left := total
	for _, it := range inst.Items {
		if !it.Scored {
			continue
		}
		top := slices.MaxFunc(it.Options, func(x, y Option) int { return x.Value - y.Value }).Value
		v := min(left, top)
		a[it.ID] = v
		left -= v
	}
	if left != 0 {
		t.Fatalf("%s cannot total %d", inst.ID, total)
	}
	return a
}

func TestAllOrderAndGet(t *testing.T) {
	var got []string
	for _, inst := range All() {
		got = append(got, inst.ID)
	}
	want := []string{"phq9", "gad7", "phq2", "gad2", "pcl5", "risk"}
	if !slices.Equal(got, want) {
		t.Fatalf("All() ids = %v, want %v", got, want)
	}
	for _, id := range want {
		if inst, ok := Get(id); !ok || inst.ID != id {
			t.Errorf("Get(%q) = %q, %v; want %q, true", id, inst.ID, ok, id)
		}
	}
	if _, ok := Get("cadss"); ok {
		t.Errorf("Get(%q) ok = true, want false", "cadss")
	}
}

func TestGetReturnsACopy(t *testing.T) {
	inst := mustGet(t, "phq9")
	inst.Items[0].Text = "changed"
	inst.Items[0].Options[0].Label = "changed"
	inst.Bands[0].Label = "changed"
	again := mustGet(t, "phq9")
	if again.Items[0].Text == "changed" || again.Items[0].Options[0].Label == "changed" || again.Bands[0].Label == "changed" {
		t.Fatalf("changing a Get result changed the shipped data: %+v", again.Items[0])
	}
	p := mustGet(t, "pcl5")
	p.Clusters[0].Items[0] = "changed"
	if mustGet(t, "pcl5").Clusters[0].Items[0] != "pcl5_1" {
		t.Fatalf("changing a Get result changed the shipped PCL-5 clusters")
	}
}

func TestInstrumentData(t *testing.T) {
	for _, inst := range All() {
		t.Run(inst.ID, func(t *testing.T) {
			if inst.Name == "" || inst.Title == "" || inst.Notice == "" || inst.Source == "" {
				t.Errorf("name/title/notice/source = %q/%q/%q/%q, want all set", inst.Name, inst.Title, inst.Notice, inst.Source)
			}
			// Bands are contiguous and cover Min..Max.
			next := inst.Min
			for _, b := range inst.Bands {
				if b.Min != next || b.Max < b.Min || b.Label == "" || b.Level < 0 || b.Level > 4 {
					t.Errorf("band %+v after %d: want contiguous, labelled, level 0..4", b, next-1)
				}
				next = b.Max + 1
			}
			if next != inst.Max+1 {
				t.Errorf("bands end at %d, want %d", next-1, inst.Max)
			}
			// Item ids are unique and ShowIf names an earlier item.
			seen := map[string]bool{}
			textless := false
			max := 0
			for _, it := range inst.Items {
				if seen[it.ID] || !strings.HasPrefix(it.ID, inst.ID+"_") {
					t.Errorf("item id %q duplicated or without the %q prefix", it.ID, inst.ID+"_")
				}
				if it.ShowIf != "" && !seen[it.ShowIf] {
					t.Errorf("item %s ShowIf %q is not an earlier item", it.ID, it.ShowIf)
				}
				seen[it.ID] = true
				textless = textless || it.Text == ""
				if len(it.Options) == 0 {
					t.Errorf("item %s has no options", it.ID)
				}
				if it.Scored {
					max += slices.MaxFunc(it.Options, func(x, y Option) int { return x.Value - y.Value }).Value
				}
			}
			if textless != inst.ItemTextFromPractice {
				t.Errorf("some item without text = %v, ItemTextFromPractice = %v; want equal", textless, inst.ItemTextFromPractice)
			}
			if inst.Ready() == inst.ItemTextFromPractice {
				t.Errorf("Ready() = %v with ItemTextFromPractice %v, want the opposite", inst.Ready(), inst.ItemTextFromPractice)
			}
			if len(inst.Triage) == 0 && max != inst.Max {
				t.Errorf("scored items add up to at most %d, want Max %d", max, inst.Max)
			}
			for _, r := range inst.Triage {
				if !seen[r.Item] {
					t.Errorf("triage rule %+v names no item", r)
				}
			}
			inCluster := map[string]int{}
			for _, c := range inst.Clusters {
				for _, id := range c.Items {
					inCluster[id]++
				}
			}
			if len(inst.Clusters) > 0 && len(inCluster) != len(inst.Items) {
				t.Errorf("clusters hold %d items, want all %d", len(inCluster), len(inst.Items))
			}
			for id, n := range inCluster {
				if !seen[id] || n != 1 {
					t.Errorf("cluster item %s: in %d clusters, item exists %v; want 1, true", id, n, seen[id])
				}
			}
		})
	}
}

func checkItems(t *testing.T, inst Instrument, want []struct{ text, loinc string }) {
	t.Helper()
	scored := slices.DeleteFunc(slices.Clone(inst.Items), func(it Item) bool { return !it.Scored })
	if len(scored) != len(want) {
		t.Fatalf("%s has %d scored items, want %d", inst.ID, len(scored), len(want))
	}
	for i, it := range scored {
		if it.ID != fmt.Sprintf("%s_%d", inst.ID, i+1) {
			t.Errorf("%s item %d id = %q, want %s_%d", inst.ID, i+1, it.ID, inst.ID, i+1)
		}
		if it.Text != want[i].text {
			t.Errorf("%s item %d text =\n%q\nwant\n%q", inst.ID, i+1, it.Text, want[i].text)
		}
		var labels []string
		for j, o := range it.Options {
			if o.Value != j {
				t.Errorf("%s item %d option %d value = %d, want %d", inst.ID, i+1, j, o.Value, j)
			}
			labels = append(labels, o.Label)
		}
		if !slices.Equal(labels, goldenAnswers) {
			t.Errorf("%s item %d options = %q, want %q", inst.ID, i+1, labels, goldenAnswers)
		}
	}
	if inst.Instructions != goldenStem || inst.Notice != goldenFooter {
		t.Errorf("%s stem/notice = %q / %q, want %q / %q", inst.ID, inst.Instructions, inst.Notice, goldenStem, goldenFooter)
	}
}

func TestPublicDomainTextIsVerbatim(t *testing.T) {
	phq9 := mustGet(t, "phq9")
	checkItems(t, phq9, goldenPHQ9)
	for i, it := range phq9.Items[:9] {
		if it.LOINC != goldenPHQ9[i].loinc {
			t.Errorf("phq9_%d LOINC = %q, want %q", i+1, it.LOINC, goldenPHQ9[i].loinc)
		}
	}
	d := phq9.Items[9]
	var labels []string
	for _, o := range d.Options {
		labels = append(labels, o.Label)
	}
	if d.ID != "phq9_difficulty" || d.Text != goldenDifficulty || d.LOINC != goldenDifficultyLOINC || d.Scored || !slices.Equal(labels, goldenDifficultyOptions) {
		t.Errorf("difficulty item = %+v, want id phq9_difficulty, text %q, LOINC %s, unscored, options %q", d, goldenDifficulty, goldenDifficultyLOINC, goldenDifficultyOptions)
	}
	if phq9.LOINCPanel != "44249-1" || phq9.LOINCTotal != "44261-6" {
		t.Errorf("PHQ-9 LOINC panel/total = %s/%s, want 44249-1/44261-6", phq9.LOINCPanel, phq9.LOINCTotal)
	}

	gad7 := mustGet(t, "gad7")
	checkItems(t, gad7, goldenGAD7)
	for i, it := range gad7.Items {
		if it.LOINC != goldenGAD7[i].loinc {
			t.Errorf("gad7_%d LOINC = %q, want %q", i+1, it.LOINC, goldenGAD7[i].loinc)
		}
	}
	if gad7.LOINCPanel != "69737-5" || gad7.LOINCTotal != "70274-6" {
		t.Errorf("GAD-7 LOINC panel/total = %s/%s, want 69737-5/70274-6", gad7.LOINCPanel, gad7.LOINCTotal)
	}

	checkItems(t, mustGet(t, "phq2"), goldenPHQ9[:2])
	checkItems(t, mustGet(t, "gad2"), goldenGAD7[:2])
	if got := mustGet(t, "phq2").LOINCTotal; got != "55758-7" {
		t.Errorf("PHQ-2 total LOINC = %q, want 55758-7", got)
	}
}

func TestItem9IsTheOnlyRiskItem(t *testing.T) {
	for _, inst := range All() {
		for _, it := range inst.Items {
			if want := it.ID == "phq9_9"; it.Risk != want {
				t.Errorf("%s Risk = %v, want %v", it.ID, it.Risk, want)
			}
		}
	}
}

func TestScoreBands(t *testing.T) {
	for _, tc := range []struct {
		id    string
		total int
		band  string
		level int
	}{
		{"phq9", 0, "Minimal", 0},
		{"phq9", 4, "Minimal", 0},
		{"phq9", 5, "Mild", 1},
		{"phq9", 9, "Mild", 1},
		{"phq9", 10, "Moderate", 2},
		{"phq9", 14, "Moderate", 2},
		{"phq9", 15, "Moderately severe", 3},
		{"phq9", 19, "Moderately severe", 3},
		{"phq9", 20, "Severe", 4},
		{"phq9", 27, "Severe", 4},
		{"gad7", 0, "Minimal", 0},
		{"gad7", 4, "Minimal", 0},
		{"gad7", 5, "Mild", 1},
		{"gad7", 9, "Mild", 1},
		{"gad7", 10, "Moderate", 2},
		{"gad7", 14, "Moderate", 2},
		{"gad7", 15, "Severe", 4},
		{"gad7", 21, "Severe", 4},
		{"phq2", 0, "Negative screen", 0},
		{"phq2", 2, "Negative screen", 0},
		{"phq2", 3, "Positive screen: give the PHQ-9", 2},
		{"phq2", 6, "Positive screen: give the PHQ-9", 2},
		{"gad2", 0, "Negative screen", 0},
		{"gad2", 2, "Negative screen", 0},
		{"gad2", 3, "Positive screen: give the GAD-7", 2},
		{"gad2", 6, "Positive screen: give the GAD-7", 2},
		{"pcl5", 0, "Below the provisional PTSD cut-off", 0},
		{"pcl5", 32, "Below the provisional PTSD cut-off", 0},
		{"pcl5", 33, "At or above the provisional PTSD cut-off", 3},
		{"pcl5", 80, "At or above the provisional PTSD cut-off", 3},
	} {
		t.Run(fmt.Sprintf("%s/%d", tc.id, tc.total), func(t *testing.T) {
			inst := mustGet(t, tc.id)
			got, err := Score(inst, answersFor(t, inst, tc.total))
			if err != nil {
				t.Fatalf("Score(total %d) error = %v, want nil", tc.total, err)
			}
			if got.Total != tc.total || got.Band.Label != tc.band || got.Band.Level != tc.level {
				t.Errorf("Score = total %d band %q level %d, want %d %q %d", got.Total, got.Band.Label, got.Band.Level, tc.total, tc.band, tc.level)
			}
			wantRisk := RiskNone
			if tc.id == "phq9" && tc.total > 24 {
				wantRisk = RiskPositive // item 9 is filled last
			}
			if got.Risk != wantRisk {
				t.Errorf("Risk = %q, want %q", got.Risk, wantRisk)
			}
			if wantPos := inst.Cutoff > 0 && tc.total >= inst.Cutoff; got.Positive != wantPos {
				t.Errorf("Positive = %v, want %v", got.Positive, wantPos)
			}
			if tc.id != "pcl5" && (got.Probable || got.Clusters != nil) {
				t.Errorf("Probable/Clusters = %v/%v, want false/nil outside PCL-5", got.Probable, got.Clusters)
			}
		})
	}
}

func TestPHQ9Item9(t *testing.T) {
	inst := mustGet(t, "phq9")
	for _, tc := range []struct {
		name  string
		a     Answers
		total int
		risk  RiskLevel
	}{
		{"item 9 = 1, all else 0", Answers{"phq9_1": 0, "phq9_2": 0, "phq9_3": 0, "phq9_4": 0, "phq9_5": 0, "phq9_6": 0, "phq9_7": 0, "phq9_8": 0, "phq9_9": 1}, 1, RiskPositive},
		{"item 9 = 3, all else 0", Answers{"phq9_1": 0, "phq9_2": 0, "phq9_3": 0, "phq9_4": 0, "phq9_5": 0, "phq9_6": 0, "phq9_7": 0, "phq9_8": 0, "phq9_9": 3}, 3, RiskPositive},
		{"item 9 = 0, severe total", Answers{"phq9_1": 3, "phq9_2": 3, "phq9_3": 3, "phq9_4": 3, "phq9_5": 3, "phq9_6": 3, "phq9_7": 3, "phq9_8": 3, "phq9_9": 0}, 24, RiskNone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Score(inst, tc.a)
			if err != nil {
				t.Fatalf("Score error = %v, want nil", err)
			}
			if got.Total != tc.total || got.Risk != tc.risk {
				t.Errorf("Score = total %d risk %q, want %d %q", got.Total, got.Risk, tc.total, tc.risk)
			}
			if got.Risk.Alert() != (tc.risk == RiskPositive) {
				t.Errorf("Risk.Alert() = %v, want %v", got.Risk.Alert(), tc.risk == RiskPositive)
			}
		})
	}
}

func TestDifficultyItemIsUnscoredAndOptional(t *testing.T) {
	inst := mustGet(t, "phq9")
	a := answersFor(t, inst, 7)
	without, err := Score(inst, a)
	if err != nil {
		t.Fatalf("Score without the difficulty item error = %v, want nil", err)
	}
	a["phq9_difficulty"] = 3
	with, err := Score(inst, a)
	if err != nil {
		t.Fatalf("Score with difficulty 3 error = %v, want nil", err)
	}
	if without.Total != 7 || with.Total != 7 {
		t.Errorf("totals without/with difficulty = %d/%d, want 7/7", without.Total, with.Total)
	}
	a["phq9_difficulty"] = 4
	_, err = Score(inst, a)
	var ve *ValidationError
	if !errors.As(err, &ve) || !maps.Equal(ve.Fields, map[string]string{"phq9_difficulty": "That answer is not one of the choices."}) {
		t.Errorf("Score with difficulty 4 error = %v, want the difficulty item refused", err)
	}
}

func TestScoreRefuses(t *testing.T) {
	phq9 := mustGet(t, "phq9")
	risk := mustGet(t, "risk")
	full := answersFor(t, phq9, 12)
	with := func(base Answers, changes map[string]int, drop ...string) Answers {
		a := maps.Clone(base)
		maps.Copy(a, changes)
		for _, id := range drop {
			delete(a, id)
		}
		return a
	}
	allMissing := map[string]string{}
	for i := 1; i <= 9; i++ {
		allMissing[fmt.Sprintf("phq9_%d", i)] = "Choose an answer."
	}
	for _, tc := range []struct {
		name string
		inst Instrument
		a    Answers
		want map[string]string
	}{
		{"nothing answered", phq9, Answers{}, allMissing},
		{"nil answers", phq9, nil, allMissing},
		{"item 3 missing", phq9, with(full, nil, "phq9_3"), map[string]string{"phq9_3": "Choose an answer."}},
		{"item 1 = 4", phq9, with(full, map[string]int{"phq9_1": 4}), map[string]string{"phq9_1": "That answer is not one of the choices."}},
		{"item 9 = -1", phq9, with(full, map[string]int{"phq9_9": -1}), map[string]string{"phq9_9": "That answer is not one of the choices."}},
		{"unknown id", phq9, with(full, map[string]int{"phq9_10": 0}), map[string]string{"phq9_10": "That question is not part of this form."}},
		{"a GAD-7 answer on a PHQ-9", phq9, with(full, map[string]int{"gad7_1": 1}), map[string]string{"gad7_1": "That question is not part of this form."}},
		{"several at once", phq9, with(full, map[string]int{"phq9_2": 9, "x": 1}, "phq9_8"), map[string]string{
			"phq9_2": "That answer is not one of the choices.", "phq9_8": "Choose an answer.", "x": "That question is not part of this form.",
		}},
		{"risk: item 6 yes, recency missing", risk, Answers{"risk_1": 0, "risk_2": 0, "risk_6": 1}, map[string]string{"risk_6_recent": "Choose an answer."}},
		{"risk: item 2 yes, 3-5 missing", risk, Answers{"risk_1": 1, "risk_2": 1, "risk_6": 0}, map[string]string{
			"risk_3": "Choose an answer.", "risk_4": "Choose an answer.", "risk_5": "Choose an answer.",
		}},
		{"risk: item 4 answered after item 2 no, item 6 missing", risk, Answers{"risk_1": 0, "risk_2": 0, "risk_4": 1}, map[string]string{
			"risk_6": "Choose an answer.",
		}},
		{"risk: answer 2", risk, Answers{"risk_1": 2, "risk_2": 0, "risk_6": 0}, map[string]string{"risk_1": "That answer is not one of the choices."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Score(tc.inst, tc.a)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Score error = %v, want a *ValidationError", err)
			}
			if !maps.Equal(ve.Fields, tc.want) {
				t.Errorf("Fields = %v, want %v", ve.Fields, tc.want)
			}
			if !reflect.DeepEqual(got, Result{}) {
				t.Errorf("Result = %+v, want zero", got)
			}
		})
	}
}

func TestValidationErrorMessage(t *testing.T) {
	e := &ValidationError{Fields: map[string]string{"phq9_2": "Choose an answer.", "phq9_10": "That question is not part of this form."}}
	want := "measure: phq9_10: That question is not part of this form.; phq9_2: Choose an answer."
	if got := e.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestScoreWithBrokenBands(t *testing.T) {
	inst := mustGet(t, "phq2")
	inst.Bands = inst.Bands[:1]
	_, err := Score(inst, Answers{"phq2_1": 3, "phq2_2": 3})
	var ve *ValidationError
	if err == nil || errors.As(err, &ve) {
		t.Errorf("Score with no band for 6 error = %v, want a non-validation error", err)
	}
}

func TestRiskScreen(t *testing.T) {
	inst := mustGet(t, "risk")
	for _, tc := range []struct {
		name  string
		a     Answers
		asked []string // the order Next asks, answering from a
		level RiskLevel
		band  string
		alert bool
	}{
		{"all no", Answers{"risk_1": 0, "risk_2": 0, "risk_6": 0},
			[]string{"risk_1", "risk_2", "risk_6"}, RiskNone, "No risk identified", false},
		{"wish to be dead only", Answers{"risk_1": 1, "risk_2": 0, "risk_6": 0},
			[]string{"risk_1", "risk_2", "risk_6"}, RiskLow, "Low risk", true},
		{"active thoughts, no method, intent or plan", Answers{"risk_1": 1, "risk_2": 1, "risk_3": 0, "risk_4": 0, "risk_5": 0, "risk_6": 0},
			[]string{"risk_1", "risk_2", "risk_3", "risk_4", "risk_5", "risk_6"}, RiskLow, "Low risk", true},
		{"thoughts of method", Answers{"risk_1": 1, "risk_2": 1, "risk_3": 1, "risk_4": 0, "risk_5": 0, "risk_6": 0},
			[]string{"risk_1", "risk_2", "risk_3", "risk_4", "risk_5", "risk_6"}, RiskModerate, "Moderate risk", true},
		{"intent without plan", Answers{"risk_1": 1, "risk_2": 1, "risk_3": 0, "risk_4": 1, "risk_5": 0, "risk_6": 0},
			[]string{"risk_1", "risk_2", "risk_3", "risk_4", "risk_5", "risk_6"}, RiskHigh, "High risk", true},
		{"plan with intent", Answers{"risk_1": 1, "risk_2": 1, "risk_3": 1, "risk_4": 0, "risk_5": 1, "risk_6": 0},
			[]string{"risk_1", "risk_2", "risk_3", "risk_4", "risk_5", "risk_6"}, RiskHigh, "High risk", true},
		{"behaviour more than 3 months ago", Answers{"risk_1": 0, "risk_2": 0, "risk_6": 1, "risk_6_recent": 0},
			[]string{"risk_1", "risk_2", "risk_6", "risk_6_recent"}, RiskModerate, "Moderate risk", true},
		{"behaviour within 3 months", Answers{"risk_1": 0, "risk_2": 0, "risk_6": 1, "risk_6_recent": 1},
			[]string{"risk_1", "risk_2", "risk_6", "risk_6_recent"}, RiskHigh, "High risk", true},
		{"wish to be dead and old behaviour: the highest wins", Answers{"risk_1": 1, "risk_2": 0, "risk_6": 1, "risk_6_recent": 0},
			[]string{"risk_1", "risk_2", "risk_6", "risk_6_recent"}, RiskModerate, "Moderate risk", true},
		{"everything yes", Answers{"risk_1": 1, "risk_2": 1, "risk_3": 1, "risk_4": 1, "risk_5": 1, "risk_6": 1, "risk_6_recent": 1},
			[]string{"risk_1", "risk_2", "risk_3", "risk_4", "risk_5", "risk_6", "risk_6_recent"}, RiskHigh, "High risk", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var asked []string
			so := Answers{}
			for id := Next(inst, so); id != ""; id = Next(inst, so) {
				if len(asked) > len(inst.Items) {
					t.Fatalf("Next keeps asking: %v", asked)
				}
				asked = append(asked, id)
				so[id] = tc.a[id]
			}
			if !slices.Equal(asked, tc.asked) {
				t.Errorf("Next asked %v, want %v", asked, tc.asked)
			}
			got, err := Score(inst, tc.a)
			if err != nil {
				t.Fatalf("Score error = %v, want nil", err)
			}
			if got.Risk != tc.level || got.Band.Label != tc.band || got.Total != tc.level.rank() {
				t.Errorf("Score = risk %q band %q total %d, want %q %q %d", got.Risk, got.Band.Label, got.Total, tc.level, tc.band, tc.level.rank())
			}
			if got.Risk.Alert() != tc.alert {
				t.Errorf("Risk.Alert() = %v, want %v", got.Risk.Alert(), tc.alert)
			}
		})
	}
}

func TestNextPHQ9(t *testing.T) {
	inst := mustGet(t, "phq9")
	for _, tc := range []struct {
		name string
		a    Answers
		want string
	}{
		{"nothing answered", Answers{}, "phq9_1"},
		{"first two answered", Answers{"phq9_1": 0, "phq9_2": 1}, "phq9_3"},
		{"a gap is asked first", Answers{"phq9_1": 0, "phq9_3": 1}, "phq9_2"},
		{"all scored answered: the difficulty item", answersFor(t, inst, 5), "phq9_difficulty"},
		{"complete", func() Answers { a := answersFor(t, inst, 5); a["phq9_difficulty"] = 0; return a }(), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Next(inst, tc.a); got != tc.want {
				t.Errorf("Next = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestScoreKeepsSkippedAnswers: an answer to a question the branching
// would have skipped is neither refused nor dropped: it counts (defect 1:
// Q1 yes, Q2 no, Q5 yes is high, not low).
func TestScoreKeepsSkippedAnswers(t *testing.T) {
	inst := mustGet(t, "risk")
	for _, tc := range []struct {
		name string
		a    Answers
		want RiskLevel
	}{
		{"Q1 yes, Q2 no, Q5 yes", Answers{"risk_1": 1, "risk_2": 0, "risk_5": 1, "risk_6": 0}, RiskHigh},
		{"Q2 no, Q3 yes", Answers{"risk_1": 0, "risk_2": 0, "risk_3": 1, "risk_6": 0}, RiskModerate},
		{"Q6 no, recent yes", Answers{"risk_1": 0, "risk_2": 0, "risk_6": 0, "risk_6_recent": 1}, RiskHigh},
		{"Q2 no, Q3-5 no", Answers{"risk_1": 0, "risk_2": 0, "risk_3": 0, "risk_4": 0, "risk_5": 0, "risk_6": 0}, RiskNone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Score(inst, tc.a)
			if err != nil || r.Risk != tc.want || r.Total != tc.want.rank() {
				t.Errorf("Score = %q total %d, %v; want %q, nil", r.Risk, r.Total, err, tc.want)
			}
		})
	}
}

func pclAnswers(values map[int]int) Answers {
	a := Answers{}
	for i := 1; i <= 20; i++ {
		a[fmt.Sprintf("pcl5_%d", i)] = values[i]
	}
	return a
}

func TestPCL5(t *testing.T) {
	inst := mustGet(t, "pcl5")
	allFour := map[int]int{}
	for i := 1; i <= 20; i++ {
		allFour[i] = 4
	}
	for _, tc := range []struct {
		name     string
		values   map[int]int
		total    int
		clusters map[string]bool
		probable bool
	}{
		{"all zero", nil, 0, map[string]bool{"B": false, "C": false, "D": false, "E": false}, false},
		{"all four", allFour, 80, map[string]bool{"B": true, "C": true, "D": true, "E": true}, true},
		// The minimal cluster pattern (1 B, 1 C, 2 D, 2 E at 2) with the other
		// items at 1, which does not count as endorsed.
		{"clusters met, total 26 below the cut-off", map[int]int{1: 2, 6: 2, 8: 2, 9: 2, 15: 2, 16: 2,
			2: 1, 3: 1, 4: 1, 5: 1, 7: 1, 10: 1, 11: 1, 12: 1, 13: 1, 14: 1, 17: 1, 18: 1, 19: 1, 20: 1,
		}, 26, map[string]bool{"B": true, "C": true, "D": true, "E": true}, false},
		{"clusters met, total 32", map[int]int{1: 4, 6: 4, 8: 4, 9: 4, 15: 4, 16: 4, 2: 1, 3: 1, 4: 1, 5: 1, 7: 1, 10: 1, 11: 1, 12: 1},
			32, map[string]bool{"B": true, "C": true, "D": true, "E": true}, false},
		{"clusters met, total 33 exactly", map[int]int{1: 4, 6: 4, 8: 4, 9: 4, 15: 4, 16: 4, 2: 1, 3: 1, 4: 1, 5: 1, 7: 1, 10: 1, 11: 1, 12: 1, 13: 1},
			33, map[string]bool{"B": true, "C": true, "D": true, "E": true}, true},
		{"high total, no C item at 2", map[int]int{1: 4, 2: 4, 3: 4, 4: 4, 5: 4, 6: 1, 7: 1, 8: 4, 9: 4, 10: 4, 15: 4, 16: 4},
			42, map[string]bool{"B": true, "C": false, "D": true, "E": true}, false},
		{"high total, one D item only", map[int]int{1: 4, 2: 4, 3: 4, 6: 4, 7: 4, 8: 4, 9: 1, 10: 1, 15: 4, 16: 4, 17: 4},
			38, map[string]bool{"B": true, "C": true, "D": false, "E": true}, false},
		{"high total, one E item only", map[int]int{1: 4, 2: 4, 3: 4, 6: 4, 7: 4, 8: 4, 9: 4, 10: 4, 15: 4, 16: 1},
			37, map[string]bool{"B": true, "C": true, "D": true, "E": false}, false},
		{"high total, B only at 1", map[int]int{1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 4, 7: 4, 8: 4, 9: 4, 10: 4, 15: 4, 16: 4, 17: 4},
			37, map[string]bool{"B": false, "C": true, "D": true, "E": true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Score(inst, pclAnswers(tc.values))
			if err != nil {
				t.Fatalf("Score error = %v, want nil", err)
			}
			if got.Total != tc.total || got.Probable != tc.probable || !maps.Equal(got.Clusters, tc.clusters) {
				t.Errorf("Score = total %d probable %v clusters %v, want %d %v %v", got.Total, got.Probable, got.Clusters, tc.total, tc.probable, tc.clusters)
			}
			if got.Positive != (tc.total >= 33) {
				t.Errorf("Positive = %v at total %d, want %v", got.Positive, tc.total, tc.total >= 33)
			}
		})
	}
}

func TestWithPracticeText(t *testing.T) {
	risk := mustGet(t, "risk")
	text := map[string]string{}
	for _, it := range risk.Items {
		text[it.ID] = "Practice wording for " + it.ID + " "
	}
	got, err := WithPracticeText(risk, "Practice stem", text)
	if err != nil {
		t.Fatalf("WithPracticeText error = %v, want nil", err)
	}
	if !got.Ready() || got.Instructions != "Practice stem" || got.Items[0].Text != "Practice wording for risk_1" {
		t.Errorf("WithPracticeText = ready %v, stem %q, first text %q; want true, %q, %q", got.Ready(), got.Instructions, got.Items[0].Text, "Practice stem", "Practice wording for risk_1")
	}
	if mustGet(t, "risk").Ready() {
		t.Errorf("WithPracticeText changed the shipped risk screen")
	}

	partial := maps.Clone(text)
	delete(partial, "risk_6_recent")
	extra := maps.Clone(text)
	extra["risk_7"] = "x"
	for _, tc := range []struct {
		name string
		inst Instrument
		text map[string]string
		want string
	}{
		{"missing an item", risk, partial, "needs text for risk_6_recent"},
		{"unknown item", risk, extra, "has no item risk_7"},
		{"blank text", risk, map[string]string{"risk_1": " "}, "needs text for risk_1"},
		{"public-domain wording", mustGet(t, "phq9"), map[string]string{"phq9_1": "x"}, "may not be replaced"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := WithPracticeText(tc.inst, "", tc.text)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("WithPracticeText error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestThresholdsFor(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want Thresholds
		ok   bool
	}{
		{"phq9", Thresholds{Remission: 5, ReliableChange: 6, Caseness: 10, ResponseFraction: 0.5}, true},
		{"gad7", Thresholds{Remission: 5, ReliableChange: 4, Caseness: 8, ResponseFraction: 0.5}, true},
		{"phq2", Thresholds{}, false},
		{"pcl5", Thresholds{}, false},
		{"risk", Thresholds{}, false},
	} {
		got, ok := ThresholdsFor(tc.id)
		if ok && got.Source == "" {
			t.Errorf("ThresholdsFor(%q) Source is empty, want one", tc.id)
		}
		got.Source = ""
		if got != tc.want || ok != tc.ok {
			t.Errorf("ThresholdsFor(%q) = %+v, %v; want %+v, %v", tc.id, got, ok, tc.want, tc.ok)
		}
	}
}

var day0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func series(totals ...int) []Point {
	s := make([]Point, len(totals))
	for i, v := range totals {
		s[i] = Point{At: day0.AddDate(0, 0, 7*i), Total: v}
	}
	return s
}

func TestOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		id     string
		series []Point
		want   Outcome
	}{
		{"PHQ-9 response exactly 50%, 20 to 10", "phq9", series(20, 15, 10), Outcome{
			Baseline: 20, Latest: 10, Change: -10, Points: 3, Response: true, ReliableImprovement: true,
			CaseBaseline: true, CaseLatest: true, PercentChange: -0.5}},
		{"PHQ-9 just short of 50%, 15 to 8", "phq9", series(15, 8), Outcome{
			Baseline: 15, Latest: 8, Change: -7, Points: 2, ReliableImprovement: true,
			CaseBaseline: true, Recovery: true, PercentChange: -7.0 / 15}},
		{"PHQ-9 odd baseline, 15 to 7 is a response", "phq9", series(15, 7), Outcome{
			Baseline: 15, Latest: 7, Change: -8, Points: 2, Response: true, ReliableImprovement: true,
			CaseBaseline: true, Recovery: true, PercentChange: -8.0 / 15}},
		{"PHQ-9 remission at 4", "phq9", series(12, 4), Outcome{
			Baseline: 12, Latest: 4, Change: -8, Points: 2, Response: true, Remission: true, ReliableImprovement: true,
			CaseBaseline: true, Recovery: true, PercentChange: -8.0 / 12}},
		{"PHQ-9 no remission at 5", "phq9", series(12, 5), Outcome{
			Baseline: 12, Latest: 5, Change: -7, Points: 2, Response: true, ReliableImprovement: true,
			CaseBaseline: true, Recovery: true, PercentChange: -7.0 / 12}},
		{"PHQ-9 reliable improvement exactly 6, 16 to 10: still a case", "phq9", series(16, 10), Outcome{
			Baseline: 16, Latest: 10, Change: -6, Points: 2, ReliableImprovement: true,
			CaseBaseline: true, CaseLatest: true, PercentChange: -6.0 / 16}},
		{"PHQ-9 drop of 5 is not reliable, 14 to 9", "phq9", series(14, 9), Outcome{
			Baseline: 14, Latest: 9, Change: -5, Points: 2, CaseBaseline: true, PercentChange: -5.0 / 14}},
		{"PHQ-9 reliable deterioration exactly 6", "phq9", series(8, 11, 14), Outcome{
			Baseline: 8, Latest: 14, Change: 6, Points: 3, ReliableDeterioration: true,
			CaseLatest: true, PercentChange: 0.75}},
		{"PHQ-9 rise of 5 is not reliable", "phq9", series(8, 13), Outcome{
			Baseline: 8, Latest: 13, Change: 5, Points: 2, CaseLatest: true, PercentChange: 5.0 / 8}},
		{"PHQ-9 baseline of zero: below caseness, no remission", "phq9", series(0, 0), Outcome{
			Points: 2}},
		{"PHQ-9 baseline of zero, then worse", "phq9", series(0, 7), Outcome{
			Latest: 7, Change: 7, Points: 2, ReliableDeterioration: true}},
		{"PHQ-9 caseness boundary 9 to 10", "phq9", series(9, 10), Outcome{
			Baseline: 9, Latest: 10, Change: 1, Points: 2, CaseLatest: true, PercentChange: 1.0 / 9}},
		{"PHQ-9 middle points do not count", "phq9", series(18, 2, 25, 17), Outcome{
			Baseline: 18, Latest: 17, Change: -1, Points: 4, CaseBaseline: true, CaseLatest: true, PercentChange: -1.0 / 18}},
		{"GAD-7 reliable improvement exactly 4 and recovery, 10 to 6", "gad7", series(10, 6), Outcome{
			Baseline: 10, Latest: 6, Change: -4, Points: 2, ReliableImprovement: true,
			CaseBaseline: true, Recovery: true, PercentChange: -0.4}},
		{"GAD-7 drop of 3 is not reliable, 9 to 6", "gad7", series(9, 6), Outcome{
			Baseline: 9, Latest: 6, Change: -3, Points: 2, CaseBaseline: true, PercentChange: -3.0 / 9}},
		{"GAD-7 caseness boundary 8 to 7", "gad7", series(8, 7), Outcome{
			Baseline: 8, Latest: 7, Change: -1, Points: 2, CaseBaseline: true, PercentChange: -1.0 / 8}},
		{"GAD-7 response and remission, 8 to 4", "gad7", series(8, 4), Outcome{
			Baseline: 8, Latest: 4, Change: -4, Points: 2, Response: true, Remission: true, ReliableImprovement: true,
			CaseBaseline: true, Recovery: true, PercentChange: -0.5}},
		{"GAD-7 reliable deterioration exactly 4", "gad7", series(3, 7), Outcome{
			Baseline: 3, Latest: 7, Change: 4, Points: 2, ReliableDeterioration: true, PercentChange: 4.0 / 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Outcomes(tc.id, tc.series)
			if !ok {
				t.Fatalf("Outcomes ok = false, want true")
			}
			if math.Abs(got.PercentChange-tc.want.PercentChange) > 1e-12 {
				t.Errorf("PercentChange = %v, want %v", got.PercentChange, tc.want.PercentChange)
			}
			got.PercentChange, tc.want.PercentChange = 0, 0
			if got != tc.want {
				t.Errorf("Outcomes =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func TestOutcomesNotOK(t *testing.T) {
	for _, tc := range []struct {
		name   string
		id     string
		series []Point
	}{
		{"no points", "phq9", nil},
		{"a single point is a baseline", "phq9", series(14)},
		{"no thresholds for PCL-5", "pcl5", series(50, 20)},
		{"unknown instrument", "madrs", series(30, 10)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, ok := Outcomes(tc.id, tc.series); ok || got != (Outcome{}) {
				t.Errorf("Outcomes = %+v, %v; want zero, false", got, ok)
			}
		})
	}
}

func TestOutcomesSortsByTime(t *testing.T) {
	s := []Point{
		{At: day0.AddDate(0, 0, 14), Total: 6},
		{At: day0, Total: 18},
		{At: day0.AddDate(0, 0, 7), Total: 12},
	}
	before := slices.Clone(s)
	got, ok := Outcomes("phq9", s)
	if !ok || got.Baseline != 18 || got.Latest != 6 || !got.Response {
		t.Errorf("Outcomes(unsorted) = %+v, %v; want baseline 18, latest 6, response", got, ok)
	}
	if !slices.Equal(s, before) {
		t.Errorf("Outcomes reordered its input: %v, want %v", s, before)
	}
	same := []Point{{At: day0, Total: 20}, {At: day0, Total: 3}}
	if got, _ := Outcomes("phq9", same); got.Baseline != 20 || got.Latest != 3 {
		t.Errorf("Outcomes(same time) baseline/latest = %d/%d, want 20/3 (given order kept)", got.Baseline, got.Latest)
	}
}

func TestWilson(t *testing.T) {
	for _, tc := range []struct {
		k, n   int
		lo, hi float64
	}{
		// Hand-computed: centre (p + z²/2n)/(1 + z²/n), half-width
		// z·sqrt(p(1-p)/n + z²/4n²)/(1 + z²/n), z = 1.96.
		{7, 10, 0.396773, 0.892211},
		{0, 10, 0, 0.277540},
		{10, 10, 0.722460, 1},
		{17, 24, 0.508319, 0.850855},
		{1, 1, 0.206543, 1},
		{0, 0, 0, 0},
		{1, 0, 0, 0},
		{-1, 10, 0, 0},
		{11, 10, 0, 0},
	} {
		lo, hi := Wilson(tc.k, tc.n)
		if math.Abs(lo-tc.lo) > 5e-6 || math.Abs(hi-tc.hi) > 5e-6 {
			t.Errorf("Wilson(%d, %d) = %.6f, %.6f; want %.6f, %.6f", tc.k, tc.n, lo, hi, tc.lo, tc.hi)
		}
		if lo < 0 || hi > 1 || lo > hi {
			t.Errorf("Wilson(%d, %d) = %v, %v; want 0 <= lo <= hi <= 1", tc.k, tc.n, lo, hi)
		}
	}
}

func TestLiterature(t *testing.T) {
	if math.Abs(Literature.Rate-0.708) > 0.0005 || Literature.N != 24 {
		t.Errorf("Literature rate/n = %v/%d, want 0.708/24", Literature.Rate, Literature.N)
	}
	for _, want := range []string{"Murrough", "2013", "open-label", "n = 24"} {
		if !strings.Contains(Literature.Citation, want) {
			t.Errorf("Literature.Citation = %q, want it to mention %q", Literature.Citation, want)
		}
	}
	if !strings.Contains(Literature.Caveat, "open-label") {
		t.Errorf("Literature.Caveat = %q, want it to say the study was open-label", Literature.Caveat)
	}
}

func BenchmarkScore(b *testing.B) {
	inst := mustGet(b, "phq9")
	a := answersFor(b, inst, 14)
	for b.Loop() {
		if _, err := Score(inst, a); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOutcomes(b *testing.B) {
	s := make([]Point, 52)
	for i := range s {
		s[len(s)-1-i] = Point{At: day0.AddDate(0, 0, 7*i), Total: 20 - i%15}
	}
	for b.Loop() {
		if _, ok := Outcomes("phq9", s); !ok {
			b.Fatal("not ok")
		}
	}
}
