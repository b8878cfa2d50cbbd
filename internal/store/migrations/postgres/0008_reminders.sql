-- kapstone schema 0008: patients may turn off appointment reminder emails
-- (NULL: reminders on).

ALTER TABLE patients ADD COLUMN reminders_off_at TIMESTAMPTZ;
