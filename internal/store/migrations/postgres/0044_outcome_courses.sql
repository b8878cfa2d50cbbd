-- kapstone schema 0044: one row per course of treatment and instrument with
-- a completed check-in, kept in the transaction of every completion
-- (store.updateOutcomeCourse), so the outcomes dashboard counts courses
-- without reading every check-in of the practice (issue 18). A course is
-- keyed as the dashboard always counted it: the patient, the instrument
-- and the number of the check-in's course (1 when it has none).
--
-- The follow-up (the latest score inside the practice's window, and the
-- quarter the course is counted in) depends on the window: window_weeks
-- names the window it was kept for ("4-12"), and the store computes it
-- again for every row kept for another (store.refreshOutcomeCourses),
-- when the window changes and before every read.

CREATE TABLE outcome_courses (
    patient_id      TEXT NOT NULL REFERENCES patients (id),
    instrument      TEXT NOT NULL,
    course          BIGINT NOT NULL,
    scores          BIGINT NOT NULL,
    baseline_id     TEXT NOT NULL,
    baseline_at     TIMESTAMPTZ NOT NULL,
    baseline_total  BIGINT NOT NULL,
    latest_id       TEXT NOT NULL,
    latest_at       TIMESTAMPTZ NOT NULL,
    latest_total    BIGINT NOT NULL,
    window_weeks    TEXT NOT NULL,
    follow_up_id    TEXT,
    follow_up_at    TIMESTAMPTZ,
    follow_up_total BIGINT,
    period          TEXT NOT NULL,
    PRIMARY KEY (patient_id, instrument, course)
);
CREATE INDEX outcome_courses_window ON outcome_courses (window_weeks);
-- The dashboard counts every course once per read: these answer its two
-- questions about a course's patient from small indexes, not the
-- patients' and care teams' rows: is the patient archived, and who owns
-- the case.
CREATE INDEX patients_archived ON patients (id) WHERE archived_at IS NOT NULL;
CREATE INDEX care_team_owner ON care_team (patient_id, user_id, is_owner, removed_at) WHERE is_owner AND removed_at IS NULL;

-- Every course as it stands: first and latest score (in time order, then
-- by id, as the dashboard read them) and how many.
INSERT INTO outcome_courses (patient_id, instrument, course, scores, baseline_id, baseline_at, baseline_total,
    latest_id, latest_at, latest_total, window_weeks, period)
SELECT patient_id, instrument, course, n, b_id, b_at, b_total, l_id, l_at, l_total, '', ''
FROM (
    SELECT c.patient_id, c.instrument, coalesce(k.number, 1) AS course,
        row_number() OVER w AS r, count(*) OVER w_all AS n,
        first_value(c.id) OVER w_all AS b_id, first_value(c.completed_at) OVER w_all AS b_at, first_value(c.total) OVER w_all AS b_total,
        last_value(c.id) OVER w_all AS l_id, last_value(c.completed_at) OVER w_all AS l_at, last_value(c.total) OVER w_all AS l_total
    FROM checkins c LEFT JOIN courses k ON k.id = c.course_id
    WHERE c.status = 'complete'
    WINDOW w AS (PARTITION BY c.patient_id, c.instrument, coalesce(k.number, 1) ORDER BY c.completed_at, c.id),
        w_all AS (PARTITION BY c.patient_id, c.instrument, coalesce(k.number, 1) ORDER BY c.completed_at, c.id
            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
) x WHERE r = 1;

-- The follow-up with the practice's window (measure.ParseWindow's form;
-- the default 4-12 when it is unset or not two numbers in bounds): the
-- latest score from its start to its end after the baseline, both ends
-- included; the quarter of that score, or of the window's close without
-- one. Whole hours are added, so no time zone's clock changes move them.
CREATE TEMP TABLE outcome_window ON COMMIT DROP AS
WITH s AS (SELECT trim(coalesce((SELECT value FROM practice_settings WHERE key = 'outcome_window'), '')) AS v),
p AS (SELECT CASE WHEN v ~ '^[0-9]{1,3}-[0-9]{1,3}$' THEN split_part(v, '-', 1)::int ELSE 0 END AS f,
    CASE WHEN v ~ '^[0-9]{1,3}-[0-9]{1,3}$' THEN split_part(v, '-', 2)::int ELSE 0 END AS t FROM s)
SELECT CASE WHEN f BETWEEN 1 AND 104 AND t BETWEEN 1 AND 104 AND t > f THEN f ELSE 4 END AS from_weeks,
    CASE WHEN f BETWEEN 1 AND 104 AND t BETWEEN 1 AND 104 AND t > f THEN t ELSE 12 END AS to_weeks FROM p;

UPDATE outcome_courses SET
    (follow_up_id, follow_up_at, follow_up_total) = (
        SELECT c.id, c.completed_at, c.total FROM checkins c LEFT JOIN courses k ON k.id = c.course_id
        WHERE c.patient_id = outcome_courses.patient_id AND c.instrument = outcome_courses.instrument
            AND coalesce(k.number, 1) = outcome_courses.course AND c.status = 'complete'
            AND c.completed_at >= outcome_courses.baseline_at + make_interval(hours => (SELECT from_weeks FROM outcome_window) * 168)
            AND c.completed_at <= outcome_courses.baseline_at + make_interval(hours => (SELECT to_weeks FROM outcome_window) * 168)
        ORDER BY c.completed_at DESC, c.id DESC LIMIT 1),
    window_weeks = (SELECT from_weeks || '-' || to_weeks FROM outcome_window);

UPDATE outcome_courses SET period =
    to_char(coalesce(follow_up_at, baseline_at + make_interval(hours => (SELECT to_weeks FROM outcome_window) * 168)) AT TIME ZONE 'UTC', 'YYYY') || ' Q' ||
    to_char(coalesce(follow_up_at, baseline_at + make_interval(hours => (SELECT to_weeks FROM outcome_window) * 168)) AT TIME ZONE 'UTC', 'Q');
