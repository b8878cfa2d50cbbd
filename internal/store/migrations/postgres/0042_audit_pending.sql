-- kapstone schema 0042: the audit log's pending rows (issue 18, two
-- instances). On PostgreSQL an audited transaction no longer takes the
-- chain's lock and reads its head: it appends its row here, in the same
-- transaction as the change, signed by the instance over the row's fields
-- and its id (audit.Key.SignPending), so an edit is found before and after
-- it is sealed. One sealer at a time (store.SealAudit, advisory lock
-- 7041990214, any instance) chains pending rows in id order into
-- audit_events and deletes them from here, in one transaction. Readers of
-- recent rows (rate limits, access reports) read both tables.
CREATE TABLE audit_pending (
    id          BIGSERIAL PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
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
-- Rate limits count by action and object or address (CountAudit), access
-- reports by patient; the table holds ~100 ms of rows, but stays indexed
-- for when sealing falls behind.
CREATE INDEX audit_pending_action_object ON audit_pending (action, object_id, at);
CREATE INDEX audit_pending_patient ON audit_pending (patient_id);

-- Rows are never changed; they are deleted only by the sealer, whose
-- transaction sets kapstone.sealing (a speed bump for mistakes: the
-- signatures, not this trigger, are what catch an edit).
CREATE FUNCTION kapstone_audit_pending_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('kapstone.sealing', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit_pending rows are only removed by the audit sealer';
END
$$;
CREATE TRIGGER audit_pending_guard BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_pending
    FOR EACH STATEMENT EXECUTE FUNCTION kapstone_audit_pending_guard();
REVOKE UPDATE, TRUNCATE ON audit_pending FROM PUBLIC;
