-- kapstone schema 0005: durable background jobs. A job is claimed with a
-- lease (locked_by, locked_until); an expired lease makes it claimable
-- again. payload is JSON holding ids only, never PHI; last_error is short and
-- holds no PHI either. A non-empty dedupe_key is unique for good: enqueueing
-- the same key again is a no-op.

CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    run_at       TIMESTAMP NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
    attempts     BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    locked_by    TEXT NOT NULL DEFAULT '',
    locked_until TIMESTAMP,
    last_error   TEXT NOT NULL DEFAULT '',
    dedupe_key   TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    done_at      TIMESTAMP
);
CREATE UNIQUE INDEX jobs_dedupe ON jobs (dedupe_key) WHERE dedupe_key <> '';
CREATE INDEX jobs_due ON jobs (status, run_at);
CREATE INDEX jobs_lease ON jobs (status, locked_until);
CREATE INDEX jobs_updated ON jobs (status, updated_at);
