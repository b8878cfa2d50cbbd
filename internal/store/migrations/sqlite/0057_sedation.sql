-- kapstone schema 0057: sedation and dissociation monitoring (issue 20,
-- part 2). Each vitals reading of a dosing session may carry the MOAA/S
-- (0-5; clinical/REFERENCE.md section 7.2), dissociation present/absent
-- with a non-validated 0-10 intensity and a note (section 1.6), and
-- whether respiratory depression was seen, with which signs (comma-joined
-- clinic.RespiratorySigns keys). NULL: not assessed.

ALTER TABLE dosing_vitals ADD COLUMN moaas INTEGER CHECK (moaas BETWEEN 0 AND 5);
ALTER TABLE dosing_vitals ADD COLUMN dissociation BOOLEAN;
ALTER TABLE dosing_vitals ADD COLUMN dissociation_intensity INTEGER CHECK (dissociation_intensity BETWEEN 0 AND 10);
ALTER TABLE dosing_vitals ADD COLUMN dissociation_note TEXT NOT NULL DEFAULT '';
ALTER TABLE dosing_vitals ADD COLUMN resp_depression BOOLEAN;
ALTER TABLE dosing_vitals ADD COLUMN resp_signs TEXT NOT NULL DEFAULT '';
