-- kapstone schema 0040: a patient's messages in time order, for the
-- chart's timeline (issue 17), which pages them by (patient_id,
-- created_at) in both directions at once.

CREATE INDEX messages_patient_time ON messages (patient_id, created_at, id);
