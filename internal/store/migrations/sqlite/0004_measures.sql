-- kapstone schema 0004: measurement-based care: instruments assigned to a
-- patient with a cadence, and check-ins (answers and scores). A completed
-- check-in never changes.

CREATE TABLE measure_assignments (
    id          TEXT PRIMARY KEY,
    patient_id  TEXT NOT NULL REFERENCES patients (id),
    instrument  TEXT NOT NULL,
    cadence     TEXT NOT NULL CHECK (cadence IN ('before_session', 'weekly', 'once')),
    assigned_by TEXT NOT NULL,
    assigned_at TIMESTAMP NOT NULL,
    ended_at    TIMESTAMP
);
CREATE INDEX measure_assignments_patient ON measure_assignments (patient_id, ended_at);

CREATE TABLE checkins (
    id           TEXT PRIMARY KEY,
    patient_id   TEXT NOT NULL REFERENCES patients (id),
    instrument   TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('in_progress', 'complete')),
    answers      TEXT NOT NULL,
    total        BIGINT,
    band         TEXT NOT NULL DEFAULT '',
    risk         TEXT NOT NULL DEFAULT '',
    author_id    TEXT NOT NULL,
    started_at   TIMESTAMP NOT NULL,
    completed_at TIMESTAMP
);
CREATE INDEX checkins_patient ON checkins (patient_id, instrument, completed_at);

CREATE TRIGGER checkins_complete_immutable BEFORE UPDATE ON checkins
WHEN OLD.status = 'complete'
BEGIN SELECT RAISE(ABORT, 'a completed check-in cannot change'); END;
CREATE TRIGGER checkins_complete_kept BEFORE DELETE ON checkins
WHEN OLD.status = 'complete'
BEGIN SELECT RAISE(ABORT, 'a completed check-in cannot be deleted'); END;
