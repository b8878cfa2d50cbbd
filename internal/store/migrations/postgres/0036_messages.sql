-- kapstone schema 0036: secure messages between a patient and their care
-- team (issue 17).
--
-- A thread is about one patient; the patient starts it, and the patient and
-- any clinician on their care team write in it. Messages are numbered in
-- their thread (seq) and never change. Each reader (the patient, each
-- clinician) has the number of the last message they have seen in each
-- thread (message_reads), so unread counts are exact whatever the clock
-- says. risk marks a patient's message that held words of acute risk
-- (clinic.RiskPhrases): it was sent, and raised a review alert with it.

CREATE TABLE message_threads (
    id         TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients (id),
    subject    TEXT NOT NULL,
    started_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_seq   BIGINT NOT NULL,
    last_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX message_threads_patient ON message_threads (patient_id, last_at);
CREATE INDEX message_threads_last ON message_threads (last_at, id);

CREATE TABLE messages (
    id           TEXT PRIMARY KEY,
    thread_id    TEXT NOT NULL REFERENCES message_threads (id),
    patient_id   TEXT NOT NULL REFERENCES patients (id),
    seq          BIGINT NOT NULL,
    author_id    TEXT NOT NULL,
    from_patient BOOLEAN NOT NULL,
    body         TEXT NOT NULL,
    risk         BOOLEAN NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (thread_id, seq)
);
CREATE INDEX messages_patient ON messages (patient_id, from_patient, created_at);

CREATE TABLE message_reads (
    thread_id TEXT NOT NULL REFERENCES message_threads (id),
    user_id   TEXT NOT NULL,
    read_seq  BIGINT NOT NULL,
    read_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (thread_id, user_id)
);
CREATE INDEX message_reads_user ON message_reads (user_id, thread_id);

CREATE TRIGGER messages_no_change BEFORE UPDATE OR DELETE ON messages
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
