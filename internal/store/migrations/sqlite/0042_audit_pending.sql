-- kapstone schema 0042: the audit log's pending rows (issue 18, two
-- instances). Only PostgreSQL uses this table: there, audited transactions
-- append here and one sealer chains the rows into audit_events. SQLite has
-- one writer, which chains each row inline as before; the table exists so
-- both engines have the same tables, and no row is ever written to it.
CREATE TABLE audit_pending (
    id          INTEGER PRIMARY KEY,
    at          TIMESTAMP NOT NULL,
    actor_id    TEXT NOT NULL,
    actor_role  TEXT NOT NULL,
    action      TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    patient_id  TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    client_addr TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    detail      TEXT NOT NULL,
    sig         TEXT NOT NULL
);
CREATE TRIGGER audit_pending_no_insert BEFORE INSERT ON audit_pending
BEGIN SELECT RAISE(ABORT, 'audit_pending is not used on SQLite'); END;
