-- kapstone schema 0023: courses of treatment, and the course of every
-- check-in, so outcomes are measured per course from its own baseline (the
-- first score of the course), not from the first score a patient ever gave
-- (issue 12, defect 13; REFERENCE.md 1.3: TherapyNotes sets the baseline
-- per episode of care). A patient's first course starts when they are
-- added; a new one when they return after a closed course (the closed
-- stage could not be left before this migration).

CREATE TABLE courses (
    id         TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients (id),
    number     BIGINT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    closed_at  TIMESTAMPTZ,
    UNIQUE (patient_id, number)
);

-- Until now a closed course could not be reopened, so every patient has had
-- exactly one course: it started when they were added, and it is closed if
-- they are at the closed stage (closed when they last moved there).
INSERT INTO courses (id, patient_id, number, started_at, closed_at)
SELECT p.id || '-course-1', p.id, 1, p.created_at,
       CASE WHEN p.stage = 'closed' THEN
           (SELECT max(c.at) FROM stage_changes c WHERE c.patient_id = p.id AND c.to_stage = 'closed')
       END
FROM patients p;

-- Every check-in belongs to a course; the store always sets it. Existing
-- check-ins belong to their patient's one course (a paper questionnaire
-- dated before the patient was added included: it was the baseline).
ALTER TABLE checkins ADD COLUMN course_id TEXT REFERENCES courses (id);

-- A completed check-in never changes (0004); the trigger is lifted for the
-- backfill only, inside this migration's transaction, and put back as it was.
ALTER TABLE checkins DISABLE TRIGGER checkins_complete_immutable;
UPDATE checkins SET course_id = patient_id || '-course-1';
ALTER TABLE checkins ENABLE TRIGGER checkins_complete_immutable;

CREATE INDEX checkins_course ON checkins (course_id, instrument, completed_at);
