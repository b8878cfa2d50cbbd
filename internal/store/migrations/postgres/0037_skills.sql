-- kapstone schema 0037: the patient's DBT skills entries and diary card
-- (issue 17, item 2).
--
-- An entry is the patient's own: an emotion log, a cope-ahead plan, a
-- four-options worksheet or one day of the diary card (kind), its answers
-- as JSON (body, checked by internal/clinic/dbt.go), private unless the
-- patient shares it with the care team (shared; shared_at is when it was
-- last shared, for "new shared entries"). The patient edits an entry and
-- changes its sharing; every read and write is audited. A diary card has
-- one entry per day (diary_day, NULL for the other kinds).
-- A cope-ahead plan's reminder is a job (remind_job), made when the plan
-- is saved.
--
-- skill_settings holds what the care team chose for the patient's diary
-- card: the urges it rates (JSON list of ids; the default until set).

CREATE TABLE skill_entries (
    id         TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients (id),
    kind       TEXT NOT NULL CHECK (kind IN ('emotion', 'cope', 'options', 'diary')),
    diary_day  TEXT,
    body       TEXT NOT NULL,
    shared     BOOLEAN NOT NULL,
    shared_at  TIMESTAMPTZ,
    remind_job TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (patient_id, diary_day)
);
CREATE INDEX skill_entries_patient ON skill_entries (patient_id, created_at, id);
CREATE INDEX skill_entries_shared ON skill_entries (patient_id, shared, created_at, id);
CREATE INDEX skill_entries_diary ON skill_entries (patient_id, kind, diary_day);

CREATE TABLE skill_settings (
    patient_id  TEXT PRIMARY KEY REFERENCES patients (id),
    diary_urges TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
