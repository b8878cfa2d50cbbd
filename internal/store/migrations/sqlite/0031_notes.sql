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
    signed_at      TIMESTAMP,
    content_hash   TEXT NOT NULL DEFAULT '',
    cosigner_id    TEXT NOT NULL DEFAULT '',
    cosigned_at    TIMESTAMP,
    cosign_hash    TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    CHECK (status = 'draft' OR (signed_by <> '' AND signed_at IS NOT NULL AND content_hash <> ''))
);
CREATE INDEX notes_patient ON notes (patient_id, created_at);

CREATE TABLE note_addenda (
    id           TEXT PRIMARY KEY,
    note_id      TEXT NOT NULL REFERENCES notes (id),
    kind         TEXT NOT NULL CHECK (kind IN ('amendment', 'correction', 'clarification')),
    body         TEXT NOT NULL,
    author_id    TEXT NOT NULL,
    signed_at    TIMESTAMP NOT NULL,
    content_hash TEXT NOT NULL
);
CREATE INDEX note_addenda_note ON note_addenda (note_id, signed_at);

CREATE TRIGGER notes_signed_immutable BEFORE UPDATE ON notes
WHEN OLD.status = 'signed'
BEGIN SELECT RAISE(ABORT, 'a signed note cannot change'); END;
CREATE TRIGGER notes_signed_kept BEFORE DELETE ON notes
WHEN OLD.status IN ('signed', 'awaiting_cosign')
BEGIN SELECT RAISE(ABORT, 'a signed note cannot be deleted'); END;
CREATE TRIGGER notes_cosign_locked BEFORE UPDATE ON notes
WHEN OLD.status = 'awaiting_cosign' AND (NEW.status NOT IN ('awaiting_cosign', 'signed')
    OR NEW.id IS NOT OLD.id OR NEW.patient_id IS NOT OLD.patient_id OR NEW.appointment_id IS NOT OLD.appointment_id
    OR NEW.kind IS NOT OLD.kind OR NEW.format IS NOT OLD.format OR NEW.sections IS NOT OLD.sections
    OR NEW.author_id IS NOT OLD.author_id OR NEW.draft_version IS NOT OLD.draft_version OR NEW.signed_by IS NOT OLD.signed_by
    OR NEW.signed_at IS NOT OLD.signed_at OR NEW.content_hash IS NOT OLD.content_hash OR NEW.created_at IS NOT OLD.created_at)
BEGIN SELECT RAISE(ABORT, 'a signed note cannot change'); END;
CREATE TRIGGER note_addenda_no_update BEFORE UPDATE ON note_addenda
BEGIN SELECT RAISE(ABORT, 'note_addenda is append-only'); END;
CREATE TRIGGER note_addenda_no_delete BEFORE DELETE ON note_addenda
BEGIN SELECT RAISE(ABORT, 'note_addenda is append-only'); END;
