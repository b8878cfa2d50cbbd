-- kapstone schema 0016: the prescription record and the integration journal
-- (issue 7). A record, not e-prescribing.
--
-- A prescription is recorded by a prescriber on the patient's care team and
-- never changes: the dose changes by adjustment rows (new dose, reason, who,
-- when; the latest counts) and the prescription ends with an end row (one
-- per prescription), after which a new one may be recorded. Each patient's
-- prescriptions and each prescription's adjustments are numbered, so two
-- writers cannot both add "the next one".
--
-- A journal entry is the patient's own, optionally about one dosing session
-- (at most one entry per session). Every save is a new version; the latest
-- counts, and it says whether the patient shares the entry with the care
-- team. Nothing is changed or deleted in place, so no text is ever lost.

CREATE TABLE prescriptions (
    id                  TEXT PRIMARY KEY,
    patient_id          TEXT NOT NULL REFERENCES patients (id),
    number              BIGINT NOT NULL,
    drug                TEXT NOT NULL,
    route               TEXT NOT NULL CHECK (route IN ('sublingual', 'intramuscular', 'intravenous', 'intranasal', 'oral')),
    strength            TEXT NOT NULL,
    dose                TEXT NOT NULL,
    dose_mg             DOUBLE PRECISION,
    sessions_authorised BIGINT NOT NULL CHECK (sessions_authorised BETWEEN 1 AND 24),
    prescriber_id       TEXT NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    UNIQUE (patient_id, number)
);

CREATE TABLE prescription_adjustments (
    id              TEXT PRIMARY KEY,
    prescription_id TEXT NOT NULL REFERENCES prescriptions (id),
    seq             BIGINT NOT NULL,
    dose            TEXT NOT NULL,
    dose_mg         DOUBLE PRECISION,
    reason          TEXT NOT NULL,
    adjusted_by     TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (prescription_id, seq)
);

CREATE TABLE prescription_ends (
    prescription_id TEXT PRIMARY KEY REFERENCES prescriptions (id),
    reason          TEXT NOT NULL,
    ended_by        TEXT NOT NULL,
    ended_at        TIMESTAMPTZ NOT NULL
);

CREATE TABLE journal_entries (
    id         TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients (id),
    session_id TEXT REFERENCES dosing_sessions (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX journal_entries_patient ON journal_entries (patient_id, created_at);
CREATE UNIQUE INDEX journal_entries_session ON journal_entries (session_id);

CREATE TABLE journal_versions (
    id         TEXT PRIMARY KEY,
    entry_id   TEXT NOT NULL REFERENCES journal_entries (id),
    version    BIGINT NOT NULL,
    body       TEXT NOT NULL,
    shared     BOOLEAN NOT NULL,
    author_id  TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (entry_id, version)
);

CREATE TRIGGER prescriptions_no_change BEFORE UPDATE OR DELETE ON prescriptions
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER prescription_adjustments_no_change BEFORE UPDATE OR DELETE ON prescription_adjustments
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER prescription_ends_no_change BEFORE UPDATE OR DELETE ON prescription_ends
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER journal_entries_no_change BEFORE UPDATE OR DELETE ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER journal_versions_no_change BEFORE UPDATE OR DELETE ON journal_versions
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
