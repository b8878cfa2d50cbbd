-- kapstone schema 0012: the development outbox. When no SMTP server is set
-- up, emails (reminders, invitations, alert notices; never clinical detail)
-- are kept here for an administrator to read instead of being sent. Rows
-- older than 30 days are pruned as new ones arrive.

CREATE TABLE outbox_emails (
    id         TEXT PRIMARY KEY,
    created_at TIMESTAMP NOT NULL,
    recipients TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL
);
CREATE INDEX outbox_emails_created ON outbox_emails (created_at);
