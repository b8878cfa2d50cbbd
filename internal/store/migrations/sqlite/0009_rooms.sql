-- kapstone schema 0009: rooms as bookable resources. A room marked for
-- dosing has what a dosing session needs (a reclining seat, quiet, privacy,
-- monitoring equipment); only such a room takes a dosing appointment.

CREATE TABLE rooms (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    dosing      BOOLEAN NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    archived_at TIMESTAMP
);
CREATE UNIQUE INDEX rooms_name ON rooms (name) WHERE archived_at IS NULL;

ALTER TABLE appointments ADD COLUMN room_id TEXT NOT NULL DEFAULT '';
CREATE INDEX appointments_room ON appointments (room_id, starts_at);
