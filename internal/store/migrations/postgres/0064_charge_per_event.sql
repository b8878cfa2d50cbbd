-- kapstone schema 0064: an appointment carries at most one charge of each
-- kind, not one charge in all (issue 21). When its outcome changes (marked
-- attended by mistake, then missed), the charge of the first event is
-- voided by a correction to 0 and the new event's charge is made beside it;
-- the ledger stays append-only (billing.Reconcile).
DROP INDEX charges_appointment;
CREATE UNIQUE INDEX charges_appointment ON charges (appointment_id, kind) WHERE appointment_id IS NOT NULL;
