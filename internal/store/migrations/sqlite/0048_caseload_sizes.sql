-- kapstone schema 0048: how many patients each clinician's caseload holds,
-- by stage (issue 18). The caseload page shows the count of every patient
-- on the reader's care teams; counted from care_team and patients it read
-- one row per patient of the caseload on every page, so it grew with the
-- practice. caseload_sizes holds, per clinician and stage, how many active
-- care-team rows they have whose patient is not archived; triggers keep it
-- in the statement that changes either table, whatever the code path
-- (bulk seeding too), so the page reads a few rows (store.PagePatients;
-- store TestCaseloadSizesOracle compares it with the count).

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

CREATE TRIGGER caseload_sizes_team_insert AFTER INSERT ON care_team
WHEN NEW.removed_at IS NULL
BEGIN
    INSERT INTO caseload_sizes (user_id, stage, n)
    SELECT NEW.user_id, p.stage, 1 FROM patients p WHERE p.id = NEW.patient_id AND p.archived_at IS NULL
    ON CONFLICT (user_id, stage) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER caseload_sizes_team_update AFTER UPDATE OF patient_id, user_id, removed_at ON care_team
BEGIN
    UPDATE caseload_sizes SET n = n - 1
    WHERE OLD.removed_at IS NULL AND user_id = OLD.user_id
      AND stage = (SELECT p.stage FROM patients p WHERE p.id = OLD.patient_id AND p.archived_at IS NULL);
    INSERT INTO caseload_sizes (user_id, stage, n)
    SELECT NEW.user_id, p.stage, 1 FROM patients p WHERE p.id = NEW.patient_id AND p.archived_at IS NULL AND NEW.removed_at IS NULL
    ON CONFLICT (user_id, stage) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER caseload_sizes_team_delete AFTER DELETE ON care_team
WHEN OLD.removed_at IS NULL
BEGIN
    UPDATE caseload_sizes SET n = n - 1
    WHERE user_id = OLD.user_id
      AND stage = (SELECT p.stage FROM patients p WHERE p.id = OLD.patient_id AND p.archived_at IS NULL);
END;

CREATE TRIGGER caseload_sizes_patient_update AFTER UPDATE OF id, stage, archived_at ON patients
WHEN OLD.id IS NOT NEW.id OR OLD.stage IS NOT NEW.stage OR (OLD.archived_at IS NULL) <> (NEW.archived_at IS NULL)
BEGIN
    UPDATE caseload_sizes SET n = n - 1
    WHERE OLD.archived_at IS NULL AND stage = OLD.stage
      AND user_id IN (SELECT t.user_id FROM care_team t WHERE t.patient_id = OLD.id AND t.removed_at IS NULL);
    INSERT INTO caseload_sizes (user_id, stage, n)
    SELECT t.user_id, NEW.stage, 1 FROM care_team t WHERE t.patient_id = NEW.id AND t.removed_at IS NULL AND NEW.archived_at IS NULL
    ON CONFLICT (user_id, stage) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER caseload_sizes_patient_delete AFTER DELETE ON patients
WHEN OLD.archived_at IS NULL
BEGIN
    UPDATE caseload_sizes SET n = n - 1
    WHERE stage = OLD.stage
      AND user_id IN (SELECT t.user_id FROM care_team t WHERE t.patient_id = OLD.id AND t.removed_at IS NULL);
END;
