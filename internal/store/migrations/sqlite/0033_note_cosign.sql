-- kapstone schema 0033: co-signature of clinical notes (issue 16). An
-- administrator names, per clinician, the supervisor who co-signs their
-- notes (note_supervisors). A supervisee's signature moves the note to
-- 'awaiting_cosign' naming the co-signer (notes.cosigner_id); the
-- supervisor co-signs (-> 'signed', with cosigned_at and cosign_hash) or
-- returns it to its author with a comment (-> 'draft'; the version
-- returned, its signature and the comment are kept in note_returns,
-- append-only). The trigger of 0031 is replaced: while a note awaits
-- co-signature its content never changes; it may only be co-signed (with
-- the co-signature recorded) or returned (its author's signature cleared,
-- the content as it was).

CREATE TABLE note_supervisors (
    user_id       TEXT PRIMARY KEY REFERENCES users (id),
    supervisor_id TEXT NOT NULL REFERENCES users (id),
    set_by        TEXT NOT NULL,
    set_at        TIMESTAMP NOT NULL,
    CHECK (supervisor_id <> user_id)
);
CREATE INDEX note_supervisors_supervisor ON note_supervisors (supervisor_id);
CREATE INDEX notes_cosigner ON notes (cosigner_id, signed_at) WHERE status = 'awaiting_cosign';

CREATE TABLE note_returns (
    id           TEXT PRIMARY KEY,
    note_id      TEXT NOT NULL REFERENCES notes (id),
    returned_by  TEXT NOT NULL,
    returned_at  TIMESTAMP NOT NULL,
    comment      TEXT NOT NULL,
    format       TEXT NOT NULL,
    sections     TEXT NOT NULL,
    signed_by    TEXT NOT NULL,
    signed_at    TIMESTAMP NOT NULL,
    content_hash TEXT NOT NULL
);
CREATE INDEX note_returns_note ON note_returns (note_id, returned_at);
CREATE TRIGGER note_returns_no_update BEFORE UPDATE ON note_returns
BEGIN SELECT RAISE(ABORT, 'note_returns is append-only'); END;
CREATE TRIGGER note_returns_no_delete BEFORE DELETE ON note_returns
BEGIN SELECT RAISE(ABORT, 'note_returns is append-only'); END;

DROP TRIGGER notes_cosign_locked;
CREATE TRIGGER notes_cosign_locked BEFORE UPDATE ON notes
WHEN OLD.status = 'awaiting_cosign' AND (NEW.status NOT IN ('awaiting_cosign', 'signed', 'draft')
    OR NEW.id IS NOT OLD.id OR NEW.patient_id IS NOT OLD.patient_id OR NEW.appointment_id IS NOT OLD.appointment_id
    OR NEW.kind IS NOT OLD.kind OR NEW.format IS NOT OLD.format OR NEW.sections IS NOT OLD.sections
    OR NEW.author_id IS NOT OLD.author_id OR NEW.created_at IS NOT OLD.created_at
    OR (NEW.status <> 'draft' AND (NEW.draft_version IS NOT OLD.draft_version OR NEW.signed_by IS NOT OLD.signed_by
        OR NEW.signed_at IS NOT OLD.signed_at OR NEW.content_hash IS NOT OLD.content_hash))
    OR (NEW.status = 'signed' AND (NEW.cosigner_id = '' OR NEW.cosigned_at IS NULL OR NEW.cosign_hash = ''))
    OR (NEW.status = 'draft' AND (NEW.signed_by <> '' OR NEW.signed_at IS NOT NULL OR NEW.content_hash <> ''
        OR NEW.cosigner_id <> '' OR NEW.cosigned_at IS NOT NULL OR NEW.cosign_hash <> '')))
BEGIN SELECT RAISE(ABORT, 'a signed note cannot change'); END;

-- Late notes: an attended appointment whose note is not signed more than
-- the practice's number of days after it. appointments.note_signed_at is
-- set by the database when the appointment's note becomes signed (a
-- signed note never changes back, so the mark never goes stale), so the
-- late list reads only appointments still owed a note, through the
-- partial indexes below, however many notes were signed before.
ALTER TABLE appointments ADD COLUMN note_signed_at TIMESTAMP;
UPDATE appointments SET note_signed_at = (SELECT coalesce(n.cosigned_at, n.signed_at) FROM notes n
    WHERE n.appointment_id = appointments.id AND n.status = 'signed');
CREATE TRIGGER notes_signed_mark AFTER UPDATE OF status ON notes
WHEN NEW.status = 'signed'
BEGIN UPDATE appointments SET note_signed_at = coalesce(NEW.cosigned_at, NEW.signed_at) WHERE id = NEW.appointment_id; END;
CREATE TRIGGER notes_signed_mark_insert AFTER INSERT ON notes
WHEN NEW.status = 'signed'
BEGIN UPDATE appointments SET note_signed_at = coalesce(NEW.cosigned_at, NEW.signed_at) WHERE id = NEW.appointment_id; END;
CREATE INDEX appointments_note_due ON appointments (clinician_id, starts_at)
    WHERE outcome = 'attended' AND cancelled_at IS NULL AND note_signed_at IS NULL;
CREATE INDEX appointments_note_due_all ON appointments (starts_at)
    WHERE outcome = 'attended' AND cancelled_at IS NULL AND note_signed_at IS NULL;
