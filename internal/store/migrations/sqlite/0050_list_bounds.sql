-- kapstone schema 0050: lists read a page at a time (issue 18).
--
-- The accounts page lists the patients' accounts (which grow with the
-- practice) and the staff's apart, each by name a page at a time by key
-- (store.Accounts).
CREATE INDEX users_role_name ON users (role, display_name, id);

-- The blog's posts for its editors, the most recently saved first
-- (store.Posts).
CREATE INDEX blog_posts_saved ON blog_posts (updated_at, id);

-- The outcomes export (store.ExportOutcomes) writes its rows
-- as it reads them, a page at a time, in order of each patient's
-- pseudonymous key (a keyed hash of the patient's id under the audit key,
-- which SQL cannot compute), so the key is kept here, made for the patients
-- in an export that have none yet before it is read
-- (store.fillExportKeys). key_id is a keyed hash of nothing under the same
-- key: a key kept under another audit key is made again. The key links an
-- export's rows to a patient only for someone who can read this database,
-- who can link them by their scores anyway.

CREATE TABLE patient_export_keys (
    patient_id TEXT PRIMARY KEY REFERENCES patients (id),
    key_id     TEXT NOT NULL,
    export_key TEXT NOT NULL
);
CREATE INDEX patient_export_keys_order ON patient_export_keys (key_id, export_key, patient_id);
