-- kapstone schema 0060: what a superbill says besides the ledger (issue 21).
-- A clinician's National Provider Identifier (type 1; "" when not given;
-- checked by clinic.CheckNPI), the patient's postal address, and the
-- patient's diagnoses (ICD-10-CM codes of internal/icd10), in rank order
-- for the superbill (1 is the primary). The practice's address, tax id
-- and NPI are practice settings.
ALTER TABLE users ADD COLUMN npi TEXT NOT NULL DEFAULT '';
ALTER TABLE patients ADD COLUMN address_line1 TEXT NOT NULL DEFAULT '';
ALTER TABLE patients ADD COLUMN address_line2 TEXT NOT NULL DEFAULT '';
ALTER TABLE patients ADD COLUMN address_city TEXT NOT NULL DEFAULT '';
ALTER TABLE patients ADD COLUMN address_state TEXT NOT NULL DEFAULT '';
ALTER TABLE patients ADD COLUMN address_postal_code TEXT NOT NULL DEFAULT '';

-- A diagnosis is added once and removed at most once, each with who and
-- when; rows are never deleted, and only a current diagnosis's rank
-- changes, so the table is the history of the list.
CREATE TABLE patient_diagnoses (
    id         TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients (id),
    code       TEXT NOT NULL,
    text       TEXT NOT NULL,
    rank       INTEGER NOT NULL CHECK (rank >= 1),
    added_by   TEXT NOT NULL REFERENCES users (id),
    added_at   TIMESTAMPTZ NOT NULL,
    removed_by TEXT REFERENCES users (id),
    removed_at TIMESTAMPTZ,
    CHECK ((removed_by IS NULL) = (removed_at IS NULL))
);
CREATE UNIQUE INDEX patient_diagnoses_current ON patient_diagnoses (patient_id, code) WHERE removed_at IS NULL;
CREATE INDEX patient_diagnoses_patient ON patient_diagnoses (patient_id, removed_at, rank);

CREATE FUNCTION kapstone_diagnosis_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'patient_diagnoses are never deleted';
    END IF;
    IF OLD.removed_at IS NOT NULL OR NEW.id IS DISTINCT FROM OLD.id OR NEW.patient_id IS DISTINCT FROM OLD.patient_id
        OR NEW.code IS DISTINCT FROM OLD.code OR NEW.text IS DISTINCT FROM OLD.text
        OR NEW.added_by IS DISTINCT FROM OLD.added_by OR NEW.added_at IS DISTINCT FROM OLD.added_at THEN
        RAISE EXCEPTION 'patient_diagnoses: only a current diagnosis''s rank and removal change';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER patient_diagnoses_history BEFORE UPDATE OR DELETE ON patient_diagnoses
    FOR EACH ROW EXECUTE FUNCTION kapstone_diagnosis_history();
CREATE TRIGGER patient_diagnoses_no_truncate BEFORE TRUNCATE ON patient_diagnoses
    FOR EACH STATEMENT EXECUTE FUNCTION kapstone_append_only();
REVOKE DELETE, TRUNCATE ON patient_diagnoses FROM PUBLIC;
