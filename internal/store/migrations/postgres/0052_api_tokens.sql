-- kapstone schema 0052: personal API tokens (issue 19). A user makes a
-- token in their account settings (or an operator with
-- `kapstone token create`) and a script or app sends it as
-- `Authorization: Bearer <token>` to the FHIR API, acting as that user
-- under the same access policy. Only the token's SHA-256 is kept (as for
-- every other token), so it is shown once. Each token has a label, a scope
-- ('read' or 'write') and an expiry (required, at most a year); revoking
-- it, or disabling its account, ends it at once. last_used_at moves at
-- most once a minute, so API reads do not each become a write.

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    label        TEXT NOT NULL,
    scope        TEXT NOT NULL CHECK (scope IN ('read', 'write')),
    token_hash   TEXT NOT NULL UNIQUE,
    created_by   TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ,
    revoked_by   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX api_tokens_user ON api_tokens (user_id, expires_at);
