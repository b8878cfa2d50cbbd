-- kapstone schema 0065 (issue 21 review). A package purchase can be
-- closed: a package refunded, corrected to 0 or written off is no longer
-- used for the patient's sessions; staff close it with a reason, one
-- append-only row, and later sessions are charged at the fee. A package's
-- sessions are counted by the appointments still recorded as attended, so
-- a session that turns out missed or cancelled frees its number: numbers
-- are no longer unique per package, only among the sessions that count.
-- The record of superbills and statements sent becomes append-only.
CREATE TABLE package_closures (
    id          TEXT PRIMARY KEY,
    purchase_id TEXT NOT NULL UNIQUE REFERENCES package_purchases (id),
    patient_id  TEXT NOT NULL REFERENCES patients (id),
    reason      TEXT NOT NULL CHECK (reason <> ''),
    closed_by   TEXT NOT NULL REFERENCES users (id),
    closed_at   TIMESTAMP NOT NULL
);
CREATE INDEX package_closures_patient ON package_closures (patient_id);
CREATE TRIGGER package_closures_no_update BEFORE UPDATE ON package_closures
BEGIN SELECT RAISE(ABORT, 'package_closures is append-only'); END;
CREATE TRIGGER package_closures_no_delete BEFORE DELETE ON package_closures
BEGIN SELECT RAISE(ABORT, 'package_closures is append-only'); END;

DROP INDEX charges_package_session;
CREATE INDEX charges_purchase ON charges (purchase_id, kind) WHERE purchase_id IS NOT NULL;

-- What was sent to a patient (migration 0062) is a record like the
-- ledger: never changed nor deleted.
CREATE TRIGGER statement_sends_no_update BEFORE UPDATE ON statement_sends
BEGIN SELECT RAISE(ABORT, 'statement_sends is append-only'); END;
CREATE TRIGGER statement_sends_no_delete BEFORE DELETE ON statement_sends
BEGIN SELECT RAISE(ABORT, 'statement_sends is append-only'); END;
