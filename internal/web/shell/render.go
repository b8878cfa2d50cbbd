package shell

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/wording"
)

//go:embed templates/*.html
var templateFS embed.FS

// page is what every template receives.
type page struct {
	Title     string
	Practice  string
	Crisis    crisisView
	User      *clinic.User // nil when nobody is signed in (or MFA is pending)
	Nav       []NavLink
	RequestID string
	Data      any
}

// NavLink is one entry of the signed-in navigation: a link, or a group of
// links (Items, no Href) shown as a menu that opens without JavaScript.
// Current marks the page the reader is on, and the group holding it.
type NavLink struct {
	Href, Label string
	Current     bool
	Items       []NavLink
	Count       int // unread items behind the link (Messages), shown beside it
}

// navItem is a staff navigation link and the permission its page needs.
type navItem struct {
	Href, Label string
	Perm        auth.Permission
}

// staffNav is the clinicians' navigation; each role sees the links its
// permissions reach (the prescriber has no inquiry inbox to work).
var staffNav = []navItem{
	{"/patients", "Patients", auth.PermStaffApp},
	{"/messages", "Messages", auth.PermCaseload}, // issue 17
	{"/calendar", "Calendar", auth.PermSchedule},
	{"/inquiries", "New inquiries", auth.PermInquiries},
	{"/outcomes", "Outcomes", auth.PermStaffApp},
	{"/notes/late", "Late notes", auth.PermCaseload}, // issue 16
	{"/site/posts", "Blog", auth.PermBlog},
	{"/settings/dosing", "Session safety", auth.PermSetThresholds},
	{"/controlled", "Controlled substances", auth.PermControlledRead}, // issue 20: prescribers and designated staff
	{"/rems", "REMS forms", auth.PermPrescriberCall},                  // issue 20: the prescriber's forms not yet submitted
}

// adminNav is the administrators' navigation, in groups so that it fits
// one row on a desktop and stays short on a phone.
var adminNav = []struct {
	Label string
	Items []navItem
}{
	{"People", []navItem{{"/admin/users", "Accounts", auth.PermAccounts}, {"/patients", "Patients", auth.PermDirectory}, {"/admin/emergency", "Emergency reviews", auth.PermEmergencyReview}}},
	{"Clinical", []navItem{{"/calendar", "Calendar", auth.PermSchedule}, {"/outcomes", "Outcomes", auth.PermDirectory}, {"/notes/late", "Late notes", auth.PermDirectory}, {"/admin/instruments", "Questionnaires", auth.PermInstruments}, {"/admin/consents", "Consent documents", auth.PermConsentDocuments}, {"/settings/dosing", "Session safety", auth.PermSafetySettings}, {"/controlled", "Controlled substances", auth.PermControlledRead}}},
	{"Practice", []navItem{{"/admin/practice", "Practice details", auth.PermSettings}, {"/admin/notes", "Note settings", auth.PermSettings}, {"/admin/rooms", "Rooms", auth.PermRooms},
		{"/admin/fees", "Fees", auth.PermFees}, {"/billing/reports", "Billing reports", auth.PermBillingReports}}},
	{"Website", []navItem{{"/admin/site", "Website pages", auth.PermSiteEditor}, {"/site/posts", "Blog", auth.PermBlog}}},
	{"System", []navItem{{"/admin/audit", "Audit log", auth.PermAuditLog}, {"/admin/jobs", "Jobs", auth.PermJobs}}},
}

// permitted is the links of items that u may use: by role, and for the
// controlled-substance log by u's designation (auth.PermControlled).
func permitted(u *clinic.User, items []navItem) []NavLink {
	var out []NavLink
	for _, it := range items {
		rel := auth.RelNone
		if it.Perm == auth.PermControlledRead && u.ControlledSubstances {
			rel = auth.RelSelf
		}
		if auth.Can(u.Role, rel, it.Perm) {
			out = append(out, NavLink{Href: it.Href, Label: it.Label})
		}
	}
	return out
}

// navFor lists the sections a signed-in user can reach, by what the
// policy lets them do.
func navFor(u *clinic.User, path string) []NavLink {
	var links []NavLink
	switch {
	case auth.Can(u.Role, auth.RelNone, auth.PermPortal):
		// What a patient needs most is at the top (the safety plan among
		// it); the rest in two menus, so that on a phone the navigation
		// stays short above the page (eleven links took four rows).
		links = []NavLink{{Href: "/portal", Label: "Home"}, {Href: "/portal/messages", Label: "Messages"}, {Href: "/portal/appointments", Label: "Appointments"}, {Href: "/portal/checkins", Label: "Check-ins"}, {Href: "/portal/safety-plan", Label: "My safety plan"},
			{Label: "Between sessions", Items: []NavLink{{Href: "/portal/journal", Label: "Journal"}, {Href: "/portal/skills", Label: "Skills"}, {Href: "/portal/progress", Label: "Progress"}}},
			{Label: "My care", Items: []NavLink{{Href: "/portal/preparation", Label: "Preparation"}, {Href: "/portal/consents", Label: "Consents"}, {Href: "/portal/billing", Label: "Billing"}, {Href: "/portal/access", Label: "Privacy"}}}}
	case auth.Can(u.Role, auth.RelNone, auth.PermDirectory):
		for _, g := range adminNav {
			if items := permitted(u, g.Items); len(items) > 0 {
				links = append(links, NavLink{Label: g.Label, Items: items})
			}
		}
	default:
		links = permitted(u, staffNav)
	}
	return markCurrent(links, path)
}

// markCurrent marks the most specific link that path is at or under as
// the current page, and the group that holds it.
func markCurrent(links []NavLink, path string) []NavLink {
	var best *NavLink
	var group *NavLink
	bestLen := 0
	try := func(l, g *NavLink) {
		href, _, _ := strings.Cut(l.Href, "?")
		if href != "" && (path == href || strings.HasPrefix(path, href+"/")) && len(href) > bestLen {
			best, group, bestLen = l, g, len(href)
		}
	}
	for i := range links {
		try(&links[i], nil)
		for j := range links[i].Items {
			try(&links[i].Items[j], &links[i])
		}
	}
	if best != nil {
		best.Current = true
	}
	if group != nil {
		group.Current = true
	}
	return links
}

// formField is one labelled input for the text-field and textarea partials.
type formField struct {
	Name, Label, Value, Error, Type, Auto string
}

// crisisView is the country's crisis resources with links typed for
// html/template, which would otherwise blank tel: and sms: URLs. The links
// come from kapstone's own table, never from input.
type crisisView struct {
	Sentence string
	Lines    []crisisLink
}

type crisisLink struct {
	Label, Value string
	Href         template.URL
}

func newCrisisView(c clinic.CrisisResources) crisisView {
	v := crisisView{Sentence: c.Sentence}
	for _, l := range c.Lines {
		v.Lines = append(v.Lines, crisisLink{Label: l.Label, Value: l.Value, Href: template.URL(l.Href)})
	}
	return v
}

// pageSet is one parse of layout.html with each page template. Its time
// functions read the zone in loc, which the renderer sets to the reader's
// zone before each render; a set serves one render at a time (see
// takePages), so every time on a page is in its reader's zone, labelled
// with it, and no template can show one moment in two zones.
type pageSet struct {
	pages map[string]*template.Template
	loc   *time.Location
	funcs template.FuncMap // the functions the pages were parsed with
	sizes map[string]int   // each page's last length: its next buffer starts that big, not doubling to it
}

// parsePages parses the page templates into a new set whose time
// functions read ps.loc.
func (s *App) parsePages() (*pageSet, error) {
	ps := &pageSet{loc: time.UTC, sizes: map[string]int{}}
	funcs := template.FuncMap{
		"asset": s.Assets.URL,
		// when is a moment in the reader's zone, labelled with the zone.
		"when": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(ps.loc).Format("Jan 2, 2006, 15:04 MST")
		},
		"jobMax":  func() int { return store.JobMaxAttempts },
		"jobKind": wording.JobKind,
		"isotime": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		// whenIn is when with the weekday. Its zone argument (once the
		// patient's) is ignored: a page shows every time in its reader's zone.
		"whenIn": func(t time.Time, _ string) string {
			return t.In(ps.loc).Format("Mon Jan 2, 2006, 15:04 MST")
		},
		// clockIn is the weekday and time of day in the reader's zone; its
		// zone argument is ignored, like whenIn's.
		"clockIn": func(t time.Time, _ string) string {
			return t.In(ps.loc).Format("Mon 15:04 MST")
		},
		"actionWords": wording.Action,
		"fullName":    clinic.NameWithCredentials, // a name and its credentials, once
		// For the dosing session.
		"clock":    func(t time.Time) string { return t.In(ps.loc).Format("15:04") },
		"longDate": func(t time.Time) string { return t.Format("Monday, January 2, 2006") },
		"elapsed": func(since, now time.Time) string {
			m := int(now.Sub(since) / time.Minute)
			if m < 60 {
				return strconv.Itoa(max(m, 0)) + " min"
			}
			return strconv.Itoa(m/60) + " h " + strconv.Itoa(m%60) + " min"
		},
		"routeTitle": clinic.RouteTitle,
		"touchWords": func(t string) string {
			if t == "" {
				return "not agreed yet: no touch"
			}
			return clinic.TouchTitle(t)
		},
		"levelWords": func(l string) string {
			return map[string]string{clinic.VitalsOK: "within the thresholds", clinic.VitalsCaution: "caution", clinic.VitalsHold: "hold"}[l]
		},
		"phaseTitle": clinic.PhaseTitle,
		"list":       func(s ...string) []string { return s },
		"recommendation": func(r string) string {
			return map[string]string{"suitable": "Suitable for KAP", "needs_information": "Needs more information", "not_suitable": "Not suitable"}[r]
		},
		"decision": func(d string) string {
			return map[string]string{"cleared": "Cleared", "needs_information": "Needs information", "not_cleared": "Not cleared"}[d]
		},
		"field": func(name, label, value string, errs map[string]string, auto string) formField {
			typ := "text"
			if auto == "email" || auto == "tel" {
				typ = auto
			}
			return formField{Name: name, Label: label, Value: value, Error: errs[name], Type: typ, Auto: auto}
		},
		"area": func(name, label, value string, errs map[string]string) formField {
			return formField{Name: name, Label: label, Value: value, Error: errs[name]}
		},
		"today":       func() string { return time.Now().In(ps.loc).Format("2006-01-02") },
		"inc":         func(i int) int { return i + 1 },
		"dec":         func(i int) int { return i - 1 },
		"isotimeNano": func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) },
		"deref":       func(t *time.Time) time.Time { return *t },
		"ackd": func(as []store.SafetyAlert) bool {
			for _, a := range as {
				if a.AckAt != nil {
					return true
				}
			}
			return false
		},
		"pct": func(f float64) float64 { return 100 * f },
		"questionNumber": func(inst measure.Instrument, id string) string {
			for i, it := range inst.Items {
				if it.ID == id {
					return "question " + strconv.Itoa(i+1)
				}
			}
			return "an earlier question"
		},
		"instrumentName": func(id string) string {
			if inst, ok := measure.Get(id); ok {
				return inst.Title
			}
			return id
		},
		"progressArgs": func(v []ProgressView, staff bool) map[string]any {
			return map[string]any{"Views": v, "Staff": staff}
		},
		"hasAnswer": func(a map[string]int, id string) bool {
			_, ok := a[id]
			return ok
		},
		"cadence": func(c string) string {
			return map[string]string{"before_session": "Before each session", "weekly": "Every week", "once": "Once"}[c]
		},
		"appointmentKind": clinic.AppointmentTitle,
		"hasPrefix":       strings.HasPrefix,
		"minutes":         func(n int) time.Duration { return time.Duration(n) * time.Minute },
		"started":         func(t time.Time) bool { return !t.After(s.Now()) },
		// Consent documents (issue 16).
		"consentStatus": clinic.ConsentStatusTitle,
		"consentSig": func(g *store.ConsentSignature, zone string) any {
			return struct {
				Sig  *store.ConsentSignature
				Zone string
			}{g, zone}
		},
		// Form feedback (feedback.go).
		"summary":   Summary,
		"notice":    Notice,
		"errorsFor": ErrorsFor,
	}
	// One template set holds every page. layout.html and the partials
	// (_*.html) are parsed once; a page's own templates ("content",
	// "title", "head") are renamed after the page ("content@NAME"), and a
	// copy of the layout ("layout@NAME") calls them. (A set per page,
	// cloned from the layout, held every partial once per page: html/
	// template's Clone copies each tree, ~50 MB of each set's heap and most
	// of start-up's parsing.)
	root, err := template.New("_partials").Funcs(funcs).ParseFS(templateFS, "templates/_*.html")
	if err != nil {
		return nil, err
	}
	layoutSrc, err := fs.ReadFile(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	definedBy := map[string]string{} // a page's other templates, which are shared: one page each
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" || strings.HasPrefix(name, "_") {
			continue
		}
		src, err := fs.ReadFile(templateFS, n)
		if err != nil {
			return nil, err
		}
		src = pageOwn.ReplaceAll(src, []byte(`$1"$2@`+name+`"`))
		for _, m := range defineName.FindAllSubmatch(src, -1) {
			d := string(m[1])
			if strings.Contains(d, "@") {
				continue
			}
			if other, ok := definedBy[d]; ok && other != name {
				return nil, fmt.Errorf("template %s: %q is also defined by %s (pages share one set: give it another name)", n, d, other)
			}
			definedBy[d] = name
		}
		lay := bytes.Replace(pageOwn.ReplaceAll(layoutSrc, []byte(`$1"$2@`+name+`"`)), []byte(`{{define "layout"}}`), []byte(`{{define "layout@`+name+`"}}`), 1)
		if _, err := root.New("layout.html@" + name).Parse(string(lay)); err != nil {
			return nil, fmt.Errorf("template layout.html for %s: %w", n, err)
		}
		if _, err := root.New(name + ".html").Parse(string(src)); err != nil {
			return nil, fmt.Errorf("template %s: %w", n, err)
		}
		pages[name] = root
	}
	for name, t := range pages {
		// Execute once with empty data so a reference to a missing static file
		// fails at start-up. (Other errors depend on the data and are caught
		// by the page tests.)
		if err := t.ExecuteTemplate(new(bytes.Buffer), "layout@"+name, page{Data: probeData(name)}); err != nil && strings.Contains(err.Error(), "no static file") {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
	}
	ps.pages, ps.funcs = pages, funcs
	return ps, nil
}

// pageOwn finds where a page (or the layout) defines or calls one of the
// templates each page has its own of; defineName, the name of a template
// a page defines.
var (
	pageOwn    = regexp.MustCompile(`(\{\{-?\s*(?:define|block|template)\s+)"(content|title|head)"`)
	defineName = regexp.MustCompile(`\{\{-?\s*(?:define|block)\s+"([^"]+)"`)
)

// probeData is the zero data a page is executed with at start-up.
func probeData(name string) any {
	switch name {
	case "error":
		return errorData{}
	case "login":
		return LoginData{}
	case "mfa":
		return MFAData{}
	}
	return nil
}

// Render writes page name with status, rendered to a buffer first: a template error is a clean 500, not half a page.
func (s *App) Render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	loc := s.readerZone(r)
	p := s.newPage(r, title, data)
	ps, err := s.takePages(r.Context())
	if err != nil { // the client gave up waiting
		s.serverError(w, r, err)
		return
	}
	t, ok := ps.pages[name]
	if !ok {
		s.putPages(ps)
		s.serverError(w, r, fmt.Errorf("no page template %q", name))
		return
	}
	ps.loc = loc
	buf := bytes.NewBuffer(make([]byte, 0, ps.sizes[name]+ps.sizes[name]/8))
	err = t.ExecuteTemplate(buf, "layout@"+name, p)
	ps.sizes[name] = buf.Len()
	s.putPages(ps)
	if err != nil {
		if name == "error" { // never recurse
			http.Error(w, "Internal error. "+s.Crisis.Sentence, http.StatusInternalServerError)
			return
		}
		s.serverError(w, r, fmt.Errorf("render %s: %w", name, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (s *App) newPage(r *http.Request, title string, data any) page {
	p := page{
		Title:     title,
		Practice:  s.PracticeName(r.Context()),
		Crisis:    s.crisisView,
		RequestID: RequestID(r.Context()),
		Data:      data,
	}
	if sess := SessionFrom(r.Context()); sess != nil && sess.MFADone {
		p.User = sess.User
		p.Nav = navFor(sess.User, r.URL.Path)
		s.countUnread(r, p.Nav)
	} else {
		p.Nav = markCurrent(publicNav(), r.URL.Path)
	}
	return p
}

// countUnread puts the reader's unread messages beside the Messages link
// (issue 17): the patient's from their care team, a clinician's from the
// patients on their teams. A count that cannot be read is left out rather
// than failing the page.
func (s *App) countUnread(r *http.Request, links []NavLink) {
	for i := range links {
		if links[i].Href != "/messages" && links[i].Href != "/portal/messages" {
			continue
		}
		var n int
		var err error
		if links[i].Href == "/portal/messages" {
			n, err = s.Store.OwnUnreadMessages(r.Context(), s.Actor(r))
		} else {
			n, err = s.Store.StaffUnreadMessages(r.Context(), s.Actor(r))
		}
		if err == nil {
			links[i].Count = n
		}
	}
}

// publicNav is the practice website's menu, for visitors.
func publicNav() []NavLink {
	return []NavLink{{Href: "/about", Label: "About us"}, {Href: "/services", Label: "What is KAP?"}, {Href: "/blog", Label: "Blog"}, {Href: "/contact", Label: "Contact"}}
}

// practiceNameTTL is how long a read of the practice name is reused. A
// rename shows on every instance within this time.
const practiceNameTTL = 30 * time.Second

// PracticeName is the practice's name from its settings, read at most
// every practiceNameTTL. When the database cannot answer (an error page for
// a database failure), it falls back to a neutral name rather than failing
// again.
func (s *App) PracticeName(ctx context.Context) string {
	s.nameMu.Lock()
	defer s.nameMu.Unlock()
	now := time.Now()
	if s.nameValue != "" && now.Before(s.nameUntil) {
		return s.nameValue
	}
	name, err := s.Store.Setting(ctx, "practice_name", "Your practice")
	if err != nil {
		return "kapstone"
	}
	s.nameValue, s.nameUntil = name, now.Add(practiceNameTTL)
	return name
}

// ForgetPracticeName makes the next page read the practice's name afresh,
// after an administrator changes it.
func (s *App) ForgetPracticeName() {
	s.nameMu.Lock()
	s.nameValue = ""
	s.nameMu.Unlock()
}

// readerZone is the zone the person reading r reads times in: a patient
// their own (the practice's when they have none), staff and visitors the
// practice's.
func (s *App) readerZone(r *http.Request) *time.Location {
	if sess := SessionFrom(r.Context()); sess != nil && sess.User != nil {
		// Only a patient's account has a record, so staff get "" and read
		// the practice's zone.
		if tz, err := s.Store.PatientTimeZone(r.Context(), sess.User.ID); err == nil && tz != "" {
			if loc, err := loadZone(tz); err == nil {
				return loc
			}
		}
	}
	loc, _ := s.PracticeZone(r)
	return loc
}

// takePages lends a set of page templates for one render. Sets are kept
// for reuse; a new one is parsed while fewer than maxPageSets exist, after
// that a render waits for one to come back (a render into a buffer takes
// milliseconds). So memory is bounded by the number of CPUs, not by how
// many zones the practice's patients live in.
func (s *App) takePages(ctx context.Context) (*pageSet, error) {
	select {
	case ps := <-s.idlePages:
		return ps, nil
	default:
	}
	s.pageSetsMu.Lock()
	if s.pageSets < cap(s.idlePages) {
		s.pageSets++
		s.pageSetsMu.Unlock()
		ps, err := s.parsePages()
		if err != nil { // parsed fine at start-up, so this cannot happen
			s.pageSetsMu.Lock()
			s.pageSets--
			s.pageSetsMu.Unlock()
			return nil, err
		}
		return ps, nil
	}
	s.pageSetsMu.Unlock()
	select {
	case ps := <-s.idlePages:
		return ps, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// putPages returns a set lent by takePages.
func (s *App) putPages(ps *pageSet) {
	ps.loc = time.UTC
	s.idlePages <- ps // never blocks: the channel holds every set there is
}

// maxPageSets is how many sets of page templates may exist at once.
func maxPageSets() int { return max(2, runtime.GOMAXPROCS(0)) }

// zoneCache keeps each loaded *time.Location by its IANA name, so a page
// does not read the zone database from disk. Names are the valid IANA
// names only (an unknown one never loads), a few hundred at most.
var zoneCache sync.Map

// loadZone is time.LoadLocation, remembered.
func loadZone(name string) (*time.Location, error) {
	if loc, ok := zoneCache.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zoneCache.Store(name, loc)
	return loc, nil
}
