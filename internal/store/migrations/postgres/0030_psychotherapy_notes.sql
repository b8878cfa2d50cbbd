-- kapstone schema 0030: psychotherapy notes (issue 16 item 4; SECURITY.md
-- 1.2; 45 CFR 164.501). A mental-health professional's notes on session
-- content, kept apart from the medical record: their own table, read and
-- written by their author only (the store refuses anyone else, admins
-- included), and never shown in the chart's other lists, search, exports,
-- the portal or emergency access.
--
-- The text is never stored in the clear: body_sealed is a seal value
-- (package seal: AES-256-GCM under a data key kept outside the database,
-- the key's id inside the value), bound by its additional data to the
-- table, column, row id, author and patient, so a value copied to another
-- row does not open. There is no title column: a title in the clear would
-- leak what the note is about. The CHECK refuses a value that is not
-- sealed, so no code path can store plain text here.
--
-- A note may belong to one appointment of its patient (the store checks
-- that the appointment is the patient's). version counts saves, so a
-- stale edit (two tabs) is refused instead of overwriting the newer text.

CREATE TABLE psychotherapy_notes (
    id             TEXT PRIMARY KEY,
    patient_id     TEXT NOT NULL REFERENCES patients (id),
    appointment_id TEXT REFERENCES appointments (id),
    author_id      TEXT NOT NULL REFERENCES users (id),
    body_sealed    TEXT NOT NULL CHECK (body_sealed LIKE 'seal1:%'),
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX psychotherapy_notes_author ON psychotherapy_notes (author_id, patient_id, created_at);
