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
    dose_at       TIMESTAMPTZ NOT NULL,
    filled_at     TIMESTAMPTZ NOT NULL,
    created_by    TEXT NOT NULL REFERENCES users (id),
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    signed_by     TEXT REFERENCES users (id),
    signed_at     TIMESTAMPTZ,
    submitted_at  TIMESTAMPTZ,
    submitted_how TEXT NOT NULL DEFAULT '',
    submitted_by  TEXT REFERENCES users (id),
    UNIQUE (session_id, version),
    CHECK ((signed_by IS NULL) = (signed_at IS NULL)),
    CHECK (submitted_at IS NULL OR (signed_at IS NOT NULL AND submitted_how <> '' AND submitted_by IS NOT NULL)),
    CHECK ((version = 1) = (replaces_id IS NULL))
);
CREATE INDEX rems_forms_unsubmitted ON rems_forms (dose_at, id) WHERE submitted_at IS NULL;

CREATE FUNCTION kapstone_rems_form_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.patient_id IS DISTINCT FROM (SELECT patient_id FROM dosing_sessions WHERE id = NEW.session_id) THEN
            RAISE EXCEPTION 'rems_forms: the session is another patient''s';
        END IF;
        RETURN NEW;
    END IF;
    IF OLD.signed_at IS NOT NULL AND (OLD.submitted_at IS NOT NULL OR NEW.fields IS DISTINCT FROM OLD.fields
        OR NEW.signed_at IS DISTINCT FROM OLD.signed_at OR NEW.signed_by IS DISTINCT FROM OLD.signed_by
        OR NEW.session_id IS DISTINCT FROM OLD.session_id OR NEW.patient_id IS DISTINCT FROM OLD.patient_id
        OR NEW.version IS DISTINCT FROM OLD.version OR NEW.dose_at IS DISTINCT FROM OLD.dose_at
        OR NEW.filled_at IS DISTINCT FROM OLD.filled_at OR NEW.replaces_id IS DISTINCT FROM OLD.replaces_id) THEN
        RAISE EXCEPTION 'rems_forms: a signed form never changes';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER rems_forms_check BEFORE INSERT OR UPDATE ON rems_forms
    FOR EACH ROW EXECUTE FUNCTION kapstone_rems_form_check();
CREATE TRIGGER rems_forms_no_delete BEFORE DELETE ON rems_forms
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER rems_forms_no_truncate BEFORE TRUNCATE ON rems_forms
    FOR EACH STATEMENT EXECUTE FUNCTION kapstone_append_only();
