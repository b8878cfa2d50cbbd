package web

import (
	"net/http"

	"github.com/kapstone/kapstone/internal/auth"
)

// Route is one row of the route table, for the access matrix test.
type Route struct {
	Pattern string
	// Access is who may call it: "public", "mfaPending", "anySession",
	// "signedIn" or "bearer" (a personal API token, never a session).
	Access string
	// Perm is the role gate of a signedIn route (auth.CanSome), "" for any
	// signed-in user.
	Perm auth.Permission
	// Object is, for a route on one patient's record, the permission the
	// store asks of the caller's relation to the patient; OnRecord says
	// whether the route has one (onRecord).
	Object   auth.Permission
	OnRecord bool
}

// RouteTable lists every route, in the table's order.
func (s *Server) RouteTable() []Route {
	var rs []Route
	for _, rt := range s.routeTable() {
		obj, on := onRecord[rt.pattern]
		rs = append(rs, Route{Pattern: rt.pattern, Access: accessNames[rt.access], Perm: rt.perm, Object: obj, OnRecord: on})
	}
	return rs
}

var accessNames = map[access]string{public: "public", mfaPending: "mfaPending", anySession: "anySession", signedIn: "signedIn", bearerToken: "bearer"}

// OnRecordPatterns lists the patterns onRecord names, so the matrix can
// check that each is a route.
func OnRecordPatterns() []string {
	var out []string
	for p := range onRecord {
		out = append(out, p)
	}
	return out
}

// Wrap puts the middleware every response passes through around h.
func (s *Server) Wrap(h http.Handler) http.Handler { return s.wrap(h) }
