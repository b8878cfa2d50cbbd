-- kapstone schema 0013: the full set of appointment types (intake and
-- screening, medical evaluation, preparation, dosing, integration,
-- follow-up, other), and an index for each clinician's day.

ALTER TABLE appointments DROP CONSTRAINT appointments_kind_check;
ALTER TABLE appointments ADD CONSTRAINT appointments_kind_check
    CHECK (kind IN ('intake', 'medical_evaluation', 'preparation', 'dosing', 'integration', 'follow_up', 'other'));
CREATE INDEX appointments_clinician ON appointments (clinician_id, starts_at);
