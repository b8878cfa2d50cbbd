package shell

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/screening"
)

// FuzzIntakeForm decodes any intake form body as the intake page does
// (IntakeFromForm over the parsed body), validates it as the store does,
// and screens what was accepted. It checks decoding keeps exactly the
// known questions' answers and the medication lines sent (at most
// MaxMedications+5 of them, in order), that validation refuses only with
// field messages, and that an accepted intake's answers are yes, no,
// unsure or blank and screen without surprises.
func FuzzIntakeForm(f *testing.F) {
	f.Add("q_psychosis_history=yes&q_suicidal_now=unsure&med_name_0=xanax&med_dose_0=1mg&med_frequency_0=prn&allergies=none&goals=sleep", false)
	f.Add("q_psychosis_history=maybe&q_unknown=yes&med_name_40=x&med_dose_3=&med_name_3=%0D%0A&goals="+strings.Repeat("a", 4001), true)
	f.Add("med_name_0=a&med_name_0=b&med_name_00=c&med_name_-1=d&med_name_+1=e&med_name_1%00=f", false)
	f.Add("%zz&q_pregnant=no;x=1&&=", true)
	f.Add("med_name_34=last&med_name_35=beyond", false)
	ids := make([]string, 0, len(screening.Questions()))
	for _, q := range screening.Questions() {
		ids = append(ids, q.ID)
	}
	f.Fuzz(func(t *testing.T, body string, complete bool) {
		form, _ := url.ParseQuery(body) // net/http keeps what parsed of a malformed body
		in := IntakeFromForm(form)
		for _, id := range ids {
			if v := form.Get("q_" + id); in.Answers[id] != v {
				t.Fatalf("question %s: sent %q, decoded %q", id, v, in.Answers[id])
			}
		}
		if len(in.Answers) > len(ids) {
			t.Fatalf("decoded %d answers for %d questions", len(in.Answers), len(ids))
		}
		want := 0
		for i := 0; i < clinic.MaxMedications+5; i++ {
			n := strconv.Itoa(i)
			if form.Has("med_name_"+n) || form.Has("med_dose_"+n) {
				m := in.Medications[want]
				if m.Name != form.Get("med_name_"+n) || m.Dose != form.Get("med_dose_"+n) || m.Frequency != form.Get("med_frequency_"+n) {
					t.Fatalf("medication line %d decoded as %+v", i, m)
				}
				want++
			}
		}
		if len(in.Medications) != want {
			t.Fatalf("decoded %d medication lines, %d were sent", len(in.Medications), want)
		}
		if in.Goals != form.Get("goals") || in.Allergies != form.Get("allergies") || in.HistoryNotes != form.Get("history_notes") {
			t.Fatal("a text field was not kept as sent")
		}

		err := in.Validate(ids, complete)
		if err != nil {
			if clinic.ErrorCode(err) != clinic.EInvalid {
				t.Fatalf("Validate: %v, not a field error", err)
			}
			return
		}
		sin := screening.Input{Age: 30, Yes: map[string]bool{}, Unsure: map[string]bool{}, Answered: map[string]bool{}}
		for id, v := range in.Answers {
			switch v {
			case "yes":
				sin.Yes[id] = true
			case "unsure":
				sin.Unsure[id] = true
			case "no", "":
			default:
				t.Fatalf("an accepted intake answers %s with %q", id, v)
			}
			if v != "" {
				sin.Answered[id] = true
			}
		}
		if complete && len(sin.Answered) != len(ids) {
			t.Fatalf("a complete intake answers %d of %d questions", len(sin.Answered), len(ids))
		}
		for _, m := range in.Medications {
			sin.Medications = append(sin.Medications, m.Text())
		}
		for _, fl := range screening.Screen(sin) {
			if len(fl.Detail) > screening.MaxDetail {
				t.Fatalf("flag %s: Detail of %d bytes", fl.Rule, len(fl.Detail))
			}
		}
		if clinic.IntakeRisk(in.Answers) != (in.Answers[clinic.IntakeRiskQuestion] == "yes" || in.Answers[clinic.IntakeRiskQuestion] == "unsure") {
			t.Fatal("IntakeRisk disagrees with the risk answer")
		}
	})
}

// FuzzParseLocal checks the datetime-local field reader: it takes only a
// real date and time, and the instant it gives shows that wall clock in
// the zone (or, inside a spring-forward gap, a later one by at most a day).
func FuzzParseLocal(f *testing.F) {
	for _, s := range []string{"2026-12-03T10:00", " 2026-03-08T02:30 ", "2026-11-01T01:30", "2026-02-30T10:00", "2026-12-03T24:00",
		"2026-12-03 10:00", "2026-12-03T10:00:00", "+2026-12-03T10:00", "0000-01-01T00:00", "9999-12-31T23:59", ""} {
		f.Add(s, uint8(0))
	}
	zones := []string{"America/New_York", "UTC", "Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Apia"}
	locs := make([]*time.Location, len(zones))
	for i, z := range zones {
		loc, err := time.LoadLocation(z)
		if err != nil {
			f.Fatal(err)
		}
		locs[i] = loc
	}
	f.Fuzz(func(t *testing.T, value string, zone uint8) {
		loc := locs[int(zone)%len(locs)]
		got, ok := ParseLocal(value, loc)
		if !ok {
			if !got.IsZero() {
				t.Fatalf("ParseLocal(%q) refused but gave %v", value, got)
			}
			return
		}
		want, err := time.Parse("2006-01-02T15:04", strings.TrimSpace(value))
		if err != nil {
			t.Fatalf("ParseLocal(%q) took what time.Parse refuses: %v", value, err)
		}
		l := got.In(loc)
		shown := time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), 0, 0, time.UTC)
		if shown.Before(want) || shown.Sub(want) > 24*time.Hour {
			t.Fatalf("ParseLocal(%q, %s) = %v, shown as %v", value, loc, got, shown)
		}
		// time.Parse takes a one-digit hour ("9:00"); what the field shows
		// again reads as the same instant.
		if back, ok := ParseLocal(l.Format("2006-01-02T15:04"), loc); shown.Equal(want) && (!ok || !back.Equal(got)) {
			t.Fatalf("ParseLocal(%q) = %v does not read back from %q: %v", value, got, l.Format("2006-01-02T15:04"), back)
		}
	})
}
