-- kapstone schema 0056: a remote dosing session's chaperone link (issue 20,
-- part 4). The clinician makes a link for the in-person chaperone of a
-- session at home; it opens that session's chaperone page only, with no
-- account. Only the token's SHA-256 is kept (as for every other token), so
-- it is shown once. A session has at most one live link: making a new one
-- revokes the old. A link ends at its expiry, when revoked, and when its
-- session is discharged or stopped (checked on every use). The chaperone's
-- check-ins, help requests and missed check-ins are dosing events (kind
-- 'check', marked in action), on the session's timeline.

CREATE TABLE chaperone_links (
    id          TEXT PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES dosing_sessions (id),
    patient_id  TEXT NOT NULL REFERENCES patients (id),
    token_hash  TEXT NOT NULL UNIQUE,
    created_by  TEXT NOT NULL REFERENCES users (id),
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ,
    revoked_by  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX chaperone_links_session ON chaperone_links (session_id, created_at);
