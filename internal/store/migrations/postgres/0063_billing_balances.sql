-- kapstone schema 0063: each patient's balance kept as the ledger is
-- written (issue 21, reports). The outstanding-balances report summed
-- every billed patient's ledger on every page, so a page cost grew with
-- the practice. billing_balances holds, per patient with a ledger row,
-- what their charges leave open and their unapplied credit; triggers on
-- the ledger's tables (append-only: rows are only inserted) keep it in
-- the statement that writes the row, whatever the code path, so a page
-- walks billing_balances_owing from its key and reads the page's rows.
-- billing_owing counts the patients who owe or hold a credit, for the
-- page's total. store TestBillingBalancesOracle compares both with the
-- ledger's sums. A ledger write locks its patient's balance row (FOR
-- UPDATE) before reading it, so two writes at once add up.

CREATE TABLE billing_balances (
    id           TEXT PRIMARY KEY REFERENCES patients (id), -- the patient's id
    sort_name    TEXT NOT NULL,                             -- lower(display_name): the report's order
    open_cents   BIGINT NOT NULL DEFAULT 0,
    credit_cents BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX billing_balances_owing ON billing_balances (sort_name, id) WHERE open_cents <> 0 OR credit_cents <> 0;

CREATE TABLE billing_owing (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    n   BIGINT NOT NULL
);

INSERT INTO billing_balances (id, sort_name, open_cents, credit_cents)
SELECT pt.id, lower(pt.display_name),
    COALESCE((SELECT SUM(c.amount_cents) FROM charges c WHERE c.patient_id = pt.id), 0)
    + COALESCE((SELECT SUM(cc.delta_cents) FROM charge_corrections cc WHERE cc.patient_id = pt.id), 0)
    - COALESCE((SELECT SUM(pa.amount_cents) FROM payment_applications pa WHERE pa.patient_id = pt.id), 0)
    - COALESCE((SELECT SUM(ad.amount_cents) FROM adjustments ad WHERE ad.patient_id = pt.id), 0),
    COALESCE((SELECT SUM(p.amount_cents) FROM payments p WHERE p.patient_id = pt.id), 0)
    - COALESCE((SELECT SUM(pa.amount_cents) FROM payment_applications pa WHERE pa.patient_id = pt.id), 0)
    - COALESCE((SELECT SUM(r.amount_cents) FROM refunds r WHERE r.patient_id = pt.id), 0)
FROM patients pt
WHERE EXISTS (SELECT 1 FROM charges c WHERE c.patient_id = pt.id) OR EXISTS (SELECT 1 FROM payments p WHERE p.patient_id = pt.id);

INSERT INTO billing_owing (one, n) SELECT 1, count(*) FROM billing_balances WHERE open_cents <> 0 OR credit_cents <> 0;

CREATE FUNCTION kapstone_billing_balances() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d_open   BIGINT := 0;
    d_credit BIGINT := 0;
    o        BIGINT;
    c        BIGINT;
BEGIN
    CASE TG_TABLE_NAME
    WHEN 'charges' THEN d_open := NEW.amount_cents;
    WHEN 'charge_corrections' THEN d_open := NEW.delta_cents;
    WHEN 'payments' THEN d_credit := NEW.amount_cents;
    WHEN 'payment_applications' THEN d_open := -NEW.amount_cents; d_credit := -NEW.amount_cents;
    WHEN 'refunds' THEN d_credit := -NEW.amount_cents;
    WHEN 'adjustments' THEN d_open := -NEW.amount_cents;
    END CASE;
    INSERT INTO billing_balances (id, sort_name) SELECT id, lower(display_name) FROM patients WHERE id = NEW.patient_id
    ON CONFLICT (id) DO NOTHING;
    SELECT open_cents, credit_cents INTO o, c FROM billing_balances WHERE id = NEW.patient_id FOR UPDATE;
    UPDATE billing_balances SET open_cents = o + d_open, credit_cents = c + d_credit WHERE id = NEW.patient_id;
    IF (o <> 0 OR c <> 0) <> (o + d_open <> 0 OR c + d_credit <> 0) THEN
        UPDATE billing_owing SET n = n + CASE WHEN o + d_open <> 0 OR c + d_credit <> 0 THEN 1 ELSE -1 END WHERE one = 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER billing_balances_charge AFTER INSERT ON charges FOR EACH ROW EXECUTE FUNCTION kapstone_billing_balances();
CREATE TRIGGER billing_balances_correction AFTER INSERT ON charge_corrections FOR EACH ROW EXECUTE FUNCTION kapstone_billing_balances();
CREATE TRIGGER billing_balances_payment AFTER INSERT ON payments FOR EACH ROW EXECUTE FUNCTION kapstone_billing_balances();
CREATE TRIGGER billing_balances_application AFTER INSERT ON payment_applications FOR EACH ROW EXECUTE FUNCTION kapstone_billing_balances();
CREATE TRIGGER billing_balances_refund AFTER INSERT ON refunds FOR EACH ROW EXECUTE FUNCTION kapstone_billing_balances();
CREATE TRIGGER billing_balances_adjustment AFTER INSERT ON adjustments FOR EACH ROW EXECUTE FUNCTION kapstone_billing_balances();

CREATE FUNCTION kapstone_billing_balances_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE billing_balances SET sort_name = lower(NEW.display_name) WHERE id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER billing_balances_name AFTER UPDATE OF display_name ON patients
    FOR EACH ROW WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name) EXECUTE FUNCTION kapstone_billing_balances_name();

-- The accountant's ledger export reads each kind of entry of a date range
-- by its date.
CREATE INDEX charge_corrections_created ON charge_corrections (created_at);
CREATE INDEX refunds_recorded ON refunds (recorded_at);
CREATE INDEX adjustments_created ON adjustments (created_at);
