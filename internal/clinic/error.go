// Package clinic holds kapstone's domain types, their validation and the
// one error type that every layer returns. It imports the standard library only.
package clinic

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to exactly one HTTP status in web (and, later, one
// FHIR OperationOutcome issue type); nothing else decides what a caller sees.
const (
	EInvalid      = "invalid"      // input failed validation; Fields says where
	ENotFound     = "not_found"    // missing, or not visible to the caller
	EUnauthorized = "unauthorized" // not signed in, or credentials wrong
	EForbidden    = "forbidden"    // signed in but not allowed
	EConflict     = "conflict"     // stale version or duplicate
	ETooMany      = "too_many"     // rate limited
	EUnavailable  = "unavailable"  // a dependency (database) is down
	EInternal     = "internal"     // a bug or an unexpected failure
)

// Error is an error with a code and a message that is safe to show to the
// person using kapstone. Fields carries per-field messages for forms. Err is
// the underlying cause, logged but never shown.
type Error struct {
	Code    string
	Message string
	Fields  map[string]string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with code and a formatted user-safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EInternal
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the user-safe message of err: the message of the first
// *Error in its chain, or a generic sentence for any other error.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return "Something went wrong on our side. Please try again."
}

// FieldErrors collects per-field validation messages in the order they were added.
type FieldErrors map[string]string

// Add records msg for field unless the field already has a message.
func (f FieldErrors) Add(field, msg string) {
	if _, ok := f[field]; !ok {
		f[field] = msg
	}
}

// Err returns nil when no field has a message, and otherwise an EInvalid
// *Error carrying the fields.
func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Code: EInvalid, Message: "Please correct the highlighted fields.", Fields: f}
}
