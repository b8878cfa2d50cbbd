-- kapstone schema 0003: the chart (patient details, course of treatment and
-- its stages), intake (versioned), evaluation, medical clearance with
-- overrides, and the therapist-prescriber consult thread.

ALTER TABLE patients ADD COLUMN legal_name TEXT NOT NULL DEFAULT '';
ALTER TABLE patients ADD COLUMN pronouns TEXT NOT NULL DEFAULT '';
ALTER TABLE patients ADD COLUMN birth_date TEXT NOT NULL DEFAULT '';
ALTER TABLE patients ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE patients ADD COLUMN emergency_name TEXT NOT NULL DEFAULT '';
ALTER TABLE patients ADD COLUMN emergency_phone TEXT NOT NULL DEFAULT '';
ALTER TABLE patients ADD COLUMN emergency_relation TEXT NOT NULL DEFAULT '';
ALTER TABLE patients ADD COLUMN support_name TEXT NOT NULL DEFAULT '';
ALTER TABLE patients ADD COLUMN support_phone TEXT NOT NULL DEFAULT '';
ALTER TABLE patients ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
ALTER TABLE patients ADD COLUMN stage TEXT NOT NULL DEFAULT 'inquiry';
ALTER TABLE patients ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
CREATE INDEX patients_stage ON patients (stage);

-- Every stage change of a patient's course, for the timeline.
CREATE TABLE stage_changes (
    id         TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients (id),
    from_stage TEXT NOT NULL,
    to_stage   TEXT NOT NULL,
    reason     TEXT NOT NULL,
    actor_id   TEXT NOT NULL,
    at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX stage_changes_patient ON stage_changes (patient_id, at);

-- The intake questionnaire: every save is a new version; the latest counts.
CREATE TABLE intakes (
    id         TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients (id),
    version    BIGINT NOT NULL,
    submitted  BOOLEAN NOT NULL,
    body       TEXT NOT NULL,
    author_id  TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (patient_id, version)
);

-- The therapist's psychological evaluation (a new row for each revision).
CREATE TABLE evaluations (
    id             TEXT PRIMARY KEY,
    patient_id     TEXT NOT NULL REFERENCES patients (id),
    recommendation TEXT NOT NULL CHECK (recommendation IN ('suitable', 'not_suitable', 'needs_information')),
    summary        TEXT NOT NULL,
    author_id      TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX evaluations_patient ON evaluations (patient_id, created_at);

-- The prescriber's medical clearance decisions; the latest counts.
CREATE TABLE clearances (
    id             TEXT PRIMARY KEY,
    patient_id     TEXT NOT NULL REFERENCES patients (id),
    decision       TEXT NOT NULL CHECK (decision IN ('cleared', 'not_cleared', 'needs_information')),
    reason         TEXT NOT NULL,
    intake_version BIGINT NOT NULL,
    prescriber_id  TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX clearances_patient ON clearances (patient_id, created_at);

-- A prescriber's written override of one exclude flag, tied to the clearance.
CREATE TABLE flag_overrides (
    clearance_id TEXT NOT NULL REFERENCES clearances (id),
    flag_key     TEXT NOT NULL,
    reason       TEXT NOT NULL,
    PRIMARY KEY (clearance_id, flag_key)
);

-- The therapist-prescriber consult thread about one patient.
CREATE TABLE consult_messages (
    id         TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients (id),
    author_id  TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX consult_messages_patient ON consult_messages (patient_id, created_at);

CREATE TABLE consult_reads (
    patient_id   TEXT NOT NULL REFERENCES patients (id),
    user_id      TEXT NOT NULL,
    last_read_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (patient_id, user_id)
);

-- Appointments (scheduling proper comes later): a dosing session may be
-- booked only for a patient with current medical clearance (checked in the store).
CREATE TABLE appointments (
    id          TEXT PRIMARY KEY,
    patient_id  TEXT NOT NULL REFERENCES patients (id),
    kind        TEXT NOT NULL CHECK (kind IN ('preparation', 'dosing', 'integration', 'other')),
    starts_at   TIMESTAMPTZ NOT NULL,
    minutes     BIGINT NOT NULL,
    clinician_id TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    cancelled_at TIMESTAMPTZ
);
CREATE INDEX appointments_patient ON appointments (patient_id, starts_at);

-- Safety alerts: a suicide-risk answer raises one for the care team; it
-- stays open until a clinician acknowledges it.
CREATE TABLE safety_alerts (
    id              TEXT PRIMARY KEY,
    patient_id      TEXT NOT NULL REFERENCES patients (id),
    source          TEXT NOT NULL,
    signal          TEXT NOT NULL DEFAULT '',
    raised_at       TIMESTAMPTZ NOT NULL,
    last_signal_at  TIMESTAMPTZ NOT NULL,
    acknowledged_by TEXT NOT NULL DEFAULT '',
    acknowledged_at TIMESTAMPTZ,
    ack_note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX safety_alerts_open ON safety_alerts (patient_id, acknowledged_at);
