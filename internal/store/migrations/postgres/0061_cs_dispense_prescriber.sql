-- kapstone schema 0061: a dispensing in the controlled-substance log names
-- the prescriber who ordered it (issue 20: each administration and
-- dispensing is linked to the patient, prescriber, lot and amount). Set
-- on dispensing entries (the store requires it there) and on
-- administrations (the prescriber of the session's prescription); NULL on
-- the entries before it and on other kinds. cs_entries stays append-only.
ALTER TABLE cs_entries ADD COLUMN prescriber_id TEXT REFERENCES users (id);
