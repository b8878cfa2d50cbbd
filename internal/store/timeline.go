package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/measure"
)

// The chart's timeline (issue 17, item 4): what the patient shared and did
// between sessions and what happened in them, newest first, in one list
// the care team reads and marks "discussed". Each kind of item comes from
// one TimelineSource; the timeline is one query, a UNION ALL of each
// source's newest rows after the cursor, so a page costs the same however
// long the record is.

// TimelineSource is one kind of item on the timeline: the SQL that reads
// it for one patient and what a reader needs to see it. Every SQL part is
// an expression over the tables in From; From is a FROM ... WHERE ...
// clause whose only placeholder is $1, the patient's id, and which must
// never reach private or author-only content (a private journal entry, a
// psychotherapy note): the filter belongs in the SQL, so such text is never
// read for staff.
type TimelineSource struct {
	Kind  string // stable name, stored with the "discussed" marks ("journal")
	Label string // what the page calls one ("Shared journal entry")
	// Plural names many, for the page's filter ("Shared journal entries").
	Plural string
	Perm   auth.Permission // what the reader needs besides PermTimeline
	ID     string          // the item's id, unique within the kind ("j.id")
	At     string          // when it happened: a time column with an index on (patient_id, it)
	Title  string          // a TEXT expression: the item's title
	// Summary is a TEXT expression: a line about the item (Finish may
	// turn a stored code or JSON into words).
	Summary string
	Ref     string // a TEXT expression the link is made from ("" for the id)
	From    string
	// Link is the item's page: {patient} and {ref} (Ref, or the id) are
	// replaced.
	Link string
	// Finish, when set, puts the item's stored codes into words.
	Finish func(*TimelineItem)
}

// TimelineSources are the timeline's kinds of item. To add one, append a
// TimelineSource (and, when its items are new things for the team to look
// at, a CaseloadCountSource).
var TimelineSources = []TimelineSource{
	{
		// Journal entries whose latest version the patient shared; a
		// private entry (or one shared and later made private) is never
		// read.
		Kind: "journal", Label: "Shared journal entry", Plural: "Shared journal entries", Perm: auth.PermSharedJournal,
		ID: "j.id", At: "j.created_at",
		Title:   "'Journal entry'",
		Summary: "v.body",
		From: `FROM journal_entries j
			JOIN journal_versions v ON v.entry_id = j.id AND v.version = (SELECT max(version) FROM journal_versions WHERE entry_id = j.id)
			WHERE j.patient_id = $1 AND v.shared`,
		Link:   "/patients/{patient}#journal-{ref}",
		Finish: journalSummary,
	},
	{
		Kind: "checkin", Label: "Check-in", Plural: "Check-ins", Perm: auth.PermChart,
		ID: "c.id", At: "c.completed_at",
		Title:   "c.instrument",
		Summary: "CAST(c.total AS TEXT) || '|' || c.band",
		From:    `FROM checkins c WHERE c.patient_id = $1 AND c.status = 'complete'`,
		Link:    "/patients/{patient}/progress",
		Finish:  checkinSummary,
	},
	{
		Kind: "dosing", Label: "Dosing session", Plural: "Dosing sessions", Perm: auth.PermChart,
		ID: "d.id", At: "d.created_at",
		Title:   "'Dosing session'",
		Summary: "d.status",
		From:    `FROM dosing_sessions d WHERE d.patient_id = $1`,
		Link:    "/patients/{patient}/dosing/{ref}",
		Finish:  dosingSummary,
	},
	{
		Kind: "appointment", Label: "Appointment attended", Plural: "Appointments attended", Perm: auth.PermChart,
		ID: "a.id", At: "a.starts_at",
		Title:   "a.kind",
		Summary: "CAST(a.minutes AS TEXT)",
		From:    `FROM appointments a WHERE a.patient_id = $1 AND a.cancelled_at IS NULL AND a.outcome = 'attended'`,
		Link:    "/patients/{patient}#appointments",
		Finish: func(it *TimelineItem) {
			it.Title = clinic.AppointmentTitle(it.Title)
			it.Summary = "Attended, " + it.Summary + " minutes"
		},
	},
	{
		// DBT skills entries the patient shares now (internal/clinic/dbt.go);
		// a private entry is never read. The title says what it is ("Cope
		// ahead: the family dinner"); its page shows the whole entry.
		Kind: "skill", Label: "Shared skills entry", Plural: "Shared skills entries", Perm: auth.PermSharedSkills,
		ID: "e.id", At: "e.created_at",
		Title:   "e.kind",
		Summary: "e.body",
		From:    `FROM skill_entries e WHERE e.patient_id = $1 AND e.shared`,
		Link:    "/patients/{patient}/skills/{ref}",
		Finish: func(it *TimelineItem) {
			it.Title = skillTitleFrom(it.Title, it.Summary)
			it.Summary = "Shared by the patient from their skills tools"
		},
	},
	{
		// Secure messages, both ways: the patient's and the team's replies,
		// each linked to its conversation.
		Kind: "message", Label: "Message", Plural: "Messages", Perm: auth.PermMessages,
		ID: "m.id", At: "m.created_at",
		Title:   "CASE WHEN m.from_patient THEN 'Message from the patient' ELSE 'Reply from the care team' END",
		Summary: "m.body",
		Ref:     "m.thread_id",
		From:    `FROM messages m WHERE m.patient_id = $1`,
		Link:    "/patients/{patient}/messages/{ref}",
		Finish:  func(it *TimelineItem) { it.Summary = shorten(strings.Join(strings.Fields(it.Summary), " "), 160) },
	},
	{
		// Clinical notes once signed: the title only. Psychotherapy notes
		// are another table, their author's alone, and never here.
		Kind: "note", Label: "Clinical note signed", Plural: "Signed notes", Perm: auth.PermNoteRead,
		ID: "n.id", At: "n.signed_at",
		Title:   "n.kind",
		Summary: "n.status",
		Ref:     "n.appointment_id",
		From:    `FROM notes n WHERE n.patient_id = $1 AND n.status <> 'draft'`,
		Link:    "/patients/{patient}/appointments/{ref}/note",
		Finish: func(it *TimelineItem) {
			it.Title = clinic.AppointmentTitle(it.Title) + " note"
			it.Summary = map[string]string{"signed": "Signed", "awaiting_cosign": "Signed, awaiting co-signature"}[it.Summary]
		},
	},
}

// TimelineSourceOf returns the source of kind, if there is one.
func TimelineSourceOf(kind string) (TimelineSource, bool) {
	for _, src := range TimelineSources {
		if src.Kind == kind {
			return src, true
		}
	}
	return TimelineSource{}, false
}

// TimelineItem is one item on a patient's timeline.
type TimelineItem struct {
	Kind, Label string
	ID          string
	At          time.Time
	Title       string
	Summary     string
	Link        string
	Discussed   *DiscussedMark // nil when not (or no longer) marked
}

// DiscussedMark is who marked a timeline item discussed, and when.
type DiscussedMark struct {
	By, ByName string
	At         time.Time
}

// TimelineCursor is where a timeline page ends: the next page starts with
// the item after it in the order (At, Kind, ID), newest first. The zero
// cursor is the first page.
type TimelineCursor struct {
	At       time.Time
	Kind, ID string
}

// String is the cursor for a URL ("" for the first page). It holds ids and
// a time, nothing about the patient.
func (c TimelineCursor) String() string {
	if c.At.IsZero() {
		return ""
	}
	return strconv.FormatInt(c.At.UnixMicro(), 10) + "." + c.Kind + "." + c.ID
}

// ParseTimelineCursor reads a cursor made by String; anything else is the
// first page.
func ParseTimelineCursor(s string) TimelineCursor {
	parts := strings.SplitN(s, ".", 3)
	if len(parts) != 3 {
		return TimelineCursor{}
	}
	us, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil || us <= 0 {
		return TimelineCursor{}
	}
	return TimelineCursor{At: time.UnixMicro(us).UTC(), Kind: parts[1], ID: parts[2]}
}

// TimelinePage is one page of a timeline.
type TimelinePage struct {
	Items []TimelineItem
	Next  *TimelineCursor // where the next (older) page starts; nil at the end
	Kinds []TimelineSource
}

// MaxTimelinePage is the most items one page holds.
const MaxTimelinePage = 100

// ChartTimeline returns a page of patientID's timeline, newest first: at most
// limit items after cursor, from the sources named in kinds (all when
// empty) that actor may see, each with its live "discussed" mark. Only
// the care team reads it (PermTimeline). Audited as chart.read.
func (s *Store) ChartTimeline(ctx context.Context, actor Actor, patientID string, cursor TimelineCursor, limit int, kinds ...string) (*TimelinePage, error) {
	limit = min(max(limit, 1), MaxTimelinePage)
	page := &TimelinePage{}
	err := s.viewAccess(ctx, actor, patientID, auth.PermTimeline, "chart.read", func(tx *Tx, a Access, e *Entry) error {
		e.ObjectType, e.Detail = "timeline", "timeline"
		var parts []string
		args := []any{patientID, limit + 1}
		after := timelineOrder(cursor.Kind)
		for i, src := range TimelineSources {
			if !a.Can(src.Perm) {
				continue
			}
			page.Kinds = append(page.Kinds, src)
			if len(kinds) > 0 && !contains(kinds, src.Kind) {
				continue
			}
			parts = append(parts, timelineSelect(src, i, !cursor.At.IsZero(), after))
		}
		if len(parts) == 0 {
			return nil
		}
		q := `SELECT t.kind, t.id, t.at, t.title, t.summary, t.ref, coalesce(m.marked_by, ''), coalesce(u.display_name, ''), m.marked_at
			FROM (` + strings.Join(parts, "\nUNION ALL\n") + `) t
			LEFT JOIN timeline_marks m ON m.item_kind = t.kind AND m.item_id = t.id AND m.cleared_at IS NULL
			LEFT JOIN users u ON u.id = m.marked_by
			ORDER BY t.at DESC, t.ord DESC, t.id DESC LIMIT $2`
		// The cursor's time is $3 on every page after the first; its id
		// is $4 only when its kind is among the sources read (a cursor of
		// another or an unknown kind pages by time alone), since
		// PostgreSQL refuses an argument the statement does not use.
		if !cursor.At.IsZero() {
			args = append(args, cursor.At)
			if strings.Contains(q, "$4") {
				args = append(args, cursor.ID)
			}
		}
		items, err := queryAll(ctx, tx, func(row scanner) (TimelineItem, error) {
			var it TimelineItem
			var at anyTime
			var ref, by, byName string
			var markedAt nullTime
			at.d = tx.d
			if err := row.Scan(&it.Kind, &it.ID, &at, &it.Title, &it.Summary, &ref, &by, &byName, &markedAt); err != nil {
				return it, err
			}
			it.At = at.t
			if by != "" && markedAt.valid {
				it.Discussed = &DiscussedMark{By: by, ByName: byName, At: markedAt.t}
			}
			src, _ := TimelineSourceOf(it.Kind)
			it.Label = src.Label
			if ref == "" {
				ref = it.ID
			}
			it.Link = strings.NewReplacer("{patient}", patientID, "{ref}", ref).Replace(src.Link)
			if src.Finish != nil {
				src.Finish(&it)
			}
			return it, nil
		}, q, args...)
		if err != nil {
			return err
		}
		if len(items) > limit {
			items = items[:limit]
			last := items[limit-1]
			page.Next = &TimelineCursor{At: last.At, Kind: last.Kind, ID: last.ID}
		}
		page.Items = items
		// The audit row names what the page showed (kinds and ids, never
		// their text), so an accounting of disclosures can tell that a
		// message or a shared entry was read here.
		var shown []string
		for _, it := range items {
			shown = append(shown, it.Kind+":"+it.ID)
		}
		if len(shown) > 0 {
			e.Detail = "timeline; shown " + strings.Join(shown, " ")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// timelineSelect is the part of the timeline query of src, the ord-th
// source: its newest items after the cursor ($3 its time, $4 its id, when
// paged; after the order of its kind), at most $2 of them, in the query's
// columns. Items sort by time, then by their source's place in
// TimelineSources (ord: a number, so both engines order kinds alike), then
// id. The cursor condition is on the source's own time and id columns (its
// ord is a constant, so that comparison is made here), so the index on
// (patient_id, time) gives the rows in order.
func timelineSelect(src TimelineSource, ord int, paged bool, after int) string {
	cond := ""
	if paged {
		switch {
		case ord < after:
			cond = fmt.Sprintf(" AND %s <= $3", src.At)
		case ord == after:
			cond = fmt.Sprintf(" AND (%s < $3 OR (%s = $3 AND %s < $4))", src.At, src.At, src.ID)
		default:
			cond = fmt.Sprintf(" AND %s < $3", src.At)
		}
	}
	ref := src.Ref
	if ref == "" {
		ref = "''"
	}
	return fmt.Sprintf(`SELECT * FROM (SELECT '%s' AS kind, %d AS ord, %s AS id, %s AS at, %s AS title, coalesce(%s, '') AS summary, %s AS ref %s%s AND %s IS NOT NULL ORDER BY %s DESC, %s DESC LIMIT $2) s_%d`,
		src.Kind, ord, src.ID, src.At, src.Title, src.Summary, ref, src.From, cond, src.At, src.At, src.ID, ord)
}

// timelineOrder is kind's place in TimelineSources; -1 for none.
func timelineOrder(kind string) int {
	for i, src := range TimelineSources {
		if src.Kind == kind {
			return i
		}
	}
	return -1
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// anyTime scans a time that may come back as text: a column of a UNION
// has no declared type on SQLite, so the driver gives its stored text.
type anyTime struct {
	d *dialect
	t time.Time
}

func (a *anyTime) Scan(v any) error {
	switch x := v.(type) {
	case time.Time:
		a.t = x.UTC()
	case string:
		a.t = a.d.parseTime(x).UTC()
	case []byte:
		a.t = a.d.parseTime(string(x)).UTC()
	default:
		return fmt.Errorf("timeline: cannot read %T as a time", v)
	}
	return nil
}

// journalSummary turns a shared entry's answers into its first written
// answer, shortened.
func journalSummary(it *TimelineItem) {
	var answers []JournalAnswer
	body := it.Summary
	it.Summary = ""
	if json.Unmarshal([]byte(body), &answers) != nil {
		return
	}
	for _, a := range answers {
		if v := strings.Join(strings.Fields(a.Answer), " "); v != "" {
			it.Summary = shorten(v, 160)
			return
		}
	}
}

// shorten cuts s to at most n characters, at a word, with an ellipsis.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n]
	cut := string(r)
	if i := strings.LastIndex(cut, " "); i > n/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,.;:") + "…"
}

// checkinSummary names the questionnaire and says its score and severity.
func checkinSummary(it *TimelineItem) {
	if inst, ok := measure.Get(it.Title); ok {
		it.Title = inst.Name
	}
	total, band, _ := strings.Cut(it.Summary, "|")
	it.Summary = "Score " + total
	if band != "" {
		it.Summary += " · " + band
	}
}

// dosingSummary says where a dosing session stands.
func dosingSummary(it *TimelineItem) {
	it.Summary = map[string]string{
		"gate": "Started: before-dose checks", "ready": "Ready to dose", "dosed": "Dosed, in monitoring",
		"discharged": "Discharged", "stopped": "Stopped before the dose",
	}[it.Summary]
}

// MarkDiscussed marks the timeline item kind/itemID of patientID as
// discussed by actor, a clinician on the care team (PermDiscuss, and the
// item's source's permission). An item already marked keeps its mark. An
// item that is not this patient's, or not on the timeline, is ENotFound.
// Audited as timeline.discussed.
func (s *Store) MarkDiscussed(ctx context.Context, actor Actor, patientID, kind, itemID string) error {
	return s.discussed(ctx, actor, patientID, kind, itemID, "timeline.discussed", func(tx *Tx, live bool, e *Entry) error {
		if live {
			e.Detail += "; already marked"
			return nil
		}
		_, err := tx.Exec(ctx, `INSERT INTO timeline_marks (id, patient_id, item_kind, item_id, marked_by, marked_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			NewID(), patientID, kind, itemID, actor.UserID, s.now())
		return err
	})
}

// UndoDiscussed takes back the live "discussed" mark of a timeline item:
// the mark is kept, with who cleared it and when. Audited as
// timeline.undiscussed.
func (s *Store) UndoDiscussed(ctx context.Context, actor Actor, patientID, kind, itemID string) error {
	return s.discussed(ctx, actor, patientID, kind, itemID, "timeline.undiscussed", func(tx *Tx, live bool, e *Entry) error {
		if !live {
			e.Detail += "; not marked"
			return nil
		}
		_, err := tx.Exec(ctx, `UPDATE timeline_marks SET cleared_at = $1, cleared_by = $2 WHERE item_kind = $3 AND item_id = $4 AND patient_id = $5 AND cleared_at IS NULL`,
			s.now(), actor.UserID, kind, itemID, patientID)
		return err
	})
}

func (s *Store) discussed(ctx context.Context, actor Actor, patientID, kind, itemID, action string, fn func(tx *Tx, live bool, e *Entry) error) error {
	err := s.patientAccess(ctx, actor, patientID, auth.PermDiscuss, action, func(tx *Tx, a Access, e *Entry) error {
		e.ObjectType, e.ObjectID, e.Detail = "timeline", itemID, kind
		src, ok := TimelineSourceOf(kind)
		if !ok || !a.Can(src.Perm) {
			return clinic.Errorf(clinic.ENotFound, "We could not find that item.")
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) `+src.From+` AND `+src.ID+` = $2`, patientID, itemID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return clinic.Errorf(clinic.ENotFound, "We could not find that item.")
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM timeline_marks WHERE item_kind = $1 AND item_id = $2 AND patient_id = $3 AND cleared_at IS NULL`,
			kind, itemID, patientID).Scan(&n); err != nil {
			return err
		}
		return fn(tx, n > 0, e)
	})
	if err != nil && s.d.isUniqueViolation(err) {
		return nil // marked at the same moment by someone else: it is marked
	}
	return err
}

// CaseloadCountSource counts, for the caseload's badges, a kind of new
// thing per patient. SQL selects (patient_id, n) for the patients in
// {patients} (replaced by the page's placeholders), grouped by patient.
type CaseloadCountSource struct {
	Kind     string          // "journal"
	One      string          // the badge for 1 ("new shared entry")
	Many     string          // for more ("new shared entries")
	Perm     auth.Permission // what a care-team member needs to be shown it
	SQL      string
	LinkPart string // the chart's fragment the badge links to ("timeline")
}

// CaseloadCountSources are the caseload's "new" badges. To add one, append
// a CaseloadCountSource; CaseloadCounts runs them all in one query.
var CaseloadCountSources = []CaseloadCountSource{
	{
		// Shared journal entries nobody on the team has marked discussed.
		Kind: "journal", One: "new shared entry", Many: "new shared entries", Perm: auth.PermSharedJournal,
		SQL: `SELECT j.patient_id, count(*) AS n FROM journal_entries j
			JOIN journal_versions v ON v.entry_id = j.id AND v.version = (SELECT max(version) FROM journal_versions WHERE entry_id = j.id)
			WHERE j.patient_id IN ({patients}) AND v.shared
			AND NOT EXISTS (SELECT 1 FROM timeline_marks m WHERE m.item_kind = 'journal' AND m.item_id = j.id AND m.cleared_at IS NULL)
			GROUP BY j.patient_id`,
		LinkPart: "timeline",
	},
	{
		// The patient's messages this reader ($1) has not read (as the
		// staff inbox counts them).
		Kind: "message", One: "unread message", Many: "unread messages", Perm: auth.PermMessages,
		SQL: `SELECT m.patient_id, count(*) AS n FROM messages m
			LEFT JOIN message_reads r ON r.thread_id = m.thread_id AND r.user_id = $1
			WHERE m.patient_id IN ({patients}) AND m.from_patient AND m.seq > coalesce(r.read_seq, 0)
			GROUP BY m.patient_id`,
		LinkPart: "messages",
	},
	{
		// Shared skills entries nobody on the team has marked discussed.
		Kind: "skill", One: "new shared skills entry", Many: "new shared skills entries", Perm: auth.PermSharedSkills,
		SQL: `SELECT e.patient_id, count(*) AS n FROM skill_entries e
			WHERE e.patient_id IN ({patients}) AND e.shared
			AND NOT EXISTS (SELECT 1 FROM timeline_marks m WHERE m.item_kind = 'skill' AND m.item_id = e.id AND m.cleared_at IS NULL)
			GROUP BY e.patient_id`,
		LinkPart: "timeline",
	},
}

// caseloadCountsQuery is CaseloadCounts' one statement for n patients
// ($2..$n+1; $1 the reader): every count source the role may see, each
// limited to those patients, joined to the reader's care teams. "" when
// the role sees none.
func caseloadCountsQuery(role clinic.Role, n int) string {
	ph := make([]string, n)
	for i := range ph {
		ph[i] = "$" + strconv.Itoa(i+2)
	}
	in := strings.Join(ph, ", ")
	var parts []string
	for _, src := range CaseloadCountSources {
		if !auth.Can(role, auth.RelTeam, src.Perm) {
			continue
		}
		parts = append(parts, `SELECT '`+src.Kind+`' AS kind, x.patient_id, x.n FROM (`+strings.ReplaceAll(src.SQL, "{patients}", in)+`) x`)
	}
	if len(parts) == 0 {
		return ""
	}
	return `SELECT c.kind, c.patient_id, c.n FROM (` + strings.Join(parts, "\nUNION ALL\n") + `) c
		JOIN care_team t ON t.patient_id = c.patient_id AND t.user_id = $1 AND t.removed_at IS NULL
		WHERE c.n > 0`
}

// CaseloadCount is one badge on a caseload row: N new things of a kind.
type CaseloadCount struct {
	Kind string
	N    int
	Text string // "2 new shared entries"
}

// CaseloadCounts returns the caseload badges of the patients patientIDs
// (the page's rows) on whose care team actor is, in one query for them
// all (per MaxCaseloadBatch). Counts of zero are left out. It reads counts, not content, and is
// not audited (like the caseload's other badges).
func (s *Store) CaseloadCounts(ctx context.Context, actor Actor, patientIDs []string) (map[string][]CaseloadCount, error) {
	out := map[string][]CaseloadCount{}
	if !actor.may(auth.PermCaseload) || len(patientIDs) == 0 {
		return out, nil
	}
	type row struct {
		kind, patient string
		n             int
	}
	var rows []row
	err := s.read(ctx, func(tx *Tx) error {
		// One statement for a page; a caseload longer than
		// MaxCaseloadBatch (the engines bound placeholders) takes one per
		// batch.
		for ids := range slices.Chunk(patientIDs, MaxCaseloadBatch) {
			q := caseloadCountsQuery(actor.Role, len(ids))
			if q == "" {
				return nil
			}
			args := []any{actor.UserID}
			for _, id := range ids {
				args = append(args, id)
			}
			got, err := queryAll(ctx, tx, func(r scanner) (row, error) {
				var x row
				return x, r.Scan(&x.kind, &x.patient, &x.n)
			}, q, args...)
			if err != nil {
				return err
			}
			rows = append(rows, got...)
		}
		return nil
	})
	for _, src := range CaseloadCountSources { // badges in the sources' order
		for _, x := range rows {
			if x.kind != src.Kind {
				continue
			}
			text := src.Many
			if x.n == 1 {
				text = src.One
			}
			out[x.patient] = append(out[x.patient], CaseloadCount{Kind: x.kind, N: x.n, Text: strconv.Itoa(x.n) + " " + text})
		}
	}
	return out, err
}

// MaxCaseloadBatch is the most patients one CaseloadCounts statement asks
// about.
const MaxCaseloadBatch = 500
