package webtest

import (
	"context"
	"strconv"

	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/store"
)

// WordInstruments enters the practice's wording for the instruments that
// need it (the risk screen and PCL-5), as the admin.
func (f *Fixture) WordInstruments() {
	f.T.Helper()
	for _, id := range []string{"risk", "pcl5"} {
		inst, _ := measure.Get(id)
		pt := store.PracticeText{Instructions: "In the past month:", Items: map[string]string{}}
		for i, it := range inst.Items {
			pt.Items[it.ID] = "Practice wording for question " + strconv.Itoa(i+1)
		}
		if err := f.St.SetPracticeText(context.Background(), f.As("admin@example.org"), id, pt); err != nil {
			f.T.Fatal(err)
		}
	}
}

// OpenAlerts returns patient A's open alerts as thea's chart shows them.
func (f *Fixture) OpenAlerts() []store.SafetyAlert {
	f.T.Helper()
	c, err := f.St.FindChart(context.Background(), f.As("thea@example.org"), f.PA.ID, store.ChartOptions{})
	if err != nil {
		f.T.Fatal(err)
	}
	var out []store.SafetyAlert
	for _, a := range c.Alerts {
		if a.AckAt == nil {
			out = append(out, a)
		}
	}
	return out
}
