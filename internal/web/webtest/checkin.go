package webtest

import (
	"context"
	"net/url"
	"regexp"
	"strconv"

	"github.com/kapstone/kapstone/internal/measure"
)

// PHQ9Form answers every PHQ-9 item with value v, item 9 with item9.
func PHQ9Form(action string, v, item9 int) url.Values {
	f := url.Values{"action": {action}}
	inst, _ := measure.Get("phq9")
	for _, it := range inst.Items {
		f.Set(it.ID, strconv.Itoa(v))
		if it.Risk {
			f.Set(it.ID, strconv.Itoa(item9))
		}
	}
	return f
}

// Assign asks patient A for instrument, as thea.
func (f *Fixture) Assign(instrument, cadence string) {
	f.T.Helper()
	if err := f.St.AssignMeasure(context.Background(), f.As("thea@example.org"), f.PA.ID, instrument, cadence); err != nil {
		f.T.Fatal(err)
	}
}

// SeenOf reads the newest-answer time an acknowledge form carries.
func SeenOf(body string) string {
	m := regexp.MustCompile(`name="seen" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}
