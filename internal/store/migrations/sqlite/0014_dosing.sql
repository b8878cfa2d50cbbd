-- kapstone schema 0014: the dosing session (issue 7). A session goes
-- gate → ready (every pre-dose gate item recorded and the gate passed) →
-- dosed → discharged, or is stopped before the dose. Gate items, vitals and
-- events are append-only: each is recorded with who and when, never
-- changed. Vitals and events carry the client's own id so a retry after a
-- dropped connection records them once.

CREATE TABLE dosing_sessions (
    id             TEXT PRIMARY KEY,
    patient_id     TEXT NOT NULL REFERENCES patients (id),
    appointment_id TEXT NOT NULL DEFAULT '',
    clinician_id   TEXT NOT NULL,
    remote         BOOLEAN NOT NULL DEFAULT FALSE,
    chaperone      TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL CHECK (status IN ('gate', 'ready', 'dosed', 'discharged', 'stopped')),
    created_at     TIMESTAMP NOT NULL,
    gate_passed_at TIMESTAMP,
    gate_passed_by TEXT NOT NULL DEFAULT '',
    dose_at        TIMESTAMP,
    dose_amount    TEXT NOT NULL DEFAULT '',
    dose_route     TEXT NOT NULL DEFAULT '',
    dose_lot       TEXT NOT NULL DEFAULT '',
    dosed_by       TEXT NOT NULL DEFAULT '',
    discharged_at  TIMESTAMP,
    discharged_by  TEXT NOT NULL DEFAULT '',
    discharge      TEXT NOT NULL DEFAULT '',
    stopped_at     TIMESTAMP,
    stop_reason    TEXT NOT NULL DEFAULT '',
    updated_at     TIMESTAMP NOT NULL
);
CREATE INDEX dosing_sessions_patient ON dosing_sessions (patient_id, created_at);

CREATE TABLE dosing_gate_items (
    id          TEXT PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES dosing_sessions (id),
    item        TEXT NOT NULL,
    value       TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    recorded_by TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX dosing_gate_items_session ON dosing_gate_items (session_id, recorded_at);

CREATE TABLE dosing_vitals (
    id          TEXT PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES dosing_sessions (id),
    client_id   TEXT NOT NULL,
    phase       TEXT NOT NULL CHECK (phase IN ('pre_dose', 'after_dose', 'pre_discharge', 'check')),
    systolic    BIGINT,
    diastolic   BIGINT,
    heart_rate  BIGINT,
    spo2        BIGINT,
    level       TEXT NOT NULL CHECK (level IN ('ok', 'caution', 'hold')),
    recorded_by TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    UNIQUE (session_id, client_id)
);

CREATE TABLE dosing_events (
    id          TEXT PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES dosing_sessions (id),
    client_id   TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('note', 'adverse', 'check', 'vitals')),
    adverse     TEXT NOT NULL DEFAULT '',
    severity    TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL DEFAULT '',
    recorded_by TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    UNIQUE (session_id, client_id)
);
