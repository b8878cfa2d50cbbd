-- kapstone schema 0024: remembered devices (issue 14, finding 4). After a
-- full sign-in the browser keeps a random device token; only its hash is
-- stored here. A device known to the account is counted apart from
-- everyone else when sign-ins fail, so an attacker's failures (from the same
-- address, or with a stolen password and wrong codes) cannot lock its owner
-- out, while failures from the device itself still lock it. No PHI.

CREATE TABLE devices (
    id           TEXT PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    user_id      TEXT NOT NULL REFERENCES users (id),
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ NOT NULL,
    user_agent   TEXT NOT NULL DEFAULT '',
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX devices_user ON devices (user_id);
