-- kapstone schema 0010: remote appointments. A remote appointment has a
-- video link; a remote dosing session also names the adult who is with the
-- patient in person (clinical/REFERENCE.md section 3: remote KAP needs an
-- in-person chaperone checking on the patient every 15 minutes).

ALTER TABLE appointments ADD COLUMN remote BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE appointments ADD COLUMN video_link TEXT NOT NULL DEFAULT '';
ALTER TABLE appointments ADD COLUMN chaperone TEXT NOT NULL DEFAULT '';
