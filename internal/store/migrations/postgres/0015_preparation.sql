-- kapstone schema 0015: the preparation record (issue 7). One row per saved
-- version; the newest version of a patient is their record. Rows are never
-- changed or deleted, so the history of consent to touch (when it was
-- given, narrowed or withdrawn, and by whom) is kept.

CREATE TABLE preparations (
    id            TEXT PRIMARY KEY,
    patient_id    TEXT NOT NULL REFERENCES patients (id),
    version       BIGINT NOT NULL,
    intentions    TEXT NOT NULL DEFAULT '',
    music         TEXT NOT NULL DEFAULT '',
    scent         TEXT NOT NULL DEFAULT '',
    eye_shades    TEXT NOT NULL DEFAULT '' CHECK (eye_shades IN ('', 'yes', 'no')),
    lighting      TEXT NOT NULL DEFAULT '',
    present       TEXT NOT NULL DEFAULT '',
    touch         TEXT NOT NULL DEFAULT '' CHECK (touch IN ('', 'none', 'safety', 'therapeutic')),
    touch_detail  TEXT NOT NULL DEFAULT '',
    support_name  TEXT NOT NULL DEFAULT '',
    support_phone TEXT NOT NULL DEFAULT '',
    ride_home     TEXT NOT NULL DEFAULT '',
    author_id     TEXT NOT NULL,
    author_role   TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (patient_id, version),
    CHECK (touch <> 'therapeutic' OR touch_detail <> '')
);

CREATE TRIGGER preparations_no_change BEFORE UPDATE OR DELETE ON preparations
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER preparations_no_truncate BEFORE TRUNCATE ON preparations
    FOR EACH STATEMENT EXECUTE FUNCTION kapstone_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON preparations FROM PUBLIC;
