-- kapstone schema 0002: patients and care teams, one-time tokens, second
-- factors, emergency access, and the append-only, hash-chained audit log.

-- A person in care. user_id links the portal account once the invitation is accepted.
CREATE TABLE patients (
    id           TEXT PRIMARY KEY,
    user_id      TEXT UNIQUE REFERENCES users (id),
    display_name TEXT NOT NULL,
    email        TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL REFERENCES users (id),
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    archived_at  TIMESTAMP
);

-- Who cares for whom. Removal is soft: removed_at keeps the history.
CREATE TABLE care_team (
    id         TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients (id),
    user_id    TEXT NOT NULL REFERENCES users (id),
    team_role  TEXT NOT NULL CHECK (team_role IN ('therapist', 'prescriber')),
    is_owner   BOOLEAN NOT NULL,
    added_by   TEXT NOT NULL,
    added_at   TIMESTAMP NOT NULL,
    removed_by TEXT NOT NULL DEFAULT '',
    removed_at TIMESTAMP
);
CREATE UNIQUE INDEX care_team_active ON care_team (patient_id, user_id) WHERE removed_at IS NULL;
CREATE INDEX care_team_user ON care_team (user_id, patient_id);

-- Single-use links: first-admin setup, invitations, password resets. Only hashes are stored.
CREATE TABLE auth_tokens (
    token_hash   TEXT PRIMARY KEY,
    purpose      TEXT NOT NULL CHECK (purpose IN ('setup', 'invite', 'reset')),
    user_id      TEXT NOT NULL DEFAULT '',
    email        TEXT NOT NULL DEFAULT '',
    display_name TEXT NOT NULL DEFAULT '',
    role         TEXT NOT NULL DEFAULT '',
    patient_id   TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    used_at      TIMESTAMP
);
CREATE INDEX auth_tokens_user ON auth_tokens (user_id);

CREATE TABLE recovery_codes (
    user_id   TEXT NOT NULL REFERENCES users (id),
    code_hash TEXT NOT NULL,
    used_at   TIMESTAMP,
    PRIMARY KEY (user_id, code_hash)
);

-- Break-glass: a clinician outside the care team opened a chart, with a reason.
CREATE TABLE emergency_access (
    id          TEXT PRIMARY KEY,
    patient_id  TEXT NOT NULL REFERENCES patients (id),
    user_id     TEXT NOT NULL REFERENCES users (id),
    reason      TEXT NOT NULL,
    granted_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    reviewed_by TEXT NOT NULL DEFAULT '',
    reviewed_at TIMESTAMP,
    review_note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX emergency_access_user ON emergency_access (user_id, patient_id, expires_at);
CREATE INDEX emergency_access_review ON emergency_access (reviewed_at, granted_at);

-- The audit log: ids only, never PHI. Each row is chained to the previous by
-- hash and signed with a key kept outside the database.
CREATE TABLE audit_events (
    seq         BIGINT PRIMARY KEY,
    at          TIMESTAMP NOT NULL,
    actor_id    TEXT NOT NULL,
    actor_role  TEXT NOT NULL,
    action      TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    patient_id  TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    client_addr TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    detail      TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL,
    sig         TEXT NOT NULL
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_patient ON audit_events (patient_id, at);
CREATE INDEX audit_events_actor ON audit_events (actor_id, at);
CREATE INDEX audit_events_action_object ON audit_events (action, object_id, at);
CREATE INDEX audit_events_action_addr ON audit_events (action, client_addr, at);

CREATE TABLE audit_checkpoints (
    size   BIGINT PRIMARY KEY,
    head   TEXT NOT NULL,
    at     TIMESTAMP NOT NULL,
    key_id TEXT NOT NULL,
    sig    TEXT NOT NULL
);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
