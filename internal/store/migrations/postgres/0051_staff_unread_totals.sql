-- kapstone schema 0051: each clinician's count of unread patient messages,
-- kept as one number (issue 18). The staff navigation shows it on every
-- page; summed from message_unread it read one row per unread thread of
-- the clinician's caseload, so it grew with the practice.
-- staff_unread_totals holds, per clinician, the sum of their message_unread
-- rows on their active care teams (one per active care-team row, as the
-- join counted them) of patients not archived: what store.staffUnreadCount
-- returns. Triggers on message_unread, care_team and patients keep it in
-- the statement that changes any of them, whatever the code path (bulk
-- seeding too), so store.StaffUnreadMessages reads one row (store
-- TestStaffUnreadTotalsOracle compares it with the sum).

-- On PostgreSQL every trigger first takes the patient's advisory lock that
-- store.syncUnread holds while it rewrites their message_unread rows
-- (lockPatientMessages), so the changes of one patient's rows, care team
-- and archiving are made one at a time, each seeing what the other
-- committed: a message counted while its reader leaves the care team, or
-- a thread read while its patient is archived, is never counted twice or
-- missed. (A care-team or patient trigger takes it after the row it
-- changes, as archiving does; syncUnread takes it before any patient row
-- lock but the foreign keys' KEY SHARE, which archiving does not block.)

CREATE TABLE staff_unread_totals (
    user_id TEXT PRIMARY KEY,
    n       BIGINT NOT NULL
);

INSERT INTO staff_unread_totals (user_id, n)
SELECT u.user_id, sum(u.n) FROM message_unread u
JOIN care_team c ON c.patient_id = u.patient_id AND c.user_id = u.user_id AND c.removed_at IS NULL
JOIN patients p ON p.id = u.patient_id AND p.archived_at IS NULL
GROUP BY u.user_id;

-- The totals of a patient's active care team, locked in one order (by
-- user id) before any is changed: a statement that changes several
-- message_unread rows (store.syncUnread's delete, then insert) or an
-- archiving changes several clinicians' totals, which other patients'
-- changes change too; taken in the order of its rows they deadlocked.
-- Called with the patient's advisory lock held, so the team is settled;
-- member is a clinician whose total is changed too (one leaving the team).
CREATE FUNCTION kapstone_staff_unread_lock(patient TEXT, member TEXT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM staff_unread_totals s
    WHERE s.user_id IN (SELECT c.user_id FROM care_team c WHERE c.patient_id = patient AND c.removed_at IS NULL) OR s.user_id = member
    ORDER BY s.user_id FOR UPDATE;
END
$$;

-- A message_unread row counts n once per active care-team row of its
-- clinician and patient, if the patient is not archived.
CREATE FUNCTION kapstone_staff_unread_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    k BIGINT;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM pg_advisory_xact_lock(7041992, hashtext(OLD.patient_id));
        PERFORM kapstone_staff_unread_lock(OLD.patient_id, OLD.user_id);
        SELECT count(*) INTO k FROM care_team c JOIN patients p ON p.id = c.patient_id AND p.archived_at IS NULL
        WHERE c.patient_id = OLD.patient_id AND c.user_id = OLD.user_id AND c.removed_at IS NULL;
        IF k > 0 THEN
            UPDATE staff_unread_totals SET n = n - OLD.n * k WHERE user_id = OLD.user_id;
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM pg_advisory_xact_lock(7041992, hashtext(NEW.patient_id));
        PERFORM kapstone_staff_unread_lock(NEW.patient_id, NEW.user_id);
        SELECT count(*) INTO k FROM care_team c JOIN patients p ON p.id = c.patient_id AND p.archived_at IS NULL
        WHERE c.patient_id = NEW.patient_id AND c.user_id = NEW.user_id AND c.removed_at IS NULL;
        IF k > 0 THEN
            INSERT INTO staff_unread_totals (user_id, n) VALUES (NEW.user_id, NEW.n * k)
            ON CONFLICT (user_id) DO UPDATE SET n = staff_unread_totals.n + excluded.n;
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER staff_unread_totals_unread AFTER INSERT OR UPDATE OR DELETE ON message_unread
    FOR EACH ROW EXECUTE FUNCTION kapstone_staff_unread_row();

-- An active care-team row counts its clinician's message_unread rows of
-- its patient, if the patient is not archived.
CREATE FUNCTION kapstone_staff_unread_team() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d BIGINT;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.removed_at IS NULL THEN
        PERFORM pg_advisory_xact_lock(7041992, hashtext(OLD.patient_id));
        PERFORM kapstone_staff_unread_lock(OLD.patient_id, OLD.user_id);
        SELECT coalesce(sum(u.n), 0) INTO d FROM message_unread u JOIN patients p ON p.id = u.patient_id AND p.archived_at IS NULL
        WHERE u.patient_id = OLD.patient_id AND u.user_id = OLD.user_id;
        IF d <> 0 THEN
            UPDATE staff_unread_totals SET n = n - d WHERE user_id = OLD.user_id;
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.removed_at IS NULL THEN
        PERFORM pg_advisory_xact_lock(7041992, hashtext(NEW.patient_id));
        PERFORM kapstone_staff_unread_lock(NEW.patient_id, NEW.user_id);
        SELECT coalesce(sum(u.n), 0) INTO d FROM message_unread u JOIN patients p ON p.id = u.patient_id AND p.archived_at IS NULL
        WHERE u.patient_id = NEW.patient_id AND u.user_id = NEW.user_id;
        IF d <> 0 THEN
            INSERT INTO staff_unread_totals (user_id, n) VALUES (NEW.user_id, d)
            ON CONFLICT (user_id) DO UPDATE SET n = staff_unread_totals.n + excluded.n;
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER staff_unread_totals_team AFTER INSERT OR DELETE OR UPDATE OF patient_id, user_id, removed_at ON care_team
    FOR EACH ROW EXECUTE FUNCTION kapstone_staff_unread_team();

-- A patient archived or brought back takes out or puts back what their
-- care team has not read of them.
CREATE FUNCTION kapstone_staff_unread_patient() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.archived_at IS NULL THEN
        PERFORM pg_advisory_xact_lock(7041992, hashtext(OLD.id));
        PERFORM kapstone_staff_unread_lock(OLD.id, NULL);
        UPDATE staff_unread_totals s SET n = s.n - d.n
        FROM (SELECT u.user_id, sum(u.n) AS n FROM message_unread u
              JOIN care_team c ON c.patient_id = u.patient_id AND c.user_id = u.user_id AND c.removed_at IS NULL
              WHERE u.patient_id = OLD.id GROUP BY u.user_id) d
        WHERE s.user_id = d.user_id;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.archived_at IS NULL THEN
        PERFORM pg_advisory_xact_lock(7041992, hashtext(NEW.id));
        PERFORM kapstone_staff_unread_lock(NEW.id, NULL);
        INSERT INTO staff_unread_totals (user_id, n)
        SELECT u.user_id, sum(u.n) FROM message_unread u
        JOIN care_team c ON c.patient_id = u.patient_id AND c.user_id = u.user_id AND c.removed_at IS NULL
        WHERE u.patient_id = NEW.id
        GROUP BY u.user_id
        ON CONFLICT (user_id) DO UPDATE SET n = staff_unread_totals.n + excluded.n;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER staff_unread_totals_patient_update AFTER UPDATE OF id, archived_at ON patients
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id OR (OLD.archived_at IS NULL) <> (NEW.archived_at IS NULL))
    EXECUTE FUNCTION kapstone_staff_unread_patient();
CREATE TRIGGER staff_unread_totals_patient_delete AFTER DELETE ON patients
    FOR EACH ROW EXECUTE FUNCTION kapstone_staff_unread_patient();
