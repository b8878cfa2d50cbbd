-- kapstone schema 0043: what each clinician has not read of their
-- patients' messages, kept per thread, and an index for the caseload's
-- sparklines (issue 18). The navigation's unread
-- count is on every staff page; read from messages and message_reads it
-- walked every thread of every patient on the clinician's care teams, so
-- it grew with the practice. message_unread holds, for each clinician on
-- a patient's care team and each thread of that patient with messages from
-- the patient they have not read, how many (n > 0; a thread read to the
-- end has no row). It is kept in the transactions that change it (a
-- message sent, a thread read, a clinician added to a care team:
-- store.syncUnread recomputes the rows concerned from messages and
-- message_reads), so the count reads the unread threads only. A care team
-- member removed, or a patient archived, keeps their rows: the count joins
-- the active care team and the patients not archived, as before.

CREATE TABLE message_unread (
    user_id    TEXT NOT NULL,
    thread_id  TEXT NOT NULL REFERENCES message_threads (id),
    patient_id TEXT NOT NULL REFERENCES patients (id),
    n          BIGINT NOT NULL,
    PRIMARY KEY (user_id, thread_id)
);
CREATE INDEX message_unread_patient ON message_unread (patient_id, user_id);

INSERT INTO message_unread (user_id, thread_id, patient_id, n)
SELECT c.user_id, t.id, t.patient_id, count(*)
FROM care_team c
JOIN message_threads t ON t.patient_id = c.patient_id
JOIN messages m ON m.thread_id = t.id AND m.from_patient
LEFT JOIN message_reads r ON r.thread_id = t.id AND r.user_id = c.user_id
WHERE c.removed_at IS NULL AND m.seq > coalesce(r.read_seq, 0)
GROUP BY c.user_id, t.id, t.patient_id;

-- A caseload row's sparkline: a patient's latest completed scores on an
-- instrument, newest first (store.CaseloadScores, stopped at
-- CaseloadSparkPoints), read from the index alone, without a visit to
-- each check-in's row.
CREATE INDEX checkins_scores ON checkins (patient_id, instrument, completed_at, course_id, total) WHERE status = 'complete';

-- The rest of a caseload page, so that what grows with the practice is
-- read from small indexes: the count of a clinician's active care teams
-- (each row checked against a covering patients index, not the patient's
-- row); the open safety alerts, read from the open ones (few) rather than
-- the caseload; the staff pickers' lists by role, not every account (each
-- patient has one).
CREATE INDEX care_team_user_active ON care_team (user_id, patient_id) WHERE removed_at IS NULL;
CREATE INDEX patients_live ON patients (id, archived_at);
CREATE INDEX safety_alerts_open_time ON safety_alerts (raised_at, id) WHERE acknowledged_at IS NULL;
CREATE INDEX users_role ON users (role, disabled_at);
