-- kapstone schema 0038: the safety plan (issue 17). One row per saved
-- version; the newest version of a patient is their plan. Rows are never
-- changed or deleted, so who wrote what, and when, stays readable by the
-- patient and their care team. sections is JSON (section key -> lines),
-- never queried inside.

CREATE TABLE safety_plans (
    id          TEXT PRIMARY KEY,
    patient_id  TEXT NOT NULL REFERENCES patients (id),
    version     BIGINT NOT NULL,
    sections    TEXT NOT NULL DEFAULT '{}',
    author_id   TEXT NOT NULL,
    author_role TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (patient_id, version)
);

CREATE TRIGGER safety_plans_no_change BEFORE UPDATE OR DELETE ON safety_plans
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER safety_plans_no_truncate BEFORE TRUNCATE ON safety_plans
    FOR EACH STATEMENT EXECUTE FUNCTION kapstone_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON safety_plans FROM PUBLIC;
