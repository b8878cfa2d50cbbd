-- kapstone schema 0024: the audit witness (issue 14, finding 3). Each signed
-- checkpoint of the audit log is also sent off the machine (by email to a
-- practice address and/or by HTTPS POST to a log collector), because only a
-- copy kept elsewhere shows that the log's tail and its newer checkpoints
-- were cut together. The addresses are practice settings; this table keeps,
-- per channel, how the sending goes, so a failing witness is visible on the
-- admin page. It holds no patient information.

CREATE TABLE audit_witness (
    channel       TEXT PRIMARY KEY,          -- 'email' or 'http'
    target        TEXT NOT NULL,             -- the address or URL the status is about
    last_ok_at    TIMESTAMPTZ,                 -- when a checkpoint last reached it
    last_ok_size  BIGINT NOT NULL DEFAULT -1, -- the rows that checkpoint covered
    failing_since TIMESTAMPTZ,                 -- the first failure since the last success
    last_error    TEXT NOT NULL DEFAULT '',  -- short, never PHI
    updated_at    TIMESTAMPTZ NOT NULL
);
