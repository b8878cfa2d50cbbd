-- kapstone schema 0062: superbills and statements sent to a patient (issue
-- 21). A member of staff "sends" a superbill or a statement for a period:
-- the patient gets an email without content that points to the portal,
-- where they download it. One row per send, never changed: what was sent
-- (kind and period), by whom, when, and the mail job that carries the
-- email (its state says whether it went out). No email address is kept.
CREATE TABLE statement_sends (
    id          TEXT PRIMARY KEY,
    patient_id  TEXT NOT NULL REFERENCES patients (id),
    kind        TEXT NOT NULL CHECK (kind IN ('superbill', 'statement')),
    period_from TIMESTAMPTZ NOT NULL,
    period_to   TIMESTAMPTZ NOT NULL,
    job_id      TEXT NOT NULL,
    sent_by     TEXT NOT NULL REFERENCES users (id),
    sent_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX statement_sends_patient ON statement_sends (patient_id, sent_at);
