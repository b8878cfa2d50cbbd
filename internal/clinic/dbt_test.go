package clinic

import (
	"strings"
	"testing"
)

func form(kv ...string) Form {
	f := Form{}
	for i := 0; i+1 < len(kv); i += 2 {
		f[kv[i]] = append(f[kv[i]], kv[i+1])
	}
	return f
}

// fieldsOf is the fields err names, joined, or "" for nil.
func fieldsOf(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	e, ok := err.(*Error)
	if !ok || e.Code != EInvalid {
		t.Fatalf("error %v is not a field error", err)
	}
	return strings.Join(sortedKeys(e.Fields), ",")
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	for i := range ks {
		for j := i + 1; j < len(ks); j++ {
			if ks[j] < ks[i] {
				ks[i], ks[j] = ks[j], ks[i]
			}
		}
	}
	return ks
}

func TestParseEmotionLog(t *testing.T) {
	long := strings.Repeat("a", MaxSkillLine+1)
	for _, c := range []struct {
		name string
		f    Form
		want string
	}{
		{"complete", form("feeling", "sad", "intensity", "60", "body", "chest", "message", "I miss her", "validation", "It makes sense"), ""},
		{"only the needed", form("feeling", "numb", "intensity", "0"), ""},
		{"no feeling", form("intensity", "10"), "feeling"},
		{"a word not on the list", form("feeling", "meh", "intensity", "10"), "feeling"},
		{"no intensity", form("feeling", "sad"), "intensity"},
		{"intensity not a number", form("feeling", "sad", "intensity", "lots"), "intensity"},
		{"intensity too high", form("feeling", "sad", "intensity", "101"), "intensity"},
		{"intensity below 0", form("feeling", "sad", "intensity", "-1"), "intensity"},
		{"body too long", form("feeling", "sad", "intensity", "5", "body", long), "body"},
		{"body on two lines", form("feeling", "sad", "intensity", "5", "body", "a\nb"), "body"},
		{"message with a control character", form("feeling", "sad", "intensity", "5", "message", "a\x00b"), "message"},
		{"validation too long", form("feeling", "sad", "intensity", "5", "validation", strings.Repeat("b", MaxSkillText+1)), "validation"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, err := ParseEmotionLog(c.f)
			if got := fieldsOf(t, err); got != c.want {
				t.Errorf("fields = %q, want %q", got, c.want)
			}
			if c.want == "" && e.Feeling != c.f["feeling"][0] {
				t.Errorf("feeling = %q", e.Feeling)
			}
		})
	}
}

func TestParseCopeAhead(t *testing.T) {
	today := "2026-12-03"
	for _, c := range []struct {
		name  string
		f     Form
		isNew bool
		want  string
	}{
		{"complete", form("situation", "Family dinner", "on", "2026-12-24", "hard", "My uncle", "skills", "Paced breathing", "rehearsal", "I step outside", "call", "Sam"), true, ""},
		{"today", form("situation", "Work review", "on", today), true, ""},
		{"no situation", form("on", "2026-12-24"), true, "situation"},
		{"situation on two lines", form("situation", "a\nb", "on", "2026-12-24"), true, "situation"},
		{"no day", form("situation", "Dinner"), true, "on"},
		{"not a date", form("situation", "Dinner", "on", "24/12/2026"), true, "on"},
		{"a day passed, new", form("situation", "Dinner", "on", "2026-12-01"), true, "on"},
		{"a day passed, edited later", form("situation", "Dinner", "on", "2026-12-01"), false, ""},
		{"who to call on two lines", form("situation", "Dinner", "on", "2026-12-24", "call", "a\nb"), true, "call"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseCopeAhead(c.f, today, c.isNew)
			if got := fieldsOf(t, err); got != c.want {
				t.Errorf("fields = %q, want %q", got, c.want)
			}
		})
	}
}

func TestParseFourOptions(t *testing.T) {
	for _, c := range []struct {
		name string
		f    Form
		want string
	}{
		{"complete", form("problem", "My landlord", "choice", "solve", "first_step", "Write to him"), ""},
		{"stuck, no step", form("problem", "My landlord", "choice", "stuck"), ""},
		{"no problem", form("choice", "accept"), "problem"},
		{"no choice", form("problem", "x"), "choice"},
		{"unknown choice", form("problem", "x", "choice", "run"), "choice"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseFourOptions(c.f)
			if got := fieldsOf(t, err); got != c.want {
				t.Errorf("fields = %q, want %q", got, c.want)
			}
		})
	}
}

func TestParseDiaryCard(t *testing.T) {
	today := "2026-12-03"
	urges := DefaultDiaryUrges
	for _, c := range []struct {
		name string
		f    Form
		want string
	}{
		{"complete", form("day", today, "emotion_sadness", "3", "emotion_joy", "1", "urge_self_harm", "2", "acted_self_harm", "no", "urge_substance", "4", "acted_substance", "yes", "skill", "wise_mind", "skill", "tipp", "sleep", "6.5", "note", "A long day"), ""},
		{"only the day", form("day", "2026-12-01"), ""},
		{"no day", form(), "day"},
		{"not a date", form("day", "tomorrow"), "day"},
		{"a day to come", form("day", "2026-12-04"), "day"},
		{"emotion above 5", form("day", today, "emotion_fear", "6"), "emotion_fear"},
		{"urge not a number", form("day", today, "urge_suicide", "x"), "urge_suicide"},
		{"acted neither yes nor no", form("day", today, "acted_suicide", "maybe"), "acted_suicide"},
		{"unknown skill", form("day", today, "skill", "flying"), "skill"},
		{"sleep above 24", form("day", today, "sleep", "25"), "sleep"},
		{"sleep below 0", form("day", today, "sleep", "-1"), "sleep"},
		{"sleep not a number", form("day", today, "sleep", "NaN"), "sleep"},
		{"note with a control character", form("day", today, "note", "\x1b"), "note"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseDiaryCard(c.f, urges, today)
			if got := fieldsOf(t, err); got != c.want {
				t.Errorf("fields = %q, want %q", got, c.want)
			}
		})
	}
	card, err := ParseDiaryCard(form("day", today, "urge_substance", "4", "acted_substance", "yes", "urge_alcohol", "5", "skill", "tipp", "skill", "tipp", "sleep", "7.4"), urges, today)
	if err != nil {
		t.Fatal(err)
	}
	if len(card.Urges) != 3 || card.Urges[2].ID != "substance" || card.Urges[2].Level != 4 || !card.Urges[2].Acted || card.Urges[0].Acted {
		t.Errorf("urges = %+v, want the card's three, substance 4 acted (an urge not on the card left out)", card.Urges)
	}
	if len(card.Skills) != 1 || card.Sleep == nil || *card.Sleep != 7.5 {
		t.Errorf("skills %v sleep %v, want one skill and 7.5 hours (to the quarter hour)", card.Skills, card.Sleep)
	}
}

func TestDiaryUrges(t *testing.T) {
	if err := CheckDiaryUrges(DefaultDiaryUrges); err != nil {
		t.Errorf("defaults: %v", err)
	}
	if fieldsOf(t, CheckDiaryUrges(nil)) != "urges" || fieldsOf(t, CheckDiaryUrges([]string{"self_harm", "nope"})) != "urges" {
		t.Error("an empty or unknown choice of urges was accepted")
	}
	if got := UrgeOptions([]string{"suicide", "nope", "suicide", "alcohol"}); len(got) != 2 || got[0].ID != "suicide" || got[1].ID != "alcohol" {
		t.Errorf("UrgeOptions = %v", got)
	}
}

func TestSkillTitle(t *testing.T) {
	for _, c := range []struct {
		kind string
		e    any
		want string
	}{
		{SkillEmotion, EmotionLog{Feeling: "sad", Intensity: 40}, "Feeling sad (40 of 100)"},
		{SkillCopeAhead, CopeAhead{Situation: "Dinner  with\nfamily"}, "Cope ahead: Dinner with family"},
		{SkillOptions, FourOptions{Problem: strings.Repeat("x", 70)}, "Four options: " + strings.Repeat("x", 60) + "…"},
		{SkillDiary, DiaryCard{Day: "2026-12-03"}, "Diary card for Thursday, December 3"},
		{SkillDiary, DiaryCard{Day: "?"}, "Diary card"},
		{SkillDiary, nil, "Diary card"},
	} {
		if got := SkillTitle(c.kind, c.e); got != c.want {
			t.Errorf("SkillTitle(%v) = %q, want %q", c.e, got, c.want)
		}
	}
	if _, ok := SkillKindOf("nope"); ok {
		t.Error("an unknown kind was found")
	}
	if OptionLabel(ProblemOptions, "accept") != "Tolerate it and accept it" || OptionLabel(ProblemOptions, "x") != "x" {
		t.Error("OptionLabel")
	}
}

func TestDiaryCardHarmUrges(t *testing.T) {
	for _, c := range []struct {
		name  string
		urges []DiaryUrge
		want  bool
	}{
		{"none", nil, false},
		{"all zero", []DiaryUrge{{ID: "self_harm"}, {ID: "suicide"}, {ID: "substance", Level: 5, Acted: true}}, false},
		{"self-harm rated", []DiaryUrge{{ID: "self_harm", Level: 1}}, true},
		{"suicide rated", []DiaryUrge{{ID: "suicide", Level: 5}}, true},
		{"self-harm acted on at 0", []DiaryUrge{{ID: "self_harm", Acted: true}}, true},
		{"suicide acted on at 0", []DiaryUrge{{ID: "suicide", Acted: true}}, true},
		{"other urges only", []DiaryUrge{{ID: "isolate", Level: 4}, {ID: "lash_out", Level: 2, Acted: true}}, false},
	} {
		if got := (DiaryCard{Urges: c.urges}).HarmUrges(); got != c.want {
			t.Errorf("%s: HarmUrges = %v, want %v", c.name, got, c.want)
		}
	}
}
