-- kapstone schema 0032: consent documents (issue 16). The practice's
-- consent texts, one row per published version (a published version never
-- changes: a new version is a new row); the patients' signatures on them,
-- in the portal or on paper with a scan; and revocations. All four tables
-- are append-only: triggers refuse every update and delete.

CREATE TABLE consent_documents (
    id                 TEXT PRIMARY KEY,
    kind               TEXT NOT NULL CHECK (kind IN ('kap_informed_consent', 'consent_to_touch', 'telehealth', 'release_to_prescriber', 'communication_preferences')),
    version            INTEGER NOT NULL CHECK (version > 0),
    title              TEXT NOT NULL,
    body               TEXT NOT NULL,
    requires_reconsent BOOLEAN NOT NULL DEFAULT FALSE,
    published_by       TEXT NOT NULL DEFAULT '', -- a user id; '' for kapstone's originals
    published_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (kind, version)
);

-- A paper signature's scan: a PDF or an image checked and written again.
CREATE TABLE consent_scans (
    id           TEXT PRIMARY KEY,
    patient_id   TEXT NOT NULL REFERENCES patients (id),
    content_type TEXT NOT NULL,
    bytes        BYTEA NOT NULL,
    size         INTEGER NOT NULL,
    uploaded_by  TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE consent_signatures (
    id          TEXT PRIMARY KEY,
    patient_id  TEXT NOT NULL REFERENCES patients (id),
    document_id TEXT NOT NULL REFERENCES consent_documents (id),
    method      TEXT NOT NULL CHECK (method IN ('portal', 'paper')),
    typed_name  TEXT NOT NULL,
    agreed      BOOLEAN NOT NULL CHECK (agreed),
    signed_at   TIMESTAMPTZ NOT NULL,
    client_addr TEXT NOT NULL DEFAULT '',
    text_hash   TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    scan_id     TEXT REFERENCES consent_scans (id),
    recorded_at TIMESTAMPTZ NOT NULL,
    CHECK (method <> 'paper' OR scan_id IS NOT NULL)
);
CREATE INDEX consent_signatures_patient ON consent_signatures (patient_id, signed_at);

CREATE TABLE consent_revocations (
    id           TEXT PRIMARY KEY,
    signature_id TEXT NOT NULL UNIQUE REFERENCES consent_signatures (id),
    revoked_by   TEXT NOT NULL,
    revoked_at   TIMESTAMPTZ NOT NULL,
    reason       TEXT NOT NULL
);

CREATE TRIGGER consent_documents_no_change BEFORE UPDATE OR DELETE ON consent_documents
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER consent_documents_no_truncate BEFORE TRUNCATE ON consent_documents
    FOR EACH STATEMENT EXECUTE FUNCTION kapstone_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON consent_documents FROM PUBLIC;

CREATE TRIGGER consent_scans_no_change BEFORE UPDATE OR DELETE ON consent_scans
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER consent_scans_no_truncate BEFORE TRUNCATE ON consent_scans
    FOR EACH STATEMENT EXECUTE FUNCTION kapstone_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON consent_scans FROM PUBLIC;

CREATE TRIGGER consent_signatures_no_change BEFORE UPDATE OR DELETE ON consent_signatures
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER consent_signatures_no_truncate BEFORE TRUNCATE ON consent_signatures
    FOR EACH STATEMENT EXECUTE FUNCTION kapstone_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON consent_signatures FROM PUBLIC;

CREATE TRIGGER consent_revocations_no_change BEFORE UPDATE OR DELETE ON consent_revocations
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER consent_revocations_no_truncate BEFORE TRUNCATE ON consent_revocations
    FOR EACH STATEMENT EXECUTE FUNCTION kapstone_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON consent_revocations FROM PUBLIC;
