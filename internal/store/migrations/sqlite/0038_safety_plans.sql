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
    created_at  TIMESTAMP NOT NULL,
    UNIQUE (patient_id, version)
);

CREATE TRIGGER safety_plans_no_update BEFORE UPDATE ON safety_plans
BEGIN SELECT RAISE(ABORT, 'safety_plans is append-only'); END;
CREATE TRIGGER safety_plans_no_delete BEFORE DELETE ON safety_plans
BEGIN SELECT RAISE(ABORT, 'safety_plans is append-only'); END;
