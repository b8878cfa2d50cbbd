package shell

import (
	"database/sql"
	"errors"
	"net/http"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

type errorData struct {
	Status  int
	Heading string
	Message string
}

// statusOf maps an error code to an HTTP status. It is the only place that does.
func statusOf(code string) int {
	switch code {
	case clinic.EInvalid:
		return http.StatusUnprocessableEntity
	case clinic.ENotFound:
		return http.StatusNotFound
	case clinic.EUnauthorized:
		return http.StatusUnauthorized
	case clinic.EForbidden:
		return http.StatusForbidden
	case clinic.EConflict:
		return http.StatusConflict
	case clinic.ETooMany:
		return http.StatusTooManyRequests
	case clinic.EUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// Error answers a request that failed with err: the status its code maps to
// and a page with a user-safe message. Unexpected errors are logged once,
// with the request id and without request data, and shown as a generic page.
func (s *App) Error(w http.ResponseWriter, r *http.Request, err error) {
	code := clinic.ErrorCode(err)
	status := statusOf(code)
	if r.Context().Err() != nil && status >= 500 {
		// The client gave up (closed the connection, or its deadline
		// passed) and the work was stopped: not a failure of the server,
		// and no one reads the answer. Its transaction was rolled back.
		s.Log.Info("request abandoned by its client", "request_id", RequestID(r.Context()), "route", r.Pattern)
		d := errorData{Status: http.StatusServiceUnavailable, Heading: headingOf(http.StatusServiceUnavailable),
			Message: "The request was stopped before it finished, and nothing was saved. Please try again."}
		s.Render(w, r, http.StatusServiceUnavailable, "error", d.Heading, d)
		return
	}
	if code == clinic.EInternal && errors.Is(err, sql.ErrNoRows) {
		// A store read that found no row and did not say so with a typed
		// ENotFound: a missing row is never a 500. Logged, so the store
		// site gets its typed error.
		s.Log.Warn("untyped missing row answered 404", "request_id", RequestID(r.Context()), "route", r.Pattern)
		code, status, err = clinic.ENotFound, http.StatusNotFound, clinic.Errorf(clinic.ENotFound, "We could not find that page. It may have moved, or the link may be incomplete.")
	}
	if status >= 500 {
		s.Log.Error("request failed", "request_id", RequestID(r.Context()), "route", r.Pattern, "code", code, "err", err.Error())
	}
	d := errorData{Status: status, Heading: headingOf(status), Message: clinic.ErrorMessage(err)}
	var ce *clinic.Error
	if status == http.StatusInternalServerError || !errors.As(err, &ce) {
		d.Message = "Something went wrong on our side, and it has been logged. Please try again in a moment."
	}
	s.Render(w, r, status, "error", d.Heading, d)
}

// LogSaveFailed logs err, which stopped a background save (an autosave,
// answered in JSON rather than with Error's page), at ERROR; but a save
// whose client went away (its context is done) only at INFO, as Error
// does: a client that goes away is not a failure of the server.
func (s *App) LogSaveFailed(r *http.Request, what string, err error) {
	if r.Context().Err() != nil {
		s.Log.Info("request abandoned by its client", "request_id", RequestID(r.Context()), "route", r.Pattern, "save", what)
		return
	}
	s.Log.Error(what, "request_id", RequestID(r.Context()), "route", r.Pattern, "err", err.Error())
}

func headingOf(status int) string {
	switch status {
	case http.StatusNotFound:
		return "Page not found"
	case http.StatusForbidden:
		return "Not allowed"
	case http.StatusUnauthorized:
		return "Please sign in"
	case http.StatusTooManyRequests:
		return "Too many attempts"
	case http.StatusServiceUnavailable:
		return "Temporarily unavailable"
	case http.StatusUnprocessableEntity:
		return "Please check what you entered"
	case http.StatusConflict:
		return "Someone else changed this"
	}
	return "Something went wrong"
}

// NotFound answers 404 with the standard page; foreign and missing records
// look the same.
func (s *App) NotFound(w http.ResponseWriter, r *http.Request) {
	s.Error(w, r, clinic.Errorf(clinic.ENotFound, "We could not find that page. It may have moved, or the link may be incomplete."))
}

// serverError answers 500 for an unexpected err.
func (s *App) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.Error(w, r, &clinic.Error{Code: clinic.EInternal, Err: err})
}

// OwnPatient is the signed-in patient's own record, the opening of every
// portal page. When it cannot be read, OwnPatient has already answered the
// request (as Error does) and ok is false.
func (s *App) OwnPatient(w http.ResponseWriter, r *http.Request) (p *store.Patient, ok bool) {
	p, err := s.Store.FindOwnPatient(r.Context(), s.Actor(r))
	if err != nil {
		s.Error(w, r, err)
		return nil, false
	}
	return p, true
}
