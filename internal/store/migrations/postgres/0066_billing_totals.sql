-- kapstone schema 0066: the practice's ledger totals kept as the ledger is
-- written (issue 21, reports). The reports page and the practice's totals
-- summed the whole ledger (every charge, payment, application, refund and
-- adjustment) on every view, so a view cost grew with the practice.
-- billing_totals holds the sums in 16 shard rows; 0063's trigger function
-- (replaced here) adds each ledger row to its patient's shard in the
-- statement that writes it (whatever the code path), and a view sums the
-- 16 rows. A shard is a stable function of the patient's id, the same on
-- both engines: the position (1..32) of its next-to-last character in the
-- id alphabet (store.NewID), modulo 16. The last character carries only 3
-- of the id's bits (8 values); the one before it 5 random bits. Any other
-- id (a character outside the alphabet) falls in shard 0. The shards keep
-- several instances from all waiting on one row: a ledger write locks its
-- patient's balance row, then its shard's row, until it commits.
--
-- billing_owing (0063's count of the patients who owe or hold a credit,
-- one row updated whenever a balance crosses zero) folds into the shards'
-- owing column and is dropped. store TestBillingTotalsOracle compares the
-- kept totals with the ledger's sums (the old query).

CREATE TABLE billing_totals (
    shard             INTEGER PRIMARY KEY CHECK (shard >= 0 AND shard < 16),
    charges_cents     BIGINT NOT NULL DEFAULT 0, -- charges after their corrections
    payments_cents    BIGINT NOT NULL DEFAULT 0,
    applied_cents     BIGINT NOT NULL DEFAULT 0, -- net of reversals
    refunds_cents     BIGINT NOT NULL DEFAULT 0,
    adjustments_cents BIGINT NOT NULL DEFAULT 0,
    open_cents        BIGINT NOT NULL DEFAULT 0, -- what charges leave open, kept apart from the sums above
    credit_cents      BIGINT NOT NULL DEFAULT 0, -- payments' unapplied parts, likewise
    owing             BIGINT NOT NULL DEFAULT 0  -- patients who owe or hold a credit
);

CREATE FUNCTION kapstone_billing_shard(id TEXT) RETURNS INTEGER LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT strpos('0123456789abcdefghjkmnpqrstvwxyz', substr(id, length(id) - 1, 1)) % 16
$$;

-- The ledger's writers wait for this migration's lock on the tables while
-- it reads them, so no row is counted twice or missed.
LOCK TABLE charges, charge_corrections, payments, payment_applications, refunds, adjustments, billing_balances IN SHARE ROW EXCLUSIVE MODE;

WITH n (shard) AS (SELECT generate_series(0, 15))
INSERT INTO billing_totals (shard, charges_cents, payments_cents, applied_cents, refunds_cents, adjustments_cents, open_cents, credit_cents, owing)
SELECT n.shard, COALESCE(g.ch, 0), COALESCE(g.pay, 0), COALESCE(g.app, 0), COALESCE(g.ref, 0), COALESCE(g.adj, 0),
    COALESCE(g.ch - g.app - g.adj, 0), COALESCE(g.pay - g.app - g.ref, 0), COALESCE(g.owing, 0)
FROM n LEFT JOIN (
    SELECT l.shard, SUM(l.ch) AS ch, SUM(l.pay) AS pay, SUM(l.app) AS app, SUM(l.ref) AS ref, SUM(l.adj) AS adj, SUM(l.owing) AS owing FROM (
        SELECT kapstone_billing_shard(patient_id) AS shard, amount_cents AS ch, 0 AS pay, 0 AS app, 0 AS ref, 0 AS adj, 0 AS owing FROM charges
        UNION ALL SELECT kapstone_billing_shard(patient_id), delta_cents, 0, 0, 0, 0, 0 FROM charge_corrections
        UNION ALL SELECT kapstone_billing_shard(patient_id), 0, amount_cents, 0, 0, 0, 0 FROM payments
        UNION ALL SELECT kapstone_billing_shard(patient_id), 0, 0, amount_cents, 0, 0, 0 FROM payment_applications
        UNION ALL SELECT kapstone_billing_shard(patient_id), 0, 0, 0, amount_cents, 0, 0 FROM refunds
        UNION ALL SELECT kapstone_billing_shard(patient_id), 0, 0, 0, 0, amount_cents, 0 FROM adjustments
        UNION ALL SELECT kapstone_billing_shard(id), 0, 0, 0, 0, 0, 1 FROM billing_balances WHERE open_cents <> 0 OR credit_cents <> 0
    ) l GROUP BY l.shard
) g ON g.shard = n.shard;

CREATE OR REPLACE FUNCTION kapstone_billing_balances() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d_charges BIGINT := 0;
    d_paid    BIGINT := 0;
    d_applied BIGINT := 0;
    d_refund  BIGINT := 0;
    d_adjust  BIGINT := 0;
    d_open    BIGINT := 0;
    d_credit  BIGINT := 0;
    d_owing   BIGINT := 0;
    o         BIGINT;
    c         BIGINT;
BEGIN
    CASE TG_TABLE_NAME
    WHEN 'charges' THEN d_charges := NEW.amount_cents; d_open := NEW.amount_cents;
    WHEN 'charge_corrections' THEN d_charges := NEW.delta_cents; d_open := NEW.delta_cents;
    WHEN 'payments' THEN d_paid := NEW.amount_cents; d_credit := NEW.amount_cents;
    WHEN 'payment_applications' THEN d_applied := NEW.amount_cents; d_open := -NEW.amount_cents; d_credit := -NEW.amount_cents;
    WHEN 'refunds' THEN d_refund := NEW.amount_cents; d_credit := -NEW.amount_cents;
    WHEN 'adjustments' THEN d_adjust := NEW.amount_cents; d_open := -NEW.amount_cents;
    END CASE;
    INSERT INTO billing_balances (id, sort_name) SELECT id, lower(display_name) FROM patients WHERE id = NEW.patient_id
    ON CONFLICT (id) DO NOTHING;
    SELECT open_cents, credit_cents INTO o, c FROM billing_balances WHERE id = NEW.patient_id FOR UPDATE;
    UPDATE billing_balances SET open_cents = o + d_open, credit_cents = c + d_credit WHERE id = NEW.patient_id;
    IF (o <> 0 OR c <> 0) <> (o + d_open <> 0 OR c + d_credit <> 0) THEN
        d_owing := CASE WHEN o + d_open <> 0 OR c + d_credit <> 0 THEN 1 ELSE -1 END;
    END IF;
    UPDATE billing_totals SET charges_cents = charges_cents + d_charges, payments_cents = payments_cents + d_paid,
        applied_cents = applied_cents + d_applied, refunds_cents = refunds_cents + d_refund, adjustments_cents = adjustments_cents + d_adjust,
        open_cents = open_cents + d_open, credit_cents = credit_cents + d_credit, owing = owing + d_owing
    WHERE shard = kapstone_billing_shard(NEW.patient_id);
    RETURN NULL;
END
$$;

DROP TABLE billing_owing;
