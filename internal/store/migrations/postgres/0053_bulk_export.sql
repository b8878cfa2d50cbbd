-- kapstone schema 0053: FHIR Bulk Data export (issue 19). A member of
-- staff kicks off an export (GET /fhir/Patient/$export or
-- /fhir/Group/{id}/$export); a row here holds the request and its
-- progress, a job (kind fhir.export) gathers each patient's record through
-- the store's access policy as that user, and writes the NDJSON lines of
-- each resource type a part at a time into bulk_export_files, together
-- with the cursor (the last patient done), so a job cut short resumes
-- where it stopped and two instances share the work. Only the export's
-- owner reads its status and files; both are deleted by DELETE of the
-- status URL or when they expire (a sweep job).

CREATE TABLE bulk_exports (
    id               TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES users (id),
    request          TEXT NOT NULL,
    base             TEXT NOT NULL,
    group_id         TEXT NOT NULL DEFAULT '',
    types            TEXT NOT NULL DEFAULT '',
    since            TIMESTAMPTZ,
    deidentify       BOOLEAN NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
    transaction_time TIMESTAMPTZ NOT NULL,
    after_patient    TEXT NOT NULL DEFAULT '',
    patients_done    INTEGER NOT NULL DEFAULT 0,
    patients_total   INTEGER NOT NULL DEFAULT 0,
    error            TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMPTZ NOT NULL,
    finished_at      TIMESTAMPTZ,
    expires_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX bulk_exports_user ON bulk_exports (user_id, created_at);
CREATE INDEX bulk_exports_expires ON bulk_exports (expires_at);

CREATE TABLE bulk_export_files (
    export_id TEXT NOT NULL REFERENCES bulk_exports (id) ON DELETE CASCADE,
    type      TEXT NOT NULL,
    part      INTEGER NOT NULL,
    lines     INTEGER NOT NULL,
    body      BYTEA NOT NULL,
    PRIMARY KEY (export_id, type, part)
);
