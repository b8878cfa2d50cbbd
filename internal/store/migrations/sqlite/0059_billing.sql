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
    created_at   TIMESTAMP NOT NULL,
    archived_at  TIMESTAMP,
    archived_by  TEXT REFERENCES users (id)
);
CREATE INDEX fee_schedule_kind ON fee_schedule (kind, clinician_id) WHERE archived_at IS NULL;

CREATE TABLE sliding_tiers (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL CHECK (name <> ''),
    percent     INTEGER NOT NULL CHECK (percent BETWEEN 1 AND 99),
    created_by  TEXT NOT NULL REFERENCES users (id),
    created_at  TIMESTAMP NOT NULL,
    archived_at TIMESTAMP
);

-- A patient's tier: the latest row (tier_id NULL: the full fee again).
CREATE TABLE patient_tiers (
    id         TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients (id),
    tier_id    TEXT REFERENCES sliding_tiers (id),
    set_by     TEXT NOT NULL REFERENCES users (id),
    set_at     TIMESTAMP NOT NULL
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
    created_at   TIMESTAMP NOT NULL,
    archived_at  TIMESTAMP
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
    sold_at      TIMESTAMP NOT NULL
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
    service_date   TIMESTAMP NOT NULL,
    remote         BOOLEAN NOT NULL DEFAULT FALSE,
    created_by     TEXT NOT NULL REFERENCES users (id),
    created_at     TIMESTAMP NOT NULL,
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
    created_at   TIMESTAMP NOT NULL
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
    received_at  TIMESTAMP NOT NULL,
    month        TEXT NOT NULL CHECK (length(month) = 7),
    recorded_by  TEXT NOT NULL REFERENCES users (id),
    recorded_at  TIMESTAMP NOT NULL
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
    created_at   TIMESTAMP NOT NULL,
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
    recorded_at  TIMESTAMP NOT NULL
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
    created_at   TIMESTAMP NOT NULL
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
    set_at            TIMESTAMP NOT NULL
);

-- The ledger is append-only, whoever writes it.
CREATE TRIGGER charges_no_update BEFORE UPDATE ON charges
BEGIN SELECT RAISE(ABORT, 'charges is append-only'); END;
CREATE TRIGGER charges_no_delete BEFORE DELETE ON charges
BEGIN SELECT RAISE(ABORT, 'charges is append-only'); END;
CREATE TRIGGER charge_corrections_no_update BEFORE UPDATE ON charge_corrections
BEGIN SELECT RAISE(ABORT, 'charge_corrections is append-only'); END;
CREATE TRIGGER charge_corrections_no_delete BEFORE DELETE ON charge_corrections
BEGIN SELECT RAISE(ABORT, 'charge_corrections is append-only'); END;
CREATE TRIGGER payments_no_update BEFORE UPDATE ON payments
BEGIN SELECT RAISE(ABORT, 'payments is append-only'); END;
CREATE TRIGGER payments_no_delete BEFORE DELETE ON payments
BEGIN SELECT RAISE(ABORT, 'payments is append-only'); END;
CREATE TRIGGER payment_applications_no_update BEFORE UPDATE ON payment_applications
BEGIN SELECT RAISE(ABORT, 'payment_applications is append-only'); END;
CREATE TRIGGER payment_applications_no_delete BEFORE DELETE ON payment_applications
BEGIN SELECT RAISE(ABORT, 'payment_applications is append-only'); END;
CREATE TRIGGER refunds_no_update BEFORE UPDATE ON refunds
BEGIN SELECT RAISE(ABORT, 'refunds is append-only'); END;
CREATE TRIGGER refunds_no_delete BEFORE DELETE ON refunds
BEGIN SELECT RAISE(ABORT, 'refunds is append-only'); END;
CREATE TRIGGER adjustments_no_update BEFORE UPDATE ON adjustments
BEGIN SELECT RAISE(ABORT, 'adjustments is append-only'); END;
CREATE TRIGGER adjustments_no_delete BEFORE DELETE ON adjustments
BEGIN SELECT RAISE(ABORT, 'adjustments is append-only'); END;
CREATE TRIGGER patient_tiers_no_update BEFORE UPDATE ON patient_tiers
BEGIN SELECT RAISE(ABORT, 'patient_tiers is append-only'); END;
CREATE TRIGGER patient_tiers_no_delete BEFORE DELETE ON patient_tiers
BEGIN SELECT RAISE(ABORT, 'patient_tiers is append-only'); END;
CREATE TRIGGER package_purchases_no_update BEFORE UPDATE ON package_purchases
BEGIN SELECT RAISE(ABORT, 'package_purchases is append-only'); END;
CREATE TRIGGER package_purchases_no_delete BEFORE DELETE ON package_purchases
BEGIN SELECT RAISE(ABORT, 'package_purchases is append-only'); END;
CREATE TRIGGER charge_policies_no_update BEFORE UPDATE ON charge_policies
BEGIN SELECT RAISE(ABORT, 'charge_policies is append-only'); END;
CREATE TRIGGER charge_policies_no_delete BEFORE DELETE ON charge_policies
BEGIN SELECT RAISE(ABORT, 'charge_policies is append-only'); END;

-- Configuration is archived, never changed nor deleted: a charge keeps
-- what it copied, and names the entry it came from.
CREATE TRIGGER fee_schedule_fixed BEFORE UPDATE OF kind, clinician_id, service_code, add_on_code, description, amount_cents, currency, replaces_id, created_by, created_at ON fee_schedule
BEGIN SELECT RAISE(ABORT, 'fee_schedule: an entry is archived, never changed'); END;
CREATE TRIGGER fee_schedule_no_delete BEFORE DELETE ON fee_schedule
BEGIN SELECT RAISE(ABORT, 'fee_schedule: an entry is archived, never deleted'); END;
CREATE TRIGGER packages_fixed BEFORE UPDATE OF name, kind, sessions, price_cents, currency, service_code, created_by, created_at ON packages
BEGIN SELECT RAISE(ABORT, 'packages: an entry is archived, never changed'); END;
CREATE TRIGGER packages_no_delete BEFORE DELETE ON packages
BEGIN SELECT RAISE(ABORT, 'packages: an entry is archived, never deleted'); END;
CREATE TRIGGER sliding_tiers_fixed BEFORE UPDATE OF name, percent, created_by, created_at ON sliding_tiers
BEGIN SELECT RAISE(ABORT, 'sliding_tiers: an entry is archived, never changed'); END;
CREATE TRIGGER sliding_tiers_no_delete BEFORE DELETE ON sliding_tiers
BEGIN SELECT RAISE(ABORT, 'sliding_tiers: an entry is archived, never deleted'); END;

-- The ledger's sums hold whoever writes a row: a payment is never applied
-- or refunded beyond its amount, a charge never paid or written off
-- beyond its amount, a correction never below what was paid and written
-- off of it, and a reversal undoes an application of the same payment
-- and charge, never more than is left of it.
CREATE TRIGGER payment_applications_within_payment BEFORE INSERT ON payment_applications
WHEN NEW.amount_cents > 0 AND (SELECT amount_cents FROM payments WHERE id = NEW.payment_id)
    < COALESCE((SELECT SUM(amount_cents) FROM payment_applications WHERE payment_id = NEW.payment_id), 0)
    + COALESCE((SELECT SUM(amount_cents) FROM refunds WHERE payment_id = NEW.payment_id), 0) + NEW.amount_cents
BEGIN SELECT RAISE(ABORT, 'payment_applications: more than is left of the payment'); END;
CREATE TRIGGER payment_applications_within_charge BEFORE INSERT ON payment_applications
WHEN NEW.amount_cents > 0 AND (SELECT amount_cents FROM charges WHERE id = NEW.charge_id)
    + COALESCE((SELECT SUM(delta_cents) FROM charge_corrections WHERE charge_id = NEW.charge_id), 0)
    < COALESCE((SELECT SUM(amount_cents) FROM payment_applications WHERE charge_id = NEW.charge_id), 0)
    + COALESCE((SELECT SUM(amount_cents) FROM adjustments WHERE charge_id = NEW.charge_id), 0) + NEW.amount_cents
BEGIN SELECT RAISE(ABORT, 'payment_applications: more than is open of the charge'); END;
CREATE TRIGGER payment_applications_reversal BEFORE INSERT ON payment_applications
WHEN NEW.reverses_id IS NOT NULL AND (NEW.amount_cents >= 0
    OR NOT EXISTS (SELECT 1 FROM payment_applications WHERE id = NEW.reverses_id AND payment_id = NEW.payment_id AND charge_id = NEW.charge_id AND amount_cents > 0)
    OR (SELECT amount_cents FROM payment_applications WHERE id = NEW.reverses_id)
       + COALESCE((SELECT SUM(amount_cents) FROM payment_applications WHERE reverses_id = NEW.reverses_id), 0) + NEW.amount_cents < 0)
BEGIN SELECT RAISE(ABORT, 'payment_applications: a reversal undoes no more than an application of the same payment and charge'); END;
CREATE TRIGGER refunds_within_payment BEFORE INSERT ON refunds
WHEN (SELECT amount_cents FROM payments WHERE id = NEW.payment_id)
    < COALESCE((SELECT SUM(amount_cents) FROM payment_applications WHERE payment_id = NEW.payment_id), 0)
    + COALESCE((SELECT SUM(amount_cents) FROM refunds WHERE payment_id = NEW.payment_id), 0) + NEW.amount_cents
BEGIN SELECT RAISE(ABORT, 'refunds: more than is left of the payment'); END;
CREATE TRIGGER adjustments_within_charge BEFORE INSERT ON adjustments
WHEN (SELECT amount_cents FROM charges WHERE id = NEW.charge_id)
    + COALESCE((SELECT SUM(delta_cents) FROM charge_corrections WHERE charge_id = NEW.charge_id), 0)
    < COALESCE((SELECT SUM(amount_cents) FROM payment_applications WHERE charge_id = NEW.charge_id), 0)
    + COALESCE((SELECT SUM(amount_cents) FROM adjustments WHERE charge_id = NEW.charge_id), 0) + NEW.amount_cents
BEGIN SELECT RAISE(ABORT, 'adjustments: more than is open of the charge'); END;
CREATE TRIGGER charge_corrections_check BEFORE INSERT ON charge_corrections
WHEN NEW.amount_cents <> (SELECT amount_cents FROM charges WHERE id = NEW.charge_id)
    + COALESCE((SELECT SUM(delta_cents) FROM charge_corrections WHERE charge_id = NEW.charge_id), 0) + NEW.delta_cents
    OR NEW.amount_cents < COALESCE((SELECT SUM(amount_cents) FROM payment_applications WHERE charge_id = NEW.charge_id), 0)
    + COALESCE((SELECT SUM(amount_cents) FROM adjustments WHERE charge_id = NEW.charge_id), 0)
BEGIN SELECT RAISE(ABORT, 'charge_corrections: the amount does not follow from the charge, or is below what was paid and written off'); END;
