-- kapstone schema 0049: courses whose outcome summary (outcome_courses) a
-- completion could not keep. The summary is derived data: its update runs
-- in a savepoint of the completion's transaction, and when it fails (or,
-- on PostgreSQL, would wait on a dashboard refresh) only it is rolled back
-- and the patient's instrument is noted here, so the completion, its
-- alert and its audit row commit all the same. The dashboard summarizes
-- every noted course again from its check-ins before it reads
-- (store.refreshStaleOutcomes), so it never counts a stale row.
--
-- Append-only for completions (a new id each time, no foreign key): a
-- note never waits on another transaction's row.
CREATE TABLE outcome_stale (
    id         TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL,
    instrument TEXT NOT NULL
);
