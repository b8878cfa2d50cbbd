-- kapstone schema 0065 (issue 21 review). A package purchase can be
-- closed: a package refunded, corrected to 0 or written off is no longer
-- used for the patient's sessions; staff close it with a reason, one
-- append-only row, and later sessions are charged at the fee. A package's
-- sessions are counted by the appointments still recorded as attended, so
-- a session that turns out missed or cancelled frees its number: numbers
-- are no longer unique per package, only among the sessions that count.
-- The record of superbills and statements sent becomes append-only. An
-- application or its reversal locks its payment before its check.
CREATE TABLE package_closures (
    id          TEXT PRIMARY KEY,
    purchase_id TEXT NOT NULL UNIQUE REFERENCES package_purchases (id),
    patient_id  TEXT NOT NULL REFERENCES patients (id),
    reason      TEXT NOT NULL CHECK (reason <> ''),
    closed_by   TEXT NOT NULL REFERENCES users (id),
    closed_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX package_closures_patient ON package_closures (patient_id);
CREATE TRIGGER package_closures_no_change BEFORE UPDATE OR DELETE ON package_closures
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER package_closures_no_truncate BEFORE TRUNCATE ON package_closures
    FOR EACH STATEMENT EXECUTE FUNCTION kapstone_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON package_closures FROM PUBLIC;

DROP INDEX charges_package_session;
CREATE INDEX charges_purchase ON charges (purchase_id, kind) WHERE purchase_id IS NOT NULL;

-- What was sent to a patient (migration 0062) is a record like the
-- ledger: never changed nor deleted.
CREATE TRIGGER statement_sends_no_change BEFORE UPDATE OR DELETE ON statement_sends
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER statement_sends_no_truncate BEFORE TRUNCATE ON statement_sends
    FOR EACH STATEMENT EXECUTE FUNCTION kapstone_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON statement_sends FROM PUBLIC;

-- An application or its reversal takes its payment's row before checking
-- (migration 0059's reversal branch read what was left of the application
-- without it, so two reversals side by side could both pass): writers of
-- one payment take turns, the last line of defence behind the store.
CREATE OR REPLACE FUNCTION kapstone_application_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM payments WHERE id = NEW.payment_id FOR UPDATE;
    IF NEW.amount_cents > 0 THEN
        IF kapstone_payment_left(NEW.payment_id) < NEW.amount_cents THEN
            RAISE EXCEPTION 'payment_applications: more than is left of the payment';
        END IF;
        IF kapstone_charge_amount(NEW.charge_id) < kapstone_charge_settled(NEW.charge_id) + NEW.amount_cents THEN
            RAISE EXCEPTION 'payment_applications: more than is open of the charge';
        END IF;
    END IF;
    IF NEW.reverses_id IS NOT NULL AND (NEW.amount_cents >= 0
        OR NOT EXISTS (SELECT 1 FROM payment_applications WHERE id = NEW.reverses_id AND payment_id = NEW.payment_id AND charge_id = NEW.charge_id AND amount_cents > 0)
        OR (SELECT amount_cents FROM payment_applications WHERE id = NEW.reverses_id)
           + COALESCE((SELECT SUM(amount_cents) FROM payment_applications WHERE reverses_id = NEW.reverses_id), 0) + NEW.amount_cents < 0) THEN
        RAISE EXCEPTION 'payment_applications: a reversal undoes no more than an application of the same payment and charge';
    END IF;
    RETURN NEW;
END
$$;
