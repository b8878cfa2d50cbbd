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

CREATE TABLE staff_unread_totals (
    user_id TEXT PRIMARY KEY,
    n       BIGINT NOT NULL
);

INSERT INTO staff_unread_totals (user_id, n)
SELECT u.user_id, sum(u.n) FROM message_unread u
JOIN care_team c ON c.patient_id = u.patient_id AND c.user_id = u.user_id AND c.removed_at IS NULL
JOIN patients p ON p.id = u.patient_id AND p.archived_at IS NULL
GROUP BY u.user_id;

-- A message_unread row counts n once per active care-team row of its
-- clinician and patient, if the patient is not archived.
CREATE TRIGGER staff_unread_totals_unread_insert AFTER INSERT ON message_unread
BEGIN
    INSERT INTO staff_unread_totals (user_id, n)
    SELECT NEW.user_id, NEW.n * count(*) FROM care_team c JOIN patients p ON p.id = c.patient_id AND p.archived_at IS NULL
    WHERE c.patient_id = NEW.patient_id AND c.user_id = NEW.user_id AND c.removed_at IS NULL
    HAVING count(*) > 0
    ON CONFLICT (user_id) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER staff_unread_totals_unread_update AFTER UPDATE ON message_unread
BEGIN
    UPDATE staff_unread_totals SET n = n - OLD.n * (SELECT count(*) FROM care_team c JOIN patients p ON p.id = c.patient_id AND p.archived_at IS NULL
        WHERE c.patient_id = OLD.patient_id AND c.user_id = OLD.user_id AND c.removed_at IS NULL)
    WHERE user_id = OLD.user_id;
    INSERT INTO staff_unread_totals (user_id, n)
    SELECT NEW.user_id, NEW.n * count(*) FROM care_team c JOIN patients p ON p.id = c.patient_id AND p.archived_at IS NULL
    WHERE c.patient_id = NEW.patient_id AND c.user_id = NEW.user_id AND c.removed_at IS NULL
    HAVING count(*) > 0
    ON CONFLICT (user_id) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER staff_unread_totals_unread_delete AFTER DELETE ON message_unread
BEGIN
    UPDATE staff_unread_totals SET n = n - OLD.n * (SELECT count(*) FROM care_team c JOIN patients p ON p.id = c.patient_id AND p.archived_at IS NULL
        WHERE c.patient_id = OLD.patient_id AND c.user_id = OLD.user_id AND c.removed_at IS NULL)
    WHERE user_id = OLD.user_id;
END;

-- An active care-team row counts its clinician's message_unread rows of
-- its patient, if the patient is not archived.
CREATE TRIGGER staff_unread_totals_team_insert AFTER INSERT ON care_team
WHEN NEW.removed_at IS NULL
BEGIN
    INSERT INTO staff_unread_totals (user_id, n)
    SELECT NEW.user_id, sum(u.n) FROM message_unread u JOIN patients p ON p.id = u.patient_id AND p.archived_at IS NULL
    WHERE u.patient_id = NEW.patient_id AND u.user_id = NEW.user_id
    HAVING count(*) > 0
    ON CONFLICT (user_id) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER staff_unread_totals_team_update AFTER UPDATE OF patient_id, user_id, removed_at ON care_team
BEGIN
    UPDATE staff_unread_totals SET n = n - (SELECT coalesce(sum(u.n), 0) FROM message_unread u JOIN patients p ON p.id = u.patient_id AND p.archived_at IS NULL
        WHERE u.patient_id = OLD.patient_id AND u.user_id = OLD.user_id)
    WHERE OLD.removed_at IS NULL AND user_id = OLD.user_id;
    INSERT INTO staff_unread_totals (user_id, n)
    SELECT NEW.user_id, sum(u.n) FROM message_unread u JOIN patients p ON p.id = u.patient_id AND p.archived_at IS NULL
    WHERE NEW.removed_at IS NULL AND u.patient_id = NEW.patient_id AND u.user_id = NEW.user_id
    HAVING count(*) > 0
    ON CONFLICT (user_id) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER staff_unread_totals_team_delete AFTER DELETE ON care_team
WHEN OLD.removed_at IS NULL
BEGIN
    UPDATE staff_unread_totals SET n = n - (SELECT coalesce(sum(u.n), 0) FROM message_unread u JOIN patients p ON p.id = u.patient_id AND p.archived_at IS NULL
        WHERE u.patient_id = OLD.patient_id AND u.user_id = OLD.user_id)
    WHERE user_id = OLD.user_id;
END;

-- A patient archived or brought back takes out or puts back what their
-- care team has not read of them.
CREATE TRIGGER staff_unread_totals_patient_update AFTER UPDATE OF id, archived_at ON patients
WHEN OLD.id IS NOT NEW.id OR (OLD.archived_at IS NULL) <> (NEW.archived_at IS NULL)
BEGIN
    UPDATE staff_unread_totals SET n = n - (SELECT coalesce(sum(u.n), 0) FROM message_unread u
        JOIN care_team c ON c.patient_id = u.patient_id AND c.user_id = u.user_id AND c.removed_at IS NULL
        WHERE u.patient_id = OLD.id AND u.user_id = staff_unread_totals.user_id)
    WHERE OLD.archived_at IS NULL AND user_id IN (SELECT u.user_id FROM message_unread u WHERE u.patient_id = OLD.id);
    INSERT INTO staff_unread_totals (user_id, n)
    SELECT u.user_id, sum(u.n) FROM message_unread u
    JOIN care_team c ON c.patient_id = u.patient_id AND c.user_id = u.user_id AND c.removed_at IS NULL
    WHERE NEW.archived_at IS NULL AND u.patient_id = NEW.id
    GROUP BY u.user_id
    ON CONFLICT (user_id) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER staff_unread_totals_patient_delete AFTER DELETE ON patients
WHEN OLD.archived_at IS NULL
BEGIN
    UPDATE staff_unread_totals SET n = n - (SELECT coalesce(sum(u.n), 0) FROM message_unread u
        JOIN care_team c ON c.patient_id = u.patient_id AND c.user_id = u.user_id AND c.removed_at IS NULL
        WHERE u.patient_id = OLD.id AND u.user_id = staff_unread_totals.user_id)
    WHERE user_id IN (SELECT u.user_id FROM message_unread u WHERE u.patient_id = OLD.id);
END;
