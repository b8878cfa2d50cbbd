-- kapstone schema 0017: dosing-session fixes from review. At most one open
-- session per patient (two clinicians pressing Start at once made two); a
-- reading or event keeps the time it was taken as well as the time it
-- reached the server (an entry made while the connection was down arrives
-- late); an override names the reading it overrides.

CREATE UNIQUE INDEX dosing_sessions_open ON dosing_sessions (patient_id) WHERE status IN ('gate', 'ready', 'dosed');
ALTER TABLE dosing_vitals ADD COLUMN taken_at TIMESTAMPTZ;
ALTER TABLE dosing_events ADD COLUMN taken_at TIMESTAMPTZ;
