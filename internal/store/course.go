package store

import (
	"context"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
)

// firstCourseID is the id of a patient's first course: migration 0023 gave
// every patient theirs with this id, and coursesIn makes it the same way.
func firstCourseID(patientID string) string { return patientID + "-course-1" }

// listCourses reads patientID's courses, first first, inside tx.
func listCourses(ctx context.Context, tx *Tx, patientID string) ([]clinic.Course, error) {
	return queryAll(ctx, tx, func(row scanner) (clinic.Course, error) {
		var c clinic.Course
		var closed nullTime
		err := row.Scan(&c.ID, &c.Number, &c.Started, &closed)
		c.Started, c.Closed = c.Started.UTC(), closed.t
		return c, err
	}, `SELECT id, number, started_at, closed_at FROM courses WHERE patient_id = $1 ORDER BY number`, patientID)
}

// coursesIn reads patientID's courses inside tx, first making the first
// course — started when the patient was added — if they have none yet.
func coursesIn(ctx context.Context, tx *Tx, patientID string) ([]clinic.Course, error) {
	list, err := listCourses(ctx, tx, patientID)
	if err != nil || len(list) > 0 {
		return list, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO courses (id, patient_id, number, started_at)
		SELECT $1, id, 1, created_at FROM patients WHERE id = $2
		ON CONFLICT (patient_id, number) DO NOTHING`, firstCourseID(patientID), patientID); err != nil {
		return nil, err
	}
	return listCourses(ctx, tx, patientID)
}

// courseNumberAt returns the id and number of the course of patientID
// that a score completed at t belongs to (clinic.CourseAt), inside tx (""
// and 0 for none).
func courseNumberAt(ctx context.Context, tx *Tx, patientID string, t time.Time) (string, int, error) {
	list, err := coursesIn(ctx, tx, patientID)
	if err != nil {
		return "", 0, err
	}
	c, ok := clinic.CourseAt(list, t)
	if !ok {
		return "", 0, clinic.Errorf(clinic.ENotFound, "We could not find that patient.")
	}
	if c.ID == "" {
		return "", 0, nil
	}
	return c.ID, c.Number, nil
}

// courseStage keeps patientID's courses in step with a stage change at
// now, inside tx: moving to closed closes the open course, and leaving
// closed starts the next one (clinic.StartsCourse).
func courseStage(ctx context.Context, tx *Tx, patientID string, from, to clinic.Stage, now time.Time) error {
	list, err := coursesIn(ctx, tx, patientID)
	if err != nil {
		return err
	}
	if to == clinic.StageClosed {
		_, err := tx.Exec(ctx, `UPDATE courses SET closed_at = $1 WHERE patient_id = $2 AND closed_at IS NULL`, now, patientID)
		return err
	}
	if !clinic.StartsCourse(from, to) {
		return nil
	}
	next := 1
	for _, c := range list {
		next = max(next, c.Number+1)
	}
	_, err = tx.Exec(ctx, `INSERT INTO courses (id, patient_id, number, started_at) VALUES ($1, $2, $3, $4)`, NewID(), patientID, next, now)
	return err
}
