-- kapstone schema 0013: the full set of appointment types (intake and
-- screening, medical evaluation, preparation, dosing, integration,
-- follow-up, other), and an index for each clinician's day. SQLite cannot
-- change a CHECK constraint in place, so the table is rebuilt with the same
-- columns and data (nothing references appointments by foreign key).

CREATE TABLE appointments_new (
    id            TEXT PRIMARY KEY,
    patient_id    TEXT NOT NULL REFERENCES patients (id),
    kind          TEXT NOT NULL CHECK (kind IN ('intake', 'medical_evaluation', 'preparation', 'dosing', 'integration', 'follow_up', 'other')),
    starts_at     TIMESTAMP NOT NULL,
    minutes       BIGINT NOT NULL,
    clinician_id  TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    cancelled_at  TIMESTAMP,
    cancel_reason TEXT NOT NULL DEFAULT '',
    cancelled_by  TEXT NOT NULL DEFAULT '',
    outcome       TEXT NOT NULL DEFAULT '' CHECK (outcome IN ('', 'attended', 'no_show')),
    move_reason   TEXT NOT NULL DEFAULT '',
    sequence      BIGINT NOT NULL DEFAULT 0,
    updated_at    TIMESTAMP,
    room_id       TEXT NOT NULL DEFAULT '',
    remote        BOOLEAN NOT NULL DEFAULT FALSE,
    video_link    TEXT NOT NULL DEFAULT '',
    chaperone     TEXT NOT NULL DEFAULT ''
);
INSERT INTO appointments_new (id, patient_id, kind, starts_at, minutes, clinician_id, created_by, created_at, cancelled_at,
    cancel_reason, cancelled_by, outcome, move_reason, sequence, updated_at, room_id, remote, video_link, chaperone)
SELECT id, patient_id, kind, starts_at, minutes, clinician_id, created_by, created_at, cancelled_at,
    cancel_reason, cancelled_by, outcome, move_reason, sequence, updated_at, room_id, remote, video_link, chaperone
FROM appointments;
DROP TABLE appointments;
ALTER TABLE appointments_new RENAME TO appointments;
CREATE INDEX appointments_patient ON appointments (patient_id, starts_at);
CREATE INDEX appointments_room ON appointments (room_id, starts_at);
CREATE INDEX appointments_clinician ON appointments (clinician_id, starts_at);
