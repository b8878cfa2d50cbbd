-- kapstone schema 0035: paper consents keep the date written on the paper
-- (signed_at, the start of that day in the practice's zone) apart from when
-- staff recorded them (recorded_at). after_withdrawal marks a paper dated
-- the day the patient withdrew consent that the staff member recording it
-- confirmed was signed after the withdrawal. The table stays append-only:
-- adding a column with a default changes no row's meaning.

ALTER TABLE consent_signatures ADD COLUMN after_withdrawal BOOLEAN NOT NULL DEFAULT FALSE;
