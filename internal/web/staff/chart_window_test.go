package staff_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// phq9Of answers the PHQ-9 for total (item 9 left at 0).
func phq9Of(total int) measure.Answers {
	inst, _ := measure.Get("phq9")
	a := measure.Answers{}
	for _, it := range inst.Items {
		if it.Scored {
			a[it.ID] = 0
		}
	}
	for i := 0; total > 0; i = (i + 1) % 8 {
		if id := inst.Items[i].ID; a[id] < 3 {
			a[id]++
			total--
		}
	}
	return a
}

// section is the part of body from the element with id to the end of its
// section (the next "</section>").
func section(body, id string) string {
	i := strings.Index(body, `"`+id+`"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(body[i:], "</section>")
	if j < 0 {
		return body[i:]
	}
	return body[i : i+j]
}

// TestChartScoreWindow: a patient with more PHQ-9 scores than the chart's
// window: the chart draws and lists the latest store.ChartScoreWindow, says
// how many there are and links to all of them; the outcome is still from
// the course's first score (older than the window); ?scores=all lists
// every score, oldest included.
func TestChartScoreWindow(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := context.Background()
	thea := f.As("thea@example.org")
	n := store.ChartScoreWindow + 4
	for i := range n {
		total := 10 + i%5 // 10 to 14
		if i == 0 {
			total = 23 // the baseline, outside the window
		}
		if i == n-1 {
			total = 5 // the latest
		}
		at := f.Now.Add(-time.Duration(n-i) * 7 * 24 * time.Hour)
		if _, err := f.St.EnterPaperCheckin(ctx, thea, f.PA.ID, "phq9", phq9Of(total), at); err != nil {
			t.Fatal(err)
		}
	}
	cookie := f.SignIn("thea@example.org")
	r := f.Do("GET", "/patients/"+f.PA.ID, nil, cookie)
	if r.Status != http.StatusOK {
		t.Fatalf("chart = %d", r.Status)
	}
	phq := section(r.Body, "p-phq9")
	if got := strings.Count(phq, "<tr><td>"); got != store.ChartScoreWindow {
		t.Errorf("the chart lists %d scores, want the latest %d", got, store.ChartScoreWindow)
	}
	for _, want := range []string{"Baseline 23 → latest 5 (-18)", "The latest 26 of 30 scores", `href="?scores=all#p-phq9"`, "Show all 30 scores", "30 scores of PHQ-9. First 23, latest 5. Drawn: the latest 26."} {
		if !strings.Contains(phq, want) {
			t.Errorf("the chart's PHQ-9 lacks %q", want)
		}
	}
	if strings.Contains(phq, "<td>23</td>") {
		t.Error("the chart lists the oldest score, outside the window")
	}
	all := f.Do("GET", "/patients/"+f.PA.ID+"?scores=all", nil, cookie)
	phq = section(all.Body, "p-phq9")
	if got := strings.Count(phq, "<tr><td>"); got != n {
		t.Errorf("?scores=all lists %d scores, want all %d", got, n)
	}
	if !strings.Contains(phq, "<td>23</td>") || !strings.Contains(phq, "Baseline 23 → latest 5 (-18)") || strings.Contains(phq, "score-window") {
		t.Error("?scores=all does not list every score with the same outcome and no window note")
	}
}

// TestChartAppointmentWindow: the chart lists every appointment still
// waiting for an outcome and the latest ChartAppointmentWindow settled
// ones, says how many earlier ones are not listed and links to all of
// them; an appointment with a note says "Open note" however old it is;
// the Notes section lists the latest ChartNoteWindow notes, says how many
// there are and links to them all.
func TestChartAppointmentWindow(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := context.Background()
	thea := f.As("thea@example.org")
	settled := 12
	var ids []string
	for i := range settled + 1 {
		ap := &store.Appointment{Kind: "integration", StartsAt: f.Now.Add(time.Duration(i+1) * 24 * time.Hour), Minutes: 50}
		if err := f.St.CreateAppointment(ctx, thea, f.PA.ID, ap); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ap.ID)
	}
	f.Now = f.Now.Add(time.Duration(settled+1)*24*time.Hour + time.Hour) // all have begun
	for _, id := range ids[:settled] {
		if err := f.St.RecordAppointmentOutcome(ctx, thea, f.PA.ID, id, "attended"); err != nil {
			t.Fatal(err)
		}
	}
	// Notes on the oldest (beyond the chart's latest notes: it was once
	// shown as "Write note") and the six latest settled.
	noted := append([]string{ids[0]}, ids[settled-6:settled]...)
	for _, id := range noted {
		if _, err := f.St.SaveNoteDraft(ctx, thea, f.PA.ID, id, store.NoteInput{Format: clinic.NoteSOAP, Sections: map[string]string{"plan": "Call the team."}}); err != nil {
			t.Fatal(err)
		}
	}
	cookie := f.SignIn("thea@example.org")
	r := f.Do("GET", "/patients/"+f.PA.ID, nil, cookie)
	list := section(r.Body, "appointments")
	if got := strings.Count(list, `<li id="ap-`); got != 1+10 {
		t.Errorf("the chart lists %d appointments, want the unsettled one and the latest 10 settled", got)
	}
	for _, id := range append(ids[2:], ids[settled]) {
		if !strings.Contains(list, `id="ap-`+id+`"`) {
			t.Errorf("the chart does not list appointment %s", id)
		}
	}
	if strings.Contains(list, `id="ap-`+ids[0]+`"`) || !strings.Contains(list, "2 earlier appointments with what happened recorded are not listed") || !strings.Contains(list, `href="?appointments=all#appointments"`) {
		t.Error("the chart lists the oldest settled appointments, or does not say they are not listed with a link to them")
	}
	if got := strings.Count(list, "Open note"); got != 6 {
		t.Errorf("the chart's appointments say Open note %d times, want 6", got)
	}
	notes := section(r.Body, "notes")
	if got := strings.Count(notes, "/note\">"); got != store.ChartNoteWindow {
		t.Errorf("the chart's Notes lists %d notes, want the latest %d", got, store.ChartNoteWindow)
	}
	if !strings.Contains(notes, "The latest 5 of 7 notes") || !strings.Contains(notes, `href="/patients/`+f.PA.ID+`/notes">All 7 notes`) {
		t.Error("the chart's Notes does not say how many notes there are, with a link to them all")
	}
	all := section(f.Do("GET", "/patients/"+f.PA.ID+"?appointments=all", nil, cookie).Body, "appointments")
	if got := strings.Count(all, `<li id="ap-`); got != settled+1 {
		t.Errorf("?appointments=all lists %d, want all %d", got, settled+1)
	}
	if strings.Contains(all, "appointment-window") {
		t.Error("?appointments=all still says some are not listed")
	}
	first := all[strings.Index(all, `id="ap-`+ids[0]+`"`):]
	first = first[:strings.Index(first, "</li>")]
	if !strings.Contains(first, "Open note") || strings.Count(all, "Open note") != len(noted) {
		t.Errorf("the oldest appointment, with a note, says %q; want Open note there and at the %d others with notes only", first, len(noted)-1)
	}
}

// TestChartDosingMarksBeyondAppointmentWindow: the chart reads only the
// latest settled appointments, yet a past dosing appointment older than
// that window still marks its day on the score chart, a no-show dosing
// appointment and a cancelled one do not, and ?appointments=all lists them.
func TestChartDosingMarksBeyondAppointmentWindow(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := context.Background()
	f.ClearA()
	thea := f.As("thea@example.org")
	book := func(kind string, at time.Time) string {
		t.Helper()
		ap := &store.Appointment{Kind: kind, StartsAt: at, Minutes: 60}
		if kind == "dosing" {
			ap.Minutes = 180
		}
		if err := f.St.CreateAppointment(ctx, thea, f.PA.ID, ap); err != nil {
			t.Fatal(err)
		}
		return ap.ID
	}
	day := 24 * time.Hour
	start := f.Now
	dosed := book("dosing", start.Add(2*day))
	missed := book("dosing", start.Add(4*day))
	cancelled := book("dosing", start.Add(6*day))
	if err := f.St.CancelAppointment(ctx, thea, f.PA.ID, cancelled, "Ill."); err != nil {
		t.Fatal(err)
	}
	var later []string
	for i := range store.ChartAppointmentWindow + 1 {
		later = append(later, book("integration", start.Add(time.Duration(8+i)*day)))
	}
	f.Now = start.Add(time.Duration(8+store.ChartAppointmentWindow+2) * day)
	thea = f.As("thea@example.org")
	for _, id := range append([]string{dosed}, later...) {
		if err := f.St.RecordAppointmentOutcome(ctx, thea, f.PA.ID, id, "attended"); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.St.RecordAppointmentOutcome(ctx, thea, f.PA.ID, missed, "no_show"); err != nil {
		t.Fatal(err)
	}
	// Scores before and after, so the chart spans the dosing days.
	for _, at := range []time.Time{start.Add(day), start.Add(3 * day), start.Add(5 * day), start.Add(7 * day), f.Now.Add(-day)} {
		if _, err := f.St.EnterPaperCheckin(ctx, thea, f.PA.ID, "phq9", phq9Of(12), at); err != nil {
			t.Fatal(err)
		}
	}
	cookie := f.SignIn("thea@example.org")
	r := f.Do("GET", "/patients/"+f.PA.ID, nil, cookie)
	list := section(r.Body, "appointments")
	for _, id := range []string{dosed, missed, cancelled} {
		if strings.Contains(list, `id="ap-`+id+`"`) {
			t.Errorf("the chart lists appointment %s, outside the window of the latest %d settled", id, store.ChartAppointmentWindow)
		}
	}
	if got := strings.Count(list, `<li id="ap-`); got != store.ChartAppointmentWindow {
		t.Errorf("the chart lists %d appointments, want the latest %d settled", got, store.ChartAppointmentWindow)
	}
	if !strings.Contains(list, "3 earlier appointments with what happened recorded are not listed") {
		t.Error("the chart does not say the 3 earlier settled appointments (dosed, missed, one integration) are not listed")
	}
	marker := func(at time.Time) string { return "<title>Dosing session (" + at.Format("Jan 2, 2006") + ")</title>" }
	phq := section(r.Body, "p-phq9")
	if !strings.Contains(phq, marker(start.Add(2*day))) {
		t.Error("the score chart does not mark the attended dosing appointment outside the appointment window")
	}
	for _, at := range []time.Time{start.Add(4 * day), start.Add(6 * day)} {
		if strings.Contains(phq, marker(at)) {
			t.Errorf("the score chart marks %s: a no-show or a cancelled dosing appointment", at.Format("Jan 2"))
		}
	}
	all := section(f.Do("GET", "/patients/"+f.PA.ID+"?appointments=all", nil, cookie).Body, "appointments")
	for _, id := range []string{dosed, missed} {
		if !strings.Contains(all, `id="ap-`+id+`"`) {
			t.Errorf("?appointments=all does not list appointment %s", id)
		}
	}
	if strings.Contains(all, `id="ap-`+cancelled+`"`) {
		t.Error("?appointments=all lists a cancelled appointment")
	}
}
