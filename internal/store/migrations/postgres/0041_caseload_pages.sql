-- kapstone schema 0041: the caseload is read a page at a time (issue 18),
-- in the order people read it: by lower(display_name), then id, with the
-- next page starting after the last row shown (keyset paging, never
-- OFFSET). This index serves that order for the whole practice (an
-- administrator's list, a therapist who has most patients); the care team
-- side is served by care_team_user (user_id, patient_id).
--
-- No latest-score table: a caseload page's sparklines and "last score" are
-- read for that page's patients only, the latest CaseloadSparkPoints
-- scores of each (store.CaseloadScores, a window over checkins_patient
-- (patient_id, instrument, completed_at)), so nothing extra is kept in
-- step with check-ins and a bulk loader fills nothing but checkins.

CREATE INDEX patients_name_order ON patients (lower(display_name), id);
