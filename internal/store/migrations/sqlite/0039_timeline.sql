-- kapstone schema 0039: the chart's timeline (issue 17). A clinician on the
-- care team marks an item of the patient's timeline (a shared journal
-- entry, a check-in, a session, a signed note...) as discussed. Undoing a
-- mark does not delete it: cleared_at and cleared_by record who took it
-- back and when, and a new mark is a new row. At most one live mark per item.

CREATE TABLE timeline_marks (
    id         TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients (id),
    item_kind  TEXT NOT NULL,
    item_id    TEXT NOT NULL,
    marked_by  TEXT NOT NULL,
    marked_at  TIMESTAMP NOT NULL,
    cleared_by TEXT NOT NULL DEFAULT '',
    cleared_at TIMESTAMP
);
CREATE UNIQUE INDEX timeline_marks_live ON timeline_marks (item_kind, item_id) WHERE cleared_at IS NULL;
CREATE INDEX timeline_marks_patient ON timeline_marks (patient_id, item_kind);

-- The timeline reads each source newest first for one patient; these give
-- the sources that lacked one an index in that order.
CREATE INDEX checkins_patient_done ON checkins (patient_id, completed_at);
CREATE INDEX notes_patient_signed ON notes (patient_id, signed_at);
