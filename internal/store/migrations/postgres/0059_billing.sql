-- kapstone schema 0059: fees, charges, payments (issue 21; rules in
-- internal/billing). Money is integer cents with an ISO 4217 currency,
-- never a float. The ledger (charges, their corrections, payments, their
-- applications to charges, refunds and adjustments) is append-only: a
-- change is a new row naming the one it changes, and the database refuses
-- any UPDATE or DELETE of a ledger row, whoever writes it. The fee
-- schedule and packages are configuration: an entry is archived (or
-- replaced by a new one), never changed, so a past charge keeps the code,
-- text and amount it copied. No card data is kept anywhere: a payment
-- names its method and a reference (a check number, a receipt number).

CREATE TABLE fee_schedule (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('intake', 'medical_evaluation', 'preparation', 'dosing', 'integration', 'follow_up', 'other')),
    clinician_id TEXT REFERENCES users (id),
    service_code TEXT NOT NULL CHECK (length(service_code) = 5),
    add_on_code  TEXT NOT NULL DEFAULT '' CHECK (add_on_code = '' OR length(add_on_code) = 5),
    description  TEXT NOT NULL CHECK (description <> ''),
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0 AND amount_cents <= 100000000),
    currency     TEXT NOT NULL CHECK (length(currency) = 3 AND currency = upper(currency)),
    replaces_id  TEXT REFERENCES fee_schedule (id),
    created_by   TEXT NOT NULL REFERENCES users (id),
    created_at   TIMESTAMPTZ NOT NULL,
    archived_at  TIMESTAMPTZ,
    archived_by  TEXT REFERENCES users (id)
);
CREATE INDEX fee_schedule_kind ON fee_schedule (kind, clinician_id) WHERE archived_at IS NULL;

CREATE TABLE sliding_tiers (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL CHECK (name <> ''),
    percent     INTEGER NOT NULL CHECK (percent BETWEEN 1 AND 99),
    created_by  TEXT NOT NULL REFERENCES users (id),
    created_at  TIMESTAMPTZ NOT NULL,
    archived_at TIMESTAMPTZ
);

-- A patient's tier: the latest row (tier_id NULL: the full fee again).
CREATE TABLE patient_tiers (
    id         TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients (id),
    tier_id    TEXT REFERENCES sliding_tiers (id),
    set_by     TEXT NOT NULL REFERENCES users (id),
    set_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX patient_tiers_patient ON patient_tiers (patient_id, set_at);

CREATE TABLE packages (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL CHECK (name <> ''),
    kind         TEXT NOT NULL CHECK (kind IN ('intake', 'medical_evaluation', 'preparation', 'dosing', 'integration', 'follow_up', 'other')),
    sessions     INTEGER NOT NULL CHECK (sessions BETWEEN 1 AND 100),
    price_cents  BIGINT NOT NULL CHECK (price_cents > 0 AND price_cents <= 100000000),
    currency     TEXT NOT NULL CHECK (length(currency) = 3 AND currency = upper(currency)),
    service_code TEXT NOT NULL DEFAULT '' CHECK (service_code = '' OR length(service_code) = 5),
    created_by   TEXT NOT NULL REFERENCES users (id),
    created_at   TIMESTAMPTZ NOT NULL,
    archived_at  TIMESTAMPTZ
);

CREATE TABLE package_purchases (
    id           TEXT PRIMARY KEY,
    patient_id   TEXT NOT NULL REFERENCES patients (id),
    package_id   TEXT NOT NULL REFERENCES packages (id),
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    sessions     INTEGER NOT NULL CHECK (sessions >= 1),
    price_cents  BIGINT NOT NULL CHECK (price_cents > 0),
    currency     TEXT NOT NULL CHECK (length(currency) = 3 AND currency = upper(currency)),
    service_code TEXT NOT NULL DEFAULT '',
    sold_by      TEXT NOT NULL REFERENCES users (id),
    sold_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX package_purchases_patient ON package_purchases (patient_id, kind, sold_at);

-- A charge: a session's fee, a no-show or late-cancel fee, a package's
-- price, or a session of a package (0, its share of the price shown on
-- the superbill). One charge per appointment at most.
CREATE TABLE charges (
    id             TEXT PRIMARY KEY,
    patient_id     TEXT NOT NULL REFERENCES patients (id),
    kind           TEXT NOT NULL CHECK (kind IN ('service', 'no_show', 'late_cancel', 'package', 'package_session')),
    appointment_id TEXT REFERENCES appointments (id),
    purchase_id    TEXT REFERENCES package_purchases (id),
    session_number INTEGER,
    share_cents    BIGINT NOT NULL DEFAULT 0 CHECK (share_cents >= 0),
    clinician_id   TEXT REFERENCES users (id),
    fee_id         TEXT REFERENCES fee_schedule (id),
    service_code   TEXT NOT NULL DEFAULT '',
    add_on_code    TEXT NOT NULL DEFAULT '',
    description    TEXT NOT NULL CHECK (description <> ''),
    amount_cents   BIGINT NOT NULL CHECK (amount_cents >= 0 AND amount_cents <= 100000000),
    currency       TEXT NOT NULL CHECK (length(currency) = 3 AND currency = upper(currency)),
    service_date   TIMESTAMPTZ NOT NULL,
    remote         BOOLEAN NOT NULL DEFAULT FALSE,
    created_by     TEXT NOT NULL REFERENCES users (id),
    created_at     TIMESTAMPTZ NOT NULL,
    CHECK (kind = 'package_session' OR amount_cents > 0),
    CHECK (kind <> 'package_session' OR (amount_cents = 0 AND purchase_id IS NOT NULL AND session_number >= 1)),
    CHECK (kind <> 'package' OR purchase_id IS NOT NULL)
);
CREATE UNIQUE INDEX charges_appointment ON charges (appointment_id) WHERE appointment_id IS NOT NULL;
CREATE UNIQUE INDEX charges_package_session ON charges (purchase_id, session_number) WHERE session_number IS NOT NULL;
CREATE INDEX charges_patient ON charges (patient_id, service_date, id);
CREATE INDEX charges_date ON charges (service_date);

-- A charge's amount changed with a reason: the new amount and the change.
CREATE TABLE charge_corrections (
    id           TEXT PRIMARY KEY,
    charge_id    TEXT NOT NULL REFERENCES charges (id),
    patient_id   TEXT NOT NULL REFERENCES patients (id),
    amount_cents BIGINT NOT NULL CHECK (amount_cents >= 0 AND amount_cents <= 100000000),
    delta_cents  BIGINT NOT NULL CHECK (delta_cents <> 0),
    reason       TEXT NOT NULL CHECK (reason <> ''),
    created_by   TEXT NOT NULL REFERENCES users (id),
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX charge_corrections_charge ON charge_corrections (charge_id, created_at);
CREATE INDEX charge_corrections_patient ON charge_corrections (patient_id);

CREATE TABLE payments (
    id           TEXT PRIMARY KEY,
    patient_id   TEXT NOT NULL REFERENCES patients (id),
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0 AND amount_cents <= 100000000),
    currency     TEXT NOT NULL CHECK (length(currency) = 3 AND currency = upper(currency)),
    method       TEXT NOT NULL CHECK (method IN ('card_terminal', 'cash', 'check', 'transfer')),
    reference    TEXT NOT NULL DEFAULT '',
    received_at  TIMESTAMPTZ NOT NULL,
    month        TEXT NOT NULL CHECK (length(month) = 7),
    recorded_by  TEXT NOT NULL REFERENCES users (id),
    recorded_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX payments_patient ON payments (patient_id, received_at, id);
CREATE INDEX payments_received ON payments (received_at);

-- A part of a payment applied to a charge; a negative one reverses an
-- earlier application (before a refund of the applied part).
CREATE TABLE payment_applications (
    id           TEXT PRIMARY KEY,
    payment_id   TEXT NOT NULL REFERENCES payments (id),
    charge_id    TEXT NOT NULL REFERENCES charges (id),
    patient_id   TEXT NOT NULL REFERENCES patients (id),
    amount_cents BIGINT NOT NULL CHECK (amount_cents <> 0),
    reverses_id  TEXT REFERENCES payment_applications (id),
    created_by   TEXT NOT NULL REFERENCES users (id),
    created_at   TIMESTAMPTZ NOT NULL,
    CHECK (amount_cents > 0 OR reverses_id IS NOT NULL)
);
CREATE INDEX payment_applications_payment ON payment_applications (payment_id);
CREATE INDEX payment_applications_charge ON payment_applications (charge_id);
CREATE INDEX payment_applications_patient ON payment_applications (patient_id);

CREATE TABLE refunds (
    id           TEXT PRIMARY KEY,
    payment_id   TEXT NOT NULL REFERENCES payments (id),
    patient_id   TEXT NOT NULL REFERENCES patients (id),
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0 AND amount_cents <= 100000000),
    reason       TEXT NOT NULL CHECK (reason <> ''),
    reference    TEXT NOT NULL DEFAULT '',
    month        TEXT NOT NULL CHECK (length(month) = 7),
    recorded_by  TEXT NOT NULL REFERENCES users (id),
    recorded_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX refunds_payment ON refunds (payment_id);
CREATE INDEX refunds_patient ON refunds (patient_id);

-- An adjustment takes an amount off a charge: a write-off, with its reason.
CREATE TABLE adjustments (
    id           TEXT PRIMARY KEY,
    charge_id    TEXT NOT NULL REFERENCES charges (id),
    patient_id   TEXT NOT NULL REFERENCES patients (id),
    kind         TEXT NOT NULL CHECK (kind IN ('write_off')),
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0 AND amount_cents <= 100000000),
    reason       TEXT NOT NULL CHECK (reason <> ''),
    created_by   TEXT NOT NULL REFERENCES users (id),
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX adjustments_charge ON adjustments (charge_id);
CREATE INDEX adjustments_patient ON adjustments (patient_id);

-- The charge policy for missed and late-cancelled appointments: the
-- latest row.
CREATE TABLE charge_policies (
    id                TEXT PRIMARY KEY,
    late_cancel_hours INTEGER NOT NULL CHECK (late_cancel_hours BETWEEN 1 AND 168),
    late_cancel_cents BIGINT NOT NULL CHECK (late_cancel_cents >= 0 AND late_cancel_cents <= 100000000),
    no_show_cents     BIGINT NOT NULL CHECK (no_show_cents >= 0 AND no_show_cents <= 100000000),
    currency          TEXT NOT NULL CHECK (length(currency) = 3 AND currency = upper(currency)),
    set_by            TEXT NOT NULL REFERENCES users (id),
    set_at            TIMESTAMPTZ NOT NULL
);

-- The ledger is append-only, whoever writes it.
CREATE TRIGGER charges_no_change BEFORE UPDATE OR DELETE ON charges
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER charges_no_truncate BEFORE TRUNCATE ON charges
    FOR EACH STATEMENT EXECUTE FUNCTION kapstone_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON charges FROM PUBLIC;
CREATE TRIGGER charge_corrections_no_change BEFORE UPDATE OR DELETE ON charge_corrections
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER charge_corrections_no_truncate BEFORE TRUNCATE ON charge_corrections
    FOR EACH STATEMENT EXECUTE FUNCTION kapstone_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON charge_corrections FROM PUBLIC;
CREATE TRIGGER payments_no_change BEFORE UPDATE OR DELETE ON payments
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER payments_no_truncate BEFORE TRUNCATE ON payments
    FOR EACH STATEMENT EXECUTE FUNCTION kapstone_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON payments FROM PUBLIC;
CREATE TRIGGER payment_applications_no_change BEFORE UPDATE OR DELETE ON payment_applications
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER payment_applications_no_truncate BEFORE TRUNCATE ON payment_applications
    FOR EACH STATEMENT EXECUTE FUNCTION kapstone_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON payment_applications FROM PUBLIC;
CREATE TRIGGER refunds_no_change BEFORE UPDATE OR DELETE ON refunds
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER refunds_no_truncate BEFORE TRUNCATE ON refunds
    FOR EACH STATEMENT EXECUTE FUNCTION kapstone_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON refunds FROM PUBLIC;
CREATE TRIGGER adjustments_no_change BEFORE UPDATE OR DELETE ON adjustments
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER adjustments_no_truncate BEFORE TRUNCATE ON adjustments
    FOR EACH STATEMENT EXECUTE FUNCTION kapstone_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON adjustments FROM PUBLIC;
CREATE TRIGGER patient_tiers_no_change BEFORE UPDATE OR DELETE ON patient_tiers
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER patient_tiers_no_truncate BEFORE TRUNCATE ON patient_tiers
    FOR EACH STATEMENT EXECUTE FUNCTION kapstone_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON patient_tiers FROM PUBLIC;
CREATE TRIGGER package_purchases_no_change BEFORE UPDATE OR DELETE ON package_purchases
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER package_purchases_no_truncate BEFORE TRUNCATE ON package_purchases
    FOR EACH STATEMENT EXECUTE FUNCTION kapstone_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON package_purchases FROM PUBLIC;
CREATE TRIGGER charge_policies_no_change BEFORE UPDATE OR DELETE ON charge_policies
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER charge_policies_no_truncate BEFORE TRUNCATE ON charge_policies
    FOR EACH STATEMENT EXECUTE FUNCTION kapstone_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON charge_policies FROM PUBLIC;

-- Configuration is archived, never changed nor deleted: a charge keeps
-- what it copied, and names the entry it came from.
CREATE TRIGGER fee_schedule_fixed BEFORE UPDATE OF kind, clinician_id, service_code, add_on_code, description, amount_cents, currency, replaces_id, created_by, created_at ON fee_schedule
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER fee_schedule_no_delete BEFORE DELETE ON fee_schedule
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER packages_fixed BEFORE UPDATE OF name, kind, sessions, price_cents, currency, service_code, created_by, created_at ON packages
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER packages_no_delete BEFORE DELETE ON packages
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER sliding_tiers_fixed BEFORE UPDATE OF name, percent, created_by, created_at ON sliding_tiers
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER sliding_tiers_no_delete BEFORE DELETE ON sliding_tiers
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();

-- The ledger's sums hold whoever writes a row: a payment is never applied
-- or refunded beyond its amount, a charge never paid or written off
-- beyond its amount, a correction never below what was paid and written
-- off of it, and a reversal undoes an application of the same payment
-- and charge, never more than is left of it. Each check locks the
-- payment's or the charge's row first, so two writers take turns.
CREATE FUNCTION kapstone_payment_left(pid TEXT) RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
    paid BIGINT;
BEGIN
    SELECT amount_cents INTO paid FROM payments WHERE id = pid FOR UPDATE;
    RETURN paid - COALESCE((SELECT SUM(amount_cents) FROM payment_applications WHERE payment_id = pid), 0)
        - COALESCE((SELECT SUM(amount_cents) FROM refunds WHERE payment_id = pid), 0);
END
$$;
CREATE FUNCTION kapstone_charge_amount(cid TEXT) RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
    amount BIGINT;
BEGIN
    SELECT amount_cents INTO amount FROM charges WHERE id = cid FOR UPDATE;
    RETURN amount + COALESCE((SELECT SUM(delta_cents) FROM charge_corrections WHERE charge_id = cid), 0);
END
$$;
CREATE FUNCTION kapstone_charge_settled(cid TEXT) RETURNS BIGINT LANGUAGE sql AS $$
    SELECT COALESCE((SELECT SUM(amount_cents) FROM payment_applications WHERE charge_id = cid), 0)
        + COALESCE((SELECT SUM(amount_cents) FROM adjustments WHERE charge_id = cid), 0)
$$;

CREATE FUNCTION kapstone_application_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
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
CREATE TRIGGER payment_applications_check BEFORE INSERT ON payment_applications
    FOR EACH ROW EXECUTE FUNCTION kapstone_application_check();

CREATE FUNCTION kapstone_refund_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF kapstone_payment_left(NEW.payment_id) < NEW.amount_cents THEN
        RAISE EXCEPTION 'refunds: more than is left of the payment';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER refunds_check BEFORE INSERT ON refunds
    FOR EACH ROW EXECUTE FUNCTION kapstone_refund_check();

CREATE FUNCTION kapstone_adjustment_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF kapstone_charge_amount(NEW.charge_id) < kapstone_charge_settled(NEW.charge_id) + NEW.amount_cents THEN
        RAISE EXCEPTION 'adjustments: more than is open of the charge';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER adjustments_check BEFORE INSERT ON adjustments
    FOR EACH ROW EXECUTE FUNCTION kapstone_adjustment_check();

CREATE FUNCTION kapstone_correction_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.amount_cents <> kapstone_charge_amount(NEW.charge_id) + NEW.delta_cents
        OR NEW.amount_cents < kapstone_charge_settled(NEW.charge_id) THEN
        RAISE EXCEPTION 'charge_corrections: the amount does not follow from the charge, or is below what was paid and written off';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER charge_corrections_check BEFORE INSERT ON charge_corrections
    FOR EACH ROW EXECUTE FUNCTION kapstone_correction_check();
