-- kapstone schema 0031: clinical (progress) notes (issue 16). One note per
-- appointment. A draft is its author's to change (draft_version makes
-- every save optimistic: a stale save is refused, never overwrites). Signing
-- is one UPDATE from draft to signed that records who, when and the content
-- hash; from then on the row never changes and is never deleted (the
-- triggers below, like the audit log's). Changes after signing are addenda:
-- append-only rows, each signed with its own hash.
--
-- Co-signature (a later change) fits without a new table: the author signs
-- into 'awaiting_cosign' (content locked: only the status and the cosign
-- columns may change, and only towards 'signed'), and the supervisor named
-- in cosigner_id co-signs, recording cosigned_at and cosign_hash.

CREATE TABLE notes (
    id             TEXT PRIMARY KEY,
    patient_id     TEXT NOT NULL REFERENCES patients (id),
    appointment_id TEXT NOT NULL UNIQUE REFERENCES appointments (id),
    kind           TEXT NOT NULL,
    format         TEXT NOT NULL CHECK (format IN ('soap', 'dap', 'birp')),
    sections       TEXT NOT NULL DEFAULT '{}',
    author_id      TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('draft', 'awaiting_cosign', 'signed')),
    draft_version  BIGINT NOT NULL DEFAULT 1,
    signed_by      TEXT NOT NULL DEFAULT '',
    signed_at      TIMESTAMPTZ,
    content_hash   TEXT NOT NULL DEFAULT '',
    cosigner_id    TEXT NOT NULL DEFAULT '',
    cosigned_at    TIMESTAMPTZ,
    cosign_hash    TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    CHECK (status = 'draft' OR (signed_by <> '' AND signed_at IS NOT NULL AND content_hash <> ''))
);
CREATE INDEX notes_patient ON notes (patient_id, created_at);

CREATE TABLE note_addenda (
    id           TEXT PRIMARY KEY,
    note_id      TEXT NOT NULL REFERENCES notes (id),
    kind         TEXT NOT NULL CHECK (kind IN ('amendment', 'correction', 'clarification')),
    body         TEXT NOT NULL,
    author_id    TEXT NOT NULL,
    signed_at    TIMESTAMPTZ NOT NULL,
    content_hash TEXT NOT NULL
);
CREATE INDEX note_addenda_note ON note_addenda (note_id, signed_at);

CREATE FUNCTION kapstone_note_signed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'signed' THEN
        RAISE EXCEPTION 'a signed note cannot change';
    END IF;
    IF OLD.status = 'awaiting_cosign' THEN
        IF TG_OP = 'DELETE' OR NEW.status NOT IN ('awaiting_cosign', 'signed')
            OR (NEW.id, NEW.patient_id, NEW.appointment_id, NEW.kind, NEW.format, NEW.sections, NEW.author_id,
                NEW.draft_version, NEW.signed_by, NEW.signed_at, NEW.content_hash, NEW.created_at)
            IS DISTINCT FROM (OLD.id, OLD.patient_id, OLD.appointment_id, OLD.kind, OLD.format, OLD.sections, OLD.author_id,
                OLD.draft_version, OLD.signed_by, OLD.signed_at, OLD.content_hash, OLD.created_at) THEN
            RAISE EXCEPTION 'a signed note cannot change';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER notes_signed_immutable BEFORE UPDATE OR DELETE ON notes
    FOR EACH ROW EXECUTE FUNCTION kapstone_note_signed();
CREATE TRIGGER notes_no_truncate BEFORE TRUNCATE ON notes
    FOR EACH STATEMENT EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER note_addenda_no_change BEFORE UPDATE OR DELETE ON note_addenda
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER note_addenda_no_truncate BEFORE TRUNCATE ON note_addenda
    FOR EACH STATEMENT EXECUTE FUNCTION kapstone_append_only();
