-- kapstone schema 0006: private calendar feeds. A clinician's feed is a
-- secret URL their calendar app polls; only the token's hash is kept, so the
-- URL is shown once. Making a new one or turning it off revokes the old.

CREATE TABLE calendar_feeds (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX calendar_feeds_user ON calendar_feeds (user_id, revoked_at);
