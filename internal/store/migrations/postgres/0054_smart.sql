-- kapstone schema 0054: SMART App Launch 2 and backend services (issue 19).
-- An administrator registers each app as a smart_client: a public app (a
-- person authorises it in the browser; exact redirect URIs, PKCE S256) or
-- a backend client (client_credentials with a JWT signed by a key of its
-- registered JWKS, acting as the account user_id). scopes is what the app
-- may ever be granted. oauth_codes holds authorization codes by their
-- SHA-256, single use (used_at, and the token they gave, revoked when a
-- code is used twice), living a minute. oauth_jti remembers each client
-- assertion's jti until it expires, so a replay is refused on every
-- instance. The access tokens themselves are api_tokens rows (hashed,
-- expiring, revocable) that name their client, their granted SMART scopes
-- and their patient context.

CREATE TABLE smart_clients (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('public', 'backend')),
    redirect_uris TEXT NOT NULL DEFAULT '',
    jwks          TEXT NOT NULL DEFAULT '',
    scopes        TEXT NOT NULL,
    user_id       TEXT REFERENCES users (id),
    created_by    TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL,
    revoked_at    TIMESTAMPTZ,
    revoked_by    TEXT NOT NULL DEFAULT ''
);

CREATE TABLE oauth_codes (
    code_hash    TEXT PRIMARY KEY,
    client_id    TEXT NOT NULL REFERENCES smart_clients (id),
    user_id      TEXT NOT NULL REFERENCES users (id),
    redirect_uri TEXT NOT NULL,
    challenge    TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    patient_id   TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    used_at      TIMESTAMPTZ,
    token_id     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX oauth_codes_expires ON oauth_codes (expires_at);

CREATE TABLE oauth_jti (
    client_id  TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (client_id, jti)
);
CREATE INDEX oauth_jti_expires ON oauth_jti (expires_at);

ALTER TABLE api_tokens ADD COLUMN client_id TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN smart_scope TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN patient_id TEXT NOT NULL DEFAULT '';
CREATE INDEX api_tokens_client ON api_tokens (client_id, revoked_at);
