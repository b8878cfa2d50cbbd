// Package webtest builds a whole kapstone server over a test database, with
// a practice in it (an admin, therapists, a prescriber and two patients), and
// sends requests through it as each of them. The face packages' tests
// (package site_test, portal_test, ...), internal/web's own (the route
// access matrix) and internal/mailjob's share it. It is test support: only
// _test files import it.
package webtest
