-- kapstone schema 0055: the controlled-substance log (issue 20, part 1;
-- rules in internal/cslog, sources in its package comment: 21 CFR 1304.04,
-- 1304.11, 1304.22(c), 1301.76(b)). Products, lots at a location, and an
-- append-only log of entries. Each entry carries the lot's balance after
-- it; the database checks that balance against the lot's entries before
-- it (so no entry can make or hide a change) and that it is never below
-- zero, whoever writes the row. Entries, lots and products are never
-- changed or deleted: a correction is a new entry naming the one it
-- corrects. A waste names a witness other than its recorder; an
-- administration names its dosing session, whose patient it is.

-- An administrator designates the staff who may keep the log besides the
-- prescribers (auth.PermControlled, the relation RelSelf).
ALTER TABLE users ADD COLUMN controlled_substances BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE cs_products (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    strength   TEXT NOT NULL,
    form       TEXT NOT NULL,
    unit       TEXT NOT NULL CHECK (unit IN ('mg', 'each')),
    unit_mcg   BIGINT NOT NULL DEFAULT 0,
    schedule   TEXT NOT NULL CHECK (schedule IN ('II', 'III', 'IV', 'V')),
    rems       BOOLEAN NOT NULL DEFAULT FALSE,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    CHECK (unit <> 'each' OR unit_mcg > 0)
);
CREATE UNIQUE INDEX cs_products_name ON cs_products (name, strength, form);

CREATE TABLE cs_lots (
    id         TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES cs_products (id),
    location   TEXT NOT NULL,
    lot        TEXT NOT NULL,
    expires_on TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (product_id, location, lot)
);

CREATE TABLE cs_entries (
    id          TEXT PRIMARY KEY,
    lot_id      TEXT NOT NULL REFERENCES cs_lots (id),
    kind        TEXT NOT NULL CHECK (kind IN ('receipt', 'administer', 'dispense', 'waste', 'return', 'transfer_in', 'transfer_out', 'loss', 'count', 'correction')),
    quantity    BIGINT NOT NULL,
    expected    BIGINT,
    delta       BIGINT NOT NULL,
    balance     BIGINT NOT NULL CHECK (balance >= 0),
    session_id  TEXT REFERENCES dosing_sessions (id),
    patient_id  TEXT REFERENCES patients (id),
    party       TEXT NOT NULL DEFAULT '',
    invoice     TEXT NOT NULL DEFAULT '',
    witness_id  TEXT REFERENCES users (id),
    reason      TEXT NOT NULL DEFAULT '',
    loss_type   TEXT NOT NULL DEFAULT '',
    discovered_at TIMESTAMPTZ,
    police      TEXT NOT NULL DEFAULT '',
    form106     TEXT NOT NULL DEFAULT '',
    corrects_id TEXT REFERENCES cs_entries (id),
    recorded_by TEXT NOT NULL REFERENCES users (id),
    occurred_at TIMESTAMPTZ NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    CHECK (kind NOT IN ('receipt', 'transfer_in') OR (quantity > 0 AND delta = quantity)),
    CHECK (kind NOT IN ('administer', 'dispense', 'waste', 'return', 'transfer_out', 'loss') OR (quantity > 0 AND delta = -quantity)),
    CHECK (kind <> 'count' OR (expected IS NOT NULL AND quantity >= 0 AND delta = quantity - expected AND (delta = 0 OR reason <> ''))),
    CHECK (kind <> 'correction' OR (corrects_id IS NOT NULL AND delta = quantity AND delta <> 0 AND reason <> '')),
    CHECK (kind <> 'administer' OR (session_id IS NOT NULL AND patient_id IS NOT NULL)),
    CHECK (kind <> 'dispense' OR patient_id IS NOT NULL),
    CHECK (kind <> 'waste' OR (witness_id IS NOT NULL AND witness_id <> recorded_by AND reason <> '')),
    CHECK (kind <> 'loss' OR (loss_type <> '' AND discovered_at IS NOT NULL AND reason <> ''))
);
CREATE INDEX cs_entries_lot ON cs_entries (lot_id, recorded_at);
CREATE INDEX cs_entries_occurred ON cs_entries (occurred_at, id);
CREATE INDEX cs_entries_session ON cs_entries (session_id) WHERE session_id IS NOT NULL;

-- The balance an entry carries is the lot's before it plus its change; a
-- count's expected quantity is the balance before it; an administration's
-- patient is its session's. The lot's row is locked first, so two
-- entries for one lot written at once take turns (each statement after
-- the lock sees the other's committed entry).
CREATE FUNCTION kapstone_cs_entry_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    before BIGINT;
BEGIN
    PERFORM 1 FROM cs_lots WHERE id = NEW.lot_id FOR UPDATE;
    SELECT COALESCE(SUM(delta), 0) INTO before FROM cs_entries WHERE lot_id = NEW.lot_id;
    IF NEW.balance <> before + NEW.delta THEN
        RAISE EXCEPTION 'cs_entries: the balance does not follow from the lot''s entries';
    END IF;
    IF NEW.kind = 'count' AND NEW.expected <> before THEN
        RAISE EXCEPTION 'cs_entries: a count expects the lot''s balance';
    END IF;
    IF NEW.session_id IS NOT NULL AND NEW.patient_id IS DISTINCT FROM (SELECT patient_id FROM dosing_sessions WHERE id = NEW.session_id) THEN
        RAISE EXCEPTION 'cs_entries: the session is another patient''s';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER cs_entries_check BEFORE INSERT ON cs_entries
    FOR EACH ROW EXECUTE FUNCTION kapstone_cs_entry_check();

CREATE TRIGGER cs_entries_no_change BEFORE UPDATE OR DELETE ON cs_entries
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER cs_entries_no_truncate BEFORE TRUNCATE ON cs_entries
    FOR EACH STATEMENT EXECUTE FUNCTION kapstone_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON cs_entries FROM PUBLIC;
CREATE TRIGGER cs_lots_no_change BEFORE UPDATE OR DELETE ON cs_lots
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER cs_lots_no_truncate BEFORE TRUNCATE ON cs_lots
    FOR EACH STATEMENT EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER cs_products_no_change BEFORE UPDATE OR DELETE ON cs_products
    FOR EACH ROW EXECUTE FUNCTION kapstone_append_only();
CREATE TRIGGER cs_products_no_truncate BEFORE TRUNCATE ON cs_products
    FOR EACH STATEMENT EXECUTE FUNCTION kapstone_append_only();
