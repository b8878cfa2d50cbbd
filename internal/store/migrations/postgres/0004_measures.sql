-- kapstone schema 0004: measurement-based care: instruments assigned to a
-- patient with a cadence, and check-ins (answers and scores). A completed
-- check-in never changes.

CREATE TABLE measure_assignments (
    id          TEXT PRIMARY KEY,
    patient_id  TEXT NOT NULL REFERENCES patients (id),
    instrument  TEXT NOT NULL,
    cadence     TEXT NOT NULL CHECK (cadence IN ('before_session', 'weekly', 'once')),
    assigned_by TEXT NOT NULL,
    assigned_at TIMESTAMPTZ NOT NULL,
    ended_at    TIMESTAMPTZ
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
    started_at   TIMESTAMPTZ NOT NULL,
    completed_at TIMESTAMPTZ
);
CREATE INDEX checkins_patient ON checkins (patient_id, instrument, completed_at);

CREATE FUNCTION kapstone_checkin_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'complete' THEN
        RAISE EXCEPTION 'a completed check-in cannot change';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER checkins_complete_immutable BEFORE UPDATE OR DELETE ON checkins
    FOR EACH ROW EXECUTE FUNCTION kapstone_checkin_immutable();
