package measure

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// FuzzCheckIn decodes a check-in form as the portal does (measure.Parse over
// the posted values) and scores it, for every instrument. choices picks each
// item's answer in order (an option, a blank, or junk); form adds raw
// url-encoded fields on top. It checks decoding is total and exact (every
// kept answer is an item's option; each refusal names an item; a blank is
// neither), that Score refuses only a missing answer after Parse, and that
// a score stays in the instrument's range, equals the sum of its scored
// items, falls in its band and carries Signal's risk level.
func FuzzCheckIn(f *testing.F) {
	for i := range All() {
		f.Add(uint8(i), []byte{}, "", "")
		f.Add(uint8(i), []byte{0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3}, "", "")
		f.Add(uint8(i), []byte{3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3}, "", "")
		f.Add(uint8(i), []byte{1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0}, "", "")
		f.Add(uint8(i), []byte{0, 200, 0, 250, 0}, " 2 ", "phq9_9=3&phq9_9=0")
	}
	for _, junk := range []string{"-1", "99", "1e3", "0x1", "+1", " 1", "１", "9223372036854775808", "1.0", "\x00", "٣"} {
		f.Add(uint8(0), []byte{250, 250, 250, 250, 250, 250, 250, 250, 250}, junk, "unknown=1&phq9_1=%00&phq9_2=%2B3")
	}
	all := All()
	f.Fuzz(func(t *testing.T, which uint8, choices []byte, junk, raw string) {
		inst := all[int(which)%len(all)]
		form, _ := url.ParseQuery(raw) // a malformed body keeps what parsed, as net/http does
		for i, it := range inst.Items {
			if i >= len(choices) {
				break
			}
			switch c := choices[i]; {
			case c < 200 && len(it.Options) > 0:
				form.Set(it.ID, strconv.Itoa(it.Options[int(c)%len(it.Options)].Value))
			case c < 230:
				form.Del(it.ID)
			default:
				form.Set(it.ID, junk)
			}
		}
		answers, bad := Parse(inst, form.Get)
		items := map[string]Item{}
		for _, it := range inst.Items {
			items[it.ID] = it
		}
		for id, v := range answers {
			it, ok := items[id]
			if !ok || !hasOption(it, v) {
				t.Fatalf("%s: Parse kept %s=%d, not an option of an item", inst.ID, id, v)
			}
			if _, both := bad[id]; both {
				t.Fatalf("%s: %s both kept and refused", inst.ID, id)
			}
		}
		for id, msg := range bad {
			if _, ok := items[id]; !ok || msg == "" {
				t.Fatalf("%s: Parse refused %q (%q), not an item", inst.ID, id, msg)
			}
			if strings.TrimSpace(form.Get(id)) == "" {
				t.Fatalf("%s: a blank %s was refused", inst.ID, id)
			}
		}
		for _, it := range inst.Items {
			_, kept := answers[it.ID]
			_, refused := bad[it.ID]
			if strings.TrimSpace(form.Get(it.ID)) != "" && !kept && !refused {
				t.Fatalf("%s: the answer %q to %s was dropped silently", inst.ID, form.Get(it.ID), it.ID)
			}
		}

		sig := Signal(inst, answers)
		if sig.Alert != sig.Level.Alert() || sig.Urgency != sig.Level.Urgency() || sig.Positive() != (sig.Level != RiskNone) {
			t.Fatalf("%s: Signal is inconsistent: %+v", inst.ID, sig)
		}
		r, err := Score(inst, answers)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("%s: Score: %v (bands do not cover the total)", inst.ID, err)
			}
			for id, msg := range ve.Fields {
				if msg != msgChoose {
					t.Fatalf("%s: after Parse, Score refused %s with %q", inst.ID, id, msg)
				}
				if _, answered := answers[id]; answered {
					t.Fatalf("%s: Score says answered %s is missing", inst.ID, id)
				}
			}
			if r.Total != 0 || r.Band != (Band{}) || r.Risk != RiskNone {
				t.Fatalf("%s: a refused set gave a result %+v", inst.ID, r)
			}
			if Next(inst, answers) == "" {
				t.Fatalf("%s: Score refused the answers but Next says every asked item is answered", inst.ID)
			}
			return
		}
		if r.Risk != sig.Level {
			t.Fatalf("%s: Score's risk %q is not Signal's %q", inst.ID, r.Risk, sig.Level)
		}
		if r.Total < inst.Min || r.Total > inst.Max {
			t.Fatalf("%s: total %d outside %d..%d", inst.ID, r.Total, inst.Min, inst.Max)
		}
		if r.Total < r.Band.Min || r.Total > r.Band.Max {
			t.Fatalf("%s: total %d outside its band %+v", inst.ID, r.Total, r.Band)
		}
		if len(inst.Triage) == 0 {
			sum := 0
			for _, it := range inst.Items {
				if it.Scored {
					sum += answers[it.ID]
				}
			}
			if r.Total != sum {
				t.Fatalf("%s: total %d is not the sum of its items %d", inst.ID, r.Total, sum)
			}
		} else if r.Total != r.Risk.rank() {
			t.Fatalf("%s: triage total %d is not the rank of %q", inst.ID, r.Total, r.Risk)
		}
		if r.Positive != (inst.Cutoff > 0 && r.Total >= inst.Cutoff) {
			t.Fatalf("%s: Positive %v with total %d and cut-off %d", inst.ID, r.Positive, r.Total, inst.Cutoff)
		}
		if r.Probable && !r.Positive {
			t.Fatalf("%s: probable without reaching the cut-off", inst.ID)
		}
		for _, it := range inst.Items {
			if it.Risk && answers[it.ID] > 0 && r.Risk == RiskNone {
				t.Fatalf("%s: %s answered %d but no risk", inst.ID, it.ID, answers[it.ID])
			}
		}
	})
}

// FuzzParseWindow checks a stored follow-up window is read only when it
// is within bounds, and written back as read.
func FuzzParseWindow(f *testing.F) {
	for _, s := range []string{"4-12", " 4-12 ", "0-12", "12-4", "1-104", "1-105", "-1-3", "4--12", "4-12-", "+4-12", "４-12", "9223372036854775807-1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, ok := ParseWindow(s)
		if !ok {
			if w != (Window{}) {
				t.Fatalf("ParseWindow(%q) refused but gave %+v", s, w)
			}
			return
		}
		if len(CheckWindow(w)) > 0 || w.FromWeeks < MinWindowWeeks || w.ToWeeks > MaxWindowWeeks || w.ToWeeks <= w.FromWeeks {
			t.Fatalf("ParseWindow(%q) = %+v, out of bounds", s, w)
		}
		if back, ok := ParseWindow(w.String()); !ok || back != w {
			t.Fatalf("ParseWindow(%q) = %+v does not round-trip through %q", s, w, w.String())
		}
		if w.From() >= w.To() || w.From() <= 0 {
			t.Fatalf("window %+v: From %v, To %v", w, w.From(), w.To())
		}
	})
}
