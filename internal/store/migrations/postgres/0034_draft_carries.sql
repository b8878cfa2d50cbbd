-- kapstone schema 0034: a draft carried through sign-in (issue 16, item 2)
-- is bound to the user whose session ended and is used once.
--
-- ended_sessions remembers, for a while, the sessions that ended by their
-- idle or absolute limit (by the hash of their token, like sessions), so a
-- note posted with that cookie after the end can be carried through sign-in
-- for that user only. A post with no cookie, or another cookie, is never
-- carried.
CREATE TABLE ended_sessions (
    id_hash  TEXT PRIMARY KEY,
    user_id  TEXT NOT NULL REFERENCES users (id),
    ended_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX ended_sessions_ended ON ended_sessions (ended_at);

-- carry_uses holds the nonce of every carried draft once applied: a second
-- apply of the same carried draft is refused.
CREATE TABLE carry_uses (
    nonce   TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    used_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX carry_uses_used ON carry_uses (used_at);
