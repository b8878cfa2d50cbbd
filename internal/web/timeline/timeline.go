// Package timeline is the chart's timeline (issue 17): the patient's
// shared entries, check-ins and sessions in one list the care team marks
// "discussed". Its items come from store.TimelineSources.
package timeline

import (
	"net/http"
	"net/url"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// Handlers serves the timeline pages.
type Handlers struct {
	*shell.App
}

// New returns the timeline's handlers.
func New(app *shell.App) *Handlers { return &Handlers{App: app} }

// timelinePageSize is how many items a timeline page shows.
const timelinePageSize = 25

type timelineData struct {
	Patient *store.Patient
	Page    *store.TimelinePage
	Zone    string
	Kind    string // the kind shown ("" for all)
	Cursor  string // this page's start ("" for the newest)
	Older   string // the next page's link, or ""
	CanMark bool
}

// Back is the query that brings a mark's form back to this page.
func (d timelineData) Back() string {
	q := url.Values{}
	if d.Kind != "" {
		q.Set("kind", d.Kind)
	}
	if d.Cursor != "" {
		q.Set("after", d.Cursor)
	}
	return q.Encode()
}

// Page is the chart's timeline (issue 17): the patient's shared
// journal entries, check-ins, sessions, attended appointments and signed
// notes, newest first, each markable "discussed"; for the care team only
// (the store checks). ?kind= shows one kind; ?after= is the older page.
func (s *Handlers) Page(w http.ResponseWriter, r *http.Request) {
	// One read transaction and one audit row for the page (store.View).
	r, view, ok := s.PatientView(w, r, r.PathValue("patient"), "chart.read")
	if !ok {
		return
	}
	defer view.Close()
	ctx, actor := r.Context(), s.Actor(r)
	q := r.URL.Query()
	p, _, err := s.Store.FindPatient(ctx, actor, r.PathValue("patient"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d := timelineData{Patient: p, Cursor: q.Get("after"), CanMark: auth.CanSome(actor.Role, auth.PermDiscuss)}
	if _, ok := store.TimelineSourceOf(q.Get("kind")); ok {
		d.Kind = q.Get("kind")
	}
	var kinds []string
	if d.Kind != "" {
		kinds = []string{d.Kind}
	}
	cursor := store.ParseTimelineCursor(d.Cursor)
	if cursor.At.IsZero() {
		d.Cursor = ""
	}
	if d.Page, err = s.Store.ChartTimeline(ctx, actor, p.ID, cursor, timelinePageSize, kinds...); err != nil {
		s.Error(w, r, err)
		return
	}
	if d.Page.Next != nil {
		older := url.Values{"after": {d.Page.Next.String()}}
		if d.Kind != "" {
			older.Set("kind", d.Kind)
		}
		d.Older = "/patients/" + p.ID + "/timeline?" + older.Encode()
	}
	_, d.Zone = s.PracticeZone(r)
	s.RenderView(w, r, view, http.StatusOK, "timeline", "Timeline: "+p.DisplayName, d)
}

// Discussed marks a timeline item discussed (kind and item in the
// form), or with undo=1 takes the mark back, and returns to the page the
// form was on, at the item.
func (s *Handlers) Discussed(w http.ResponseWriter, r *http.Request) {
	patientID := r.PathValue("patient")
	kind, item := r.PostFormValue("kind"), r.PostFormValue("item")
	if kind == "" || item == "" {
		s.Error(w, r, clinic.Errorf(clinic.EInvalid, "Choose an item of the timeline to mark."))
		return
	}
	var err error
	if r.PostFormValue("undo") == "1" {
		err = s.Store.UndoDiscussed(r.Context(), s.Actor(r), patientID, kind, item)
	} else {
		err = s.Store.MarkDiscussed(r.Context(), s.Actor(r), patientID, kind, item)
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	back := url.Values{}
	if k := r.PostFormValue("back_kind"); k != "" {
		if _, ok := store.TimelineSourceOf(k); ok {
			back.Set("kind", k)
		}
	}
	if c := store.ParseTimelineCursor(r.PostFormValue("back_after")); !c.At.IsZero() {
		back.Set("after", c.String())
	}
	path := "/patients/" + patientID + "/timeline"
	if len(back) > 0 {
		path += "?" + back.Encode()
	}
	shell.SeeOther(w, r, path, "item-"+kind+"-"+item)
}
