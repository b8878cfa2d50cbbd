-- kapstone schema 0048: how many patients each clinician's caseload holds,
-- by stage (issue 18). The caseload page shows the count of every patient
-- on the reader's care teams; counted from care_team and patients it read
-- one row per patient of the caseload on every page, so it grew with the
-- practice. caseload_sizes holds, per clinician and stage, how many active
-- care-team rows they have whose patient is not archived; triggers keep it
-- in the statement that changes either table, whatever the code path
-- (bulk seeding too), so the page reads a few rows (store.PagePatients;
-- store TestCaseloadSizesOracle compares it with the count).
-- On PostgreSQL a care-team change locks its patient's row (FOR SHARE)
-- before reading the stage, so a stage change or an archiving at the
-- same time either waits for it or is seen by it: never counted twice or
-- missed.

CREATE TABLE caseload_sizes (
    user_id TEXT NOT NULL,
    stage   TEXT NOT NULL,
    n       BIGINT NOT NULL,
    PRIMARY KEY (user_id, stage)
);

INSERT INTO caseload_sizes (user_id, stage, n)
SELECT t.user_id, p.stage, count(*) FROM care_team t JOIN patients p ON p.id = t.patient_id
WHERE t.removed_at IS NULL AND p.archived_at IS NULL
GROUP BY t.user_id, p.stage;

-- The clinicians' counts a trigger changes are locked first, in one order
-- (by the hash of the user id, one transaction-scoped advisory lock each):
-- a change touches two stages' rows (old and new), and two changes in
-- opposite directions took them in opposite orders and deadlocked
-- (store TestCaseloadSizesOppositeStageChanges). Taken after the patient's
-- row (its FOR SHARE below, or the patient update itself), so the order is
-- always patient row, then clinicians.
CREATE FUNCTION kapstone_caseload_sizes_lock(users TEXT[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    h INTEGER;
BEGIN
    FOR h IN SELECT DISTINCT hashtext(u) FROM unnest(users) u WHERE u IS NOT NULL ORDER BY 1 LOOP
        PERFORM pg_advisory_xact_lock(7041993, h);
    END LOOP;
END
$$;

CREATE FUNCTION kapstone_caseload_sizes_team() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_st TEXT;
    new_st TEXT;
    arch TIMESTAMPTZ;
    old_in BOOLEAN := false;
    new_in BOOLEAN := false;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.removed_at IS NULL THEN
        SELECT p.stage, p.archived_at INTO old_st, arch FROM patients p WHERE p.id = OLD.patient_id FOR SHARE;
        old_in := FOUND AND arch IS NULL;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.removed_at IS NULL THEN
        SELECT p.stage, p.archived_at INTO new_st, arch FROM patients p WHERE p.id = NEW.patient_id FOR SHARE;
        new_in := FOUND AND arch IS NULL;
    END IF;
    IF NOT old_in AND NOT new_in THEN
        RETURN NULL;
    END IF;
    PERFORM kapstone_caseload_sizes_lock(ARRAY[CASE WHEN old_in THEN OLD.user_id END, CASE WHEN new_in THEN NEW.user_id END]);
    IF old_in THEN
        UPDATE caseload_sizes SET n = n - 1 WHERE user_id = OLD.user_id AND stage = old_st;
    END IF;
    IF new_in THEN
        INSERT INTO caseload_sizes (user_id, stage, n) VALUES (NEW.user_id, new_st, 1)
        ON CONFLICT (user_id, stage) DO UPDATE SET n = caseload_sizes.n + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER caseload_sizes_team AFTER INSERT OR DELETE OR UPDATE OF patient_id, user_id, removed_at ON care_team
    FOR EACH ROW EXECUTE FUNCTION kapstone_caseload_sizes_team();

CREATE FUNCTION kapstone_caseload_sizes_patient() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM kapstone_caseload_sizes_lock(ARRAY(SELECT t.user_id FROM care_team t
        WHERE t.patient_id = OLD.id AND t.removed_at IS NULL));
    IF OLD.archived_at IS NULL THEN
        UPDATE caseload_sizes SET n = n - 1
        WHERE stage = OLD.stage
          AND user_id IN (SELECT t.user_id FROM care_team t WHERE t.patient_id = OLD.id AND t.removed_at IS NULL);
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.archived_at IS NULL THEN
        INSERT INTO caseload_sizes (user_id, stage, n)
        SELECT t.user_id, NEW.stage, 1 FROM care_team t WHERE t.patient_id = NEW.id AND t.removed_at IS NULL
        ON CONFLICT (user_id, stage) DO UPDATE SET n = caseload_sizes.n + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER caseload_sizes_patient_update AFTER UPDATE OF id, stage, archived_at ON patients
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.stage IS DISTINCT FROM NEW.stage OR (OLD.archived_at IS NULL) <> (NEW.archived_at IS NULL))
    EXECUTE FUNCTION kapstone_caseload_sizes_patient();
CREATE TRIGGER caseload_sizes_patient_delete AFTER DELETE ON patients
    FOR EACH ROW EXECUTE FUNCTION kapstone_caseload_sizes_patient();
