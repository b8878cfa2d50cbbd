-- kapstone schema 0066: the practice's ledger totals kept as the ledger is
-- written (issue 21, reports). The reports page and the practice's totals
-- summed the whole ledger (every charge, payment, application, refund and
-- adjustment) on every view, so a view cost grew with the practice.
-- billing_totals holds the sums in 16 shard rows; the triggers below add
-- each ledger row to its patient's shard in the statement that writes it
-- (whatever the code path), and a view sums the 16 rows. A shard is a
-- stable function of the patient's id, the same on both engines: the
-- position (1..32) of its next-to-last character in the id alphabet
-- (store.NewID), modulo 16. The last character carries only 3 of the
-- id's bits (8 values); the one before it 5 random bits. Any other id
-- (a character outside the alphabet) falls in shard 0. On PostgreSQL the
-- shards keep several instances from all waiting on one row.
--
-- billing_owing (0063's count of the patients who owe or hold a credit,
-- one row updated whenever a balance crosses zero) folds into the shards'
-- owing column: the trigger that kept it is replaced and the table dropped.
-- store TestBillingTotalsOracle compares the kept totals with the ledger's
-- sums (the old query).

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

WITH RECURSIVE n (shard) AS (SELECT 0 UNION ALL SELECT shard + 1 FROM n WHERE shard < 15)
INSERT INTO billing_totals (shard, charges_cents, payments_cents, applied_cents, refunds_cents, adjustments_cents, open_cents, credit_cents, owing)
SELECT n.shard, COALESCE(g.ch, 0), COALESCE(g.pay, 0), COALESCE(g.app, 0), COALESCE(g.ref, 0), COALESCE(g.adj, 0),
    COALESCE(g.ch - g.app - g.adj, 0), COALESCE(g.pay - g.app - g.ref, 0), COALESCE(g.owing, 0)
FROM n LEFT JOIN (
    SELECT l.shard, SUM(l.ch) AS ch, SUM(l.pay) AS pay, SUM(l.app) AS app, SUM(l.ref) AS ref, SUM(l.adj) AS adj, SUM(l.owing) AS owing FROM (
        SELECT instr('0123456789abcdefghjkmnpqrstvwxyz', substr(patient_id, length(patient_id) - 1, 1)) % 16 AS shard,
            amount_cents AS ch, 0 AS pay, 0 AS app, 0 AS ref, 0 AS adj, 0 AS owing FROM charges
        UNION ALL SELECT instr('0123456789abcdefghjkmnpqrstvwxyz', substr(patient_id, length(patient_id) - 1, 1)) % 16,
            delta_cents, 0, 0, 0, 0, 0 FROM charge_corrections
        UNION ALL SELECT instr('0123456789abcdefghjkmnpqrstvwxyz', substr(patient_id, length(patient_id) - 1, 1)) % 16,
            0, amount_cents, 0, 0, 0, 0 FROM payments
        UNION ALL SELECT instr('0123456789abcdefghjkmnpqrstvwxyz', substr(patient_id, length(patient_id) - 1, 1)) % 16,
            0, 0, amount_cents, 0, 0, 0 FROM payment_applications
        UNION ALL SELECT instr('0123456789abcdefghjkmnpqrstvwxyz', substr(patient_id, length(patient_id) - 1, 1)) % 16,
            0, 0, 0, amount_cents, 0, 0 FROM refunds
        UNION ALL SELECT instr('0123456789abcdefghjkmnpqrstvwxyz', substr(patient_id, length(patient_id) - 1, 1)) % 16,
            0, 0, 0, 0, amount_cents, 0 FROM adjustments
        UNION ALL SELECT instr('0123456789abcdefghjkmnpqrstvwxyz', substr(id, length(id) - 1, 1)) % 16,
            0, 0, 0, 0, 0, 1 FROM billing_balances WHERE open_cents <> 0 OR credit_cents <> 0
    ) l GROUP BY l.shard
) g ON g.shard = n.shard;

DROP TRIGGER billing_owing_count;
DROP TABLE billing_owing;

CREATE TRIGGER billing_totals_owing AFTER UPDATE OF open_cents, credit_cents ON billing_balances
WHEN (OLD.open_cents <> 0 OR OLD.credit_cents <> 0) <> (NEW.open_cents <> 0 OR NEW.credit_cents <> 0)
BEGIN
    UPDATE billing_totals SET owing = owing + CASE WHEN NEW.open_cents <> 0 OR NEW.credit_cents <> 0 THEN 1 ELSE -1 END
    WHERE shard = instr('0123456789abcdefghjkmnpqrstvwxyz', substr(NEW.id, length(NEW.id) - 1, 1)) % 16;
END;

CREATE TRIGGER billing_totals_charge AFTER INSERT ON charges
BEGIN
    UPDATE billing_totals SET charges_cents = charges_cents + NEW.amount_cents, open_cents = open_cents + NEW.amount_cents
    WHERE shard = instr('0123456789abcdefghjkmnpqrstvwxyz', substr(NEW.patient_id, length(NEW.patient_id) - 1, 1)) % 16;
END;
CREATE TRIGGER billing_totals_correction AFTER INSERT ON charge_corrections
BEGIN
    UPDATE billing_totals SET charges_cents = charges_cents + NEW.delta_cents, open_cents = open_cents + NEW.delta_cents
    WHERE shard = instr('0123456789abcdefghjkmnpqrstvwxyz', substr(NEW.patient_id, length(NEW.patient_id) - 1, 1)) % 16;
END;
CREATE TRIGGER billing_totals_payment AFTER INSERT ON payments
BEGIN
    UPDATE billing_totals SET payments_cents = payments_cents + NEW.amount_cents, credit_cents = credit_cents + NEW.amount_cents
    WHERE shard = instr('0123456789abcdefghjkmnpqrstvwxyz', substr(NEW.patient_id, length(NEW.patient_id) - 1, 1)) % 16;
END;
CREATE TRIGGER billing_totals_application AFTER INSERT ON payment_applications
BEGIN
    UPDATE billing_totals SET applied_cents = applied_cents + NEW.amount_cents,
        open_cents = open_cents - NEW.amount_cents, credit_cents = credit_cents - NEW.amount_cents
    WHERE shard = instr('0123456789abcdefghjkmnpqrstvwxyz', substr(NEW.patient_id, length(NEW.patient_id) - 1, 1)) % 16;
END;
CREATE TRIGGER billing_totals_refund AFTER INSERT ON refunds
BEGIN
    UPDATE billing_totals SET refunds_cents = refunds_cents + NEW.amount_cents, credit_cents = credit_cents - NEW.amount_cents
    WHERE shard = instr('0123456789abcdefghjkmnpqrstvwxyz', substr(NEW.patient_id, length(NEW.patient_id) - 1, 1)) % 16;
END;
CREATE TRIGGER billing_totals_adjustment AFTER INSERT ON adjustments
BEGIN
    UPDATE billing_totals SET adjustments_cents = adjustments_cents + NEW.amount_cents, open_cents = open_cents - NEW.amount_cents
    WHERE shard = instr('0123456789abcdefghjkmnpqrstvwxyz', substr(NEW.patient_id, length(NEW.patient_id) - 1, 1)) % 16;
END;

