package store

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
)

// HomeField is one text of the home page an administrator may change,
// besides its headline and intro (the "home" SitePage): a section's
// heading or text, a button's words. Markdown texts are rendered and
// cleaned as every page is; the others are plain, on one line. An empty
// text shows Default.
type HomeField struct {
	Key      string
	Label    string
	Group    string // the part of the page it belongs to, for the editor
	Markdown bool
	Max      int // characters
	Default  string
}

// HomeFields are the home page's texts, in the order the page shows them.
var HomeFields = []HomeField{
	{Key: "eyebrow", Label: "Line above the headline", Group: "Top of the page", Max: 80, Default: "Ketamine-assisted psychotherapy"},
	{Key: "cta", Label: "Main button", Group: "Top of the page", Max: 40, Default: "Make an inquiry"},
	{Key: "cta_more", Label: "Second button (goes to the steps)", Group: "Top of the page", Max: 40, Default: "How it works"},
	{Key: "path_title", Label: "Heading", Group: "The steps of care", Max: 120, Default: "The path, one step at a time"},
	{Key: "step1_title", Label: "Step 1 heading", Group: "The steps of care", Max: 80, Default: "Screening"},
	{Key: "step1_text", Label: "Step 1 text", Group: "The steps of care", Markdown: true, Max: 1000, Default: "A conversation and a few questionnaires help us understand whether KAP is safe and right for you. Some health conditions and medicines rule it out, and we will tell you why."},
	{Key: "step2_title", Label: "Step 2 heading", Group: "The steps of care", Max: 80, Default: "Medical evaluation"},
	{Key: "step2_text", Label: "Step 2 text", Group: "The steps of care", Markdown: true, Max: 1000, Default: "Our partner prescriber reviews your health history and medications and decides on medical clearance."},
	{Key: "step3_title", Label: "Step 3 heading", Group: "The steps of care", Max: 80, Default: "Preparation"},
	{Key: "step3_text", Label: "Step 3 text", Group: "The steps of care", Markdown: true, Max: 1000, Default: "We set intentions together and plan the room: music, eye shades, who is present, and whether any touch is welcome."},
	{Key: "step4_title", Label: "Step 4 heading", Group: "The steps of care", Max: 80, Default: "Dosing sessions"},
	{Key: "step4_text", Label: "Step 4 text", Group: "The steps of care", Markdown: true, Max: 1000, Default: "About two to three hours each, with a clinician present throughout and your blood pressure checked before, during and after."},
	{Key: "step5_title", Label: "Step 5 heading", Group: "The steps of care", Max: 80, Default: "Integration"},
	{Key: "step5_text", Label: "Step 5 text", Group: "The steps of care", Markdown: true, Max: 1000, Default: "After each session we make sense of the experience together and carry what helps into daily life."},
	{Key: "step6_title", Label: "Step 6 heading", Group: "The steps of care", Max: 80, Default: "Measuring progress"},
	{Key: "step6_text", Label: "Step 6 text", Group: "The steps of care", Markdown: true, Max: 1000, Default: "Short check-ins (PHQ-9 and GAD-7) show how you are doing, in a chart you can see yourself."},
	{Key: "right_title", Label: "Heading", Group: "“Is KAP right for me?” box", Max: 120, Default: "Is KAP right for me?"},
	{Key: "right_text", Label: "Text", Group: "“Is KAP right for me?” box", Markdown: true, Max: 1000, Default: "KAP is not for everyone. Some health conditions and medicines rule it out or need care first. Read what they are, in plain words, and how we talk it through with you."},
	{Key: "right_button", Label: "Button", Group: "“Is KAP right for me?” box", Max: 40, Default: "Is KAP right for me?"},
	{Key: "portal_title", Label: "Heading", Group: "Box for current patients", Max: 120, Default: "Already working with us?"},
	{Key: "portal_text", Label: "Text", Group: "Box for current patients", Markdown: true, Max: 1000, Default: "Your portal holds your check-ins, your appointments, and your preparation and journal."},
	{Key: "portal_button", Label: "Button", Group: "Box for current patients", Max: 40, Default: "Sign in to your portal"},
}

// homeField returns the field with key.
func homeField(key string) (HomeField, bool) {
	for _, f := range HomeFields {
		if f.Key == key {
			return f, true
		}
	}
	return HomeField{}, false
}

// HomeTexts returns the home page's texts for anyone to read, by key:
// what an administrator saved, or else the built-in text. Saved holds the
// keys an administrator wrote.
func (s *Store) HomeTexts(ctx context.Context) (texts map[string]string, saved map[string]bool, err error) {
	texts, saved = map[string]string{}, map[string]bool{}
	for _, f := range HomeFields {
		texts[f.Key] = f.Default
	}
	err = s.read(ctx, func(tx *Tx) error {
		rows, err := queryAll(ctx, tx, func(row scanner) (kv [2]string, err error) {
			err = row.Scan(&kv[0], &kv[1])
			return kv, err
		}, `SELECT key, value FROM site_texts`)
		for _, kv := range rows {
			if _, ok := homeField(kv[0]); ok && kv[1] != "" {
				texts[kv[0]], saved[kv[0]] = kv[1], true
			}
		}
		return err
	})
	return texts, saved, err
}

// CheckHomeTexts trims the home page's texts and says what is wrong with
// them, field by field (keyed "text_" + key). An empty text is allowed:
// the page shows the built-in one. Keys that are not HomeFields are
// dropped.
func CheckHomeTexts(texts map[string]string) clinic.FieldErrors {
	fe := clinic.FieldErrors{}
	for k, v := range texts {
		f, ok := homeField(k)
		if !ok {
			delete(texts, k)
			continue
		}
		v = strings.TrimSpace(strings.ReplaceAll(v, "\r\n", "\n"))
		texts[k] = v
		switch {
		case utf8.RuneCountInString(v) > f.Max:
			fe.Add("text_"+k, "Use at most "+strconv.Itoa(f.Max)+" characters.")
		case !f.Markdown && !clinic.SingleLine(v):
			fe.Add("text_"+k, "Write this on one line.")
		case f.Markdown && !clinic.MultiLine(v):
			fe.Add("text_"+k, clinic.TextProblem)
		}
	}
	return fe
}

// SaveHomePage stores the home page as a whole (administrators): its
// headline and intro as the "home" page (with a version kept), and its
// other texts, an empty one going back to the built-in text. Bad fields
// are EInvalid field errors and nothing is saved. Audited as
// site.home.save, with how many texts were written.
func (s *Store) SaveHomePage(ctx context.Context, actor Actor, title, body string, texts map[string]string) error {
	if !actor.may(auth.PermSitePage) {
		return clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	fe := CheckSitePage(&title, &body)
	for k, v := range CheckHomeTexts(texts) {
		fe.Add(k, v)
	}
	if err := fe.Err(); err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error {
		version, err := s.saveSitePageIn(ctx, tx, actor, "home", title, body)
		if err != nil {
			return err
		}
		now, written := s.now(), 0
		for _, f := range HomeFields {
			v, ok := texts[f.Key]
			if !ok {
				continue
			}
			if v == "" || v == f.Default {
				if _, err := tx.Exec(ctx, `DELETE FROM site_texts WHERE key = $1`, f.Key); err != nil {
					return err
				}
				continue
			}
			written++
			if _, err := tx.Exec(ctx, `INSERT INTO site_texts (key, value, updated_at, updated_by) VALUES ($1, $2, $3, $4)
				ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
				f.Key, v, now, actor.UserID); err != nil {
				return err
			}
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "site.home.save", ObjectType: "site_page", ObjectID: "home", Detail: "version=" + version + " texts=" + strconv.Itoa(written)})
	})
}
