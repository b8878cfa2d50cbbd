-- kapstone schema 0021: dosing-session safety (issue 12). A discharge before
-- the minimum observation time (or without the 40-minute reading) keeps the
-- prescriber's written reason and who gave it; the dose given keeps the
-- prescription's dose it was compared with, and the prescriber's written
-- reason when they differ. The thresholds themselves are practice settings.

ALTER TABLE dosing_sessions ADD COLUMN early_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE dosing_sessions ADD COLUMN early_reason_by TEXT NOT NULL DEFAULT '';
ALTER TABLE dosing_sessions ADD COLUMN dose_prescribed TEXT NOT NULL DEFAULT '';
ALTER TABLE dosing_sessions ADD COLUMN dose_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE dosing_sessions ADD COLUMN dose_reason_by TEXT NOT NULL DEFAULT '';
