-- kapstone schema 0033: co-signature of clinical notes (issue 16). An
-- administrator names, per clinician, the supervisor who co-signs their
-- notes (note_supervisors). A supervisee's signature moves the note to
-- 'awaiting_cosign' naming the co-signer (notes.cosigner_id); the
-- supervisor co-signs (-> 'signed', with cosigned_at and cosign_hash) or
-- returns it to its author with a comment (-> 'draft'; the version
-- returned, its signature and the comment are kept in note_returns,
-- append-only). The trigger function of 0031 is replaced: while a note
-- awaits co-signature its content never changes; it may only be co-signed
-- (with the co-signature recorded) or returned (its author's signature
-- cleared, the content as it was).

CREATE TABLE note_supervisors (
    user_id       TEXT PRIMARY KEY REFERENCES users (id),
    supervisor_id TEXT NOT NULL REFERENCES users (id),
    set_by        TEXT NOT NULL,
    set_at        TIMESTAMPTZ NOT NULL,
    CHECK (supervisor_id <> user_id)
);
CREATE INDEX note_supervisors_supervisor ON note_supervisors (supervisor_id);
CREATE INDEX notes_cosigner ON notes (cosigner_id, signed_at) WHERE status = 'awaiting_cosign';

CREATE TABLE note_returns (
    id           TEXT PRIMARY KEY,
    note_id      TEXT NOT NULL REFERENCES notes (id),
    returned_by  TEXT NOT NULL,
    returned_at  TIMESTAMPTZ NOT NULL,
    comment      TEXT NOT NULL,
    format       TEXT NOT NULL,
    sections     TEXT NOT NULL,
    signed_by    TEXT NOT NULL,
    signed_at    TIMESTAMPTZ NOT NULL,
    content_hash TEXT NOT NULL
);
CREATE INDEX note_returns_note ON note_returns (note_id, returned_at);
CREATE TRIGGER note_returns_no_change BEFORE UPDATE OR DELETE ON note_returns
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER note_returns_no_truncate BEFORE TRUNCATE ON note_returns
    FOR EACH STATEMENT EXECUTE FUNCTION kapstone_append_only();

CREATE OR REPLACE FUNCTION kapstone_note_signed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'signed' THEN
        RAISE EXCEPTION 'a signed note cannot change';
    END IF;
    IF OLD.status = 'awaiting_cosign' THEN
        IF TG_OP = 'DELETE' OR NEW.status NOT IN ('awaiting_cosign', 'signed', 'draft')
            OR (NEW.id, NEW.patient_id, NEW.appointment_id, NEW.kind, NEW.format, NEW.sections, NEW.author_id, NEW.created_at)
            IS DISTINCT FROM (OLD.id, OLD.patient_id, OLD.appointment_id, OLD.kind, OLD.format, OLD.sections, OLD.author_id, OLD.created_at) THEN
            RAISE EXCEPTION 'a signed note cannot change';
        END IF;
        IF NEW.status <> 'draft' AND (NEW.draft_version, NEW.signed_by, NEW.signed_at, NEW.content_hash)
            IS DISTINCT FROM (OLD.draft_version, OLD.signed_by, OLD.signed_at, OLD.content_hash) THEN
            RAISE EXCEPTION 'a signed note cannot change';
        END IF;
        IF NEW.status = 'signed' AND (NEW.cosigner_id = '' OR NEW.cosigned_at IS NULL OR NEW.cosign_hash = '') THEN
            RAISE EXCEPTION 'a co-signature must be recorded';
        END IF;
        IF NEW.status = 'draft' AND (NEW.signed_by <> '' OR NEW.signed_at IS NOT NULL OR NEW.content_hash <> ''
            OR NEW.cosigner_id <> '' OR NEW.cosigned_at IS NOT NULL OR NEW.cosign_hash <> '') THEN
            RAISE EXCEPTION 'a returned note keeps no signature';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;

-- Late notes: an attended appointment whose note is not signed more than
-- the practice's number of days after it. appointments.note_signed_at is
-- set by the database when the appointment's note becomes signed (a
-- signed note never changes back, so the mark never goes stale), so the
-- late list reads only appointments still owed a note, through the
-- partial indexes below, however many notes were signed before.
ALTER TABLE appointments ADD COLUMN note_signed_at TIMESTAMPTZ;
UPDATE appointments SET note_signed_at = (SELECT coalesce(n.cosigned_at, n.signed_at) FROM notes n
    WHERE n.appointment_id = appointments.id AND n.status = 'signed');
CREATE FUNCTION kapstone_note_signed_mark() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE appointments SET note_signed_at = coalesce(NEW.cosigned_at, NEW.signed_at) WHERE id = NEW.appointment_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER notes_signed_mark AFTER INSERT OR UPDATE OF status ON notes
    FOR EACH ROW WHEN (NEW.status = 'signed') EXECUTE FUNCTION kapstone_note_signed_mark();
CREATE INDEX appointments_note_due ON appointments (clinician_id, starts_at)
    WHERE outcome = 'attended' AND cancelled_at IS NULL AND note_signed_at IS NULL;
CREATE INDEX appointments_note_due_all ON appointments (starts_at)
    WHERE outcome = 'attended' AND cancelled_at IS NULL AND note_signed_at IS NULL;
