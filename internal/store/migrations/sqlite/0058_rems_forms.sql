-- kapstone schema 0058: the Spravato REMS patient monitoring form (issue 20,
-- part 3; rules and sources in internal/rems). One form per dosing session
-- of a REMS product, in versions: a signed version never changes (the
-- database refuses it), except that its submission may be recorded once;
-- a correction is a new version naming the one it replaces. Forms are
-- never deleted. The fields are kept as one JSON document (rems.Form).
CREATE TABLE rems_forms (
    id            TEXT PRIMARY KEY,
    session_id    TEXT NOT NULL REFERENCES dosing_sessions (id),
    patient_id    TEXT NOT NULL REFERENCES patients (id),
    version       INTEGER NOT NULL CHECK (version >= 1),
    replaces_id   TEXT REFERENCES rems_forms (id),
    fields        TEXT NOT NULL,
    dose_at       TIMESTAMP NOT NULL,
    filled_at     TIMESTAMP NOT NULL,
    created_by    TEXT NOT NULL REFERENCES users (id),
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    signed_by     TEXT REFERENCES users (id),
    signed_at     TIMESTAMP,
    submitted_at  TIMESTAMP,
    submitted_how TEXT NOT NULL DEFAULT '',
    submitted_by  TEXT REFERENCES users (id),
    UNIQUE (session_id, version),
    CHECK ((signed_by IS NULL) = (signed_at IS NULL)),
    CHECK (submitted_at IS NULL OR (signed_at IS NOT NULL AND submitted_how <> '' AND submitted_by IS NOT NULL)),
    CHECK ((version = 1) = (replaces_id IS NULL))
);
CREATE INDEX rems_forms_unsubmitted ON rems_forms (dose_at, id) WHERE submitted_at IS NULL;

CREATE TRIGGER rems_forms_signed BEFORE UPDATE ON rems_forms
WHEN OLD.signed_at IS NOT NULL AND (OLD.submitted_at IS NOT NULL OR NEW.fields IS NOT OLD.fields
    OR NEW.signed_at IS NOT OLD.signed_at OR NEW.signed_by IS NOT OLD.signed_by OR NEW.session_id IS NOT OLD.session_id
    OR NEW.patient_id IS NOT OLD.patient_id OR NEW.version IS NOT OLD.version OR NEW.dose_at IS NOT OLD.dose_at
    OR NEW.filled_at IS NOT OLD.filled_at OR NEW.replaces_id IS NOT OLD.replaces_id)
BEGIN SELECT RAISE(ABORT, 'rems_forms: a signed form never changes'); END;
CREATE TRIGGER rems_forms_session BEFORE INSERT ON rems_forms
WHEN NEW.patient_id IS NOT (SELECT patient_id FROM dosing_sessions WHERE id = NEW.session_id)
BEGIN SELECT RAISE(ABORT, 'rems_forms: the session is another patient''s'); END;
CREATE TRIGGER rems_forms_no_delete BEFORE DELETE ON rems_forms
BEGIN SELECT RAISE(ABORT, 'rems_forms are never deleted'); END;
