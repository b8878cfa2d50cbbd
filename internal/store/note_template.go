package store

import (
	"context"
	"encoding/json"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
)

// Note templates as practice settings (issue 16 item 1): per appointment
// kind, the format a new note starts in and each section's prompt. One
// setting per kind ("note_template.<kind>", JSON); unset or empty is
// kapstone's default (clinic.DefaultNoteTemplate). Each change is a
// setting.change audit row naming the kind. A note keeps the format it
// was started in (stored with the note); only notes started afterwards
// take a new one.

func noteTemplateKey(kind string) string { return "note_template." + kind }

// storedTemplate is a template as stored.
type storedTemplate struct {
	Format  string            `json:"format"`
	Prompts map[string]string `json:"prompts"`
}

// noteTemplateIn is the practice's template for kind, or kapstone's
// default (also for a stored one that no longer reads as valid), and
// whether the practice set its own.
func noteTemplateIn(ctx context.Context, tx *Tx, kind string) (clinic.NoteTemplate, bool, error) {
	def := clinic.DefaultNoteTemplate(kind)
	raw, err := settingIn(ctx, tx, noteTemplateKey(kind), "")
	if err != nil || raw == "" {
		return def, false, err
	}
	var st storedTemplate
	if json.Unmarshal([]byte(raw), &st) != nil {
		return def, false, nil
	}
	t, cerr := clinic.CheckNoteTemplate(clinic.NoteTemplate{Kind: kind, Format: st.Format, Prompts: st.Prompts})
	if cerr != nil {
		return def, false, nil
	}
	return t, true, nil
}

// PracticeNoteTemplate is one appointment kind's template on the
// settings page.
type PracticeNoteTemplate struct {
	clinic.NoteTemplate
	Title  string // the kind's name for people
	Custom bool   // the practice's own, not kapstone's default
}

// NoteTemplates returns every appointment kind's template, in pathway
// order, for an administrator.
func (s *Store) NoteTemplates(ctx context.Context, actor Actor) ([]PracticeNoteTemplate, error) {
	if !actor.may(auth.PermSettings) {
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	var out []PracticeNoteTemplate
	err := s.read(ctx, func(tx *Tx) error {
		for _, at := range clinic.AppointmentTypes {
			t, custom, err := noteTemplateIn(ctx, tx, at.Kind)
			if err != nil {
				return err
			}
			out = append(out, PracticeNoteTemplate{NoteTemplate: t, Title: at.Title, Custom: custom})
		}
		return nil
	})
	return out, err
}

// SaveNoteTemplate stores the practice's template for an appointment
// kind, for an administrator, as clinic.CheckNoteTemplate allows it
// (EInvalid at the field; an unknown kind is ENotFound). Audited as
// setting.change with the format.
func (s *Store) SaveNoteTemplate(ctx context.Context, actor Actor, t clinic.NoteTemplate) error {
	if !actor.may(auth.PermSettings) {
		return clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	if _, ok := clinic.AppointmentTypeOf(t.Kind); !ok {
		return clinic.Errorf(clinic.ENotFound, "We could not find that kind of appointment.")
	}
	t, err := clinic.CheckNoteTemplate(t)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(storedTemplate{Format: t.Format, Prompts: t.Prompts})
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error {
		return s.setSettingDetail(ctx, tx, actor, noteTemplateKey(t.Kind), string(raw), "format "+t.Format)
	})
}

// ResetNoteTemplate puts kapstone's default template back for an
// appointment kind, for an administrator. Audited as setting.change.
func (s *Store) ResetNoteTemplate(ctx context.Context, actor Actor, kind string) error {
	if !actor.may(auth.PermSettings) {
		return clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	if _, ok := clinic.AppointmentTypeOf(kind); !ok {
		return clinic.Errorf(clinic.ENotFound, "We could not find that kind of appointment.")
	}
	return s.write(ctx, func(tx *Tx) error {
		return s.setSettingDetail(ctx, tx, actor, noteTemplateKey(kind), "", "reset to kapstone's default")
	})
}

// FormatTitle is the template's format for people ("SOAP").
func (t PracticeNoteTemplate) FormatTitle() string {
	f, _ := clinic.NoteFormatOf(t.Format)
	return f.Title
}
