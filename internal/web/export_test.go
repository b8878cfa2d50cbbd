package web

import (
	"net/http"
)

// Route is one row of the route table, for the access matrix test.
type Route struct {
	Pattern string
}

// RouteTable lists every route's pattern, in the table's order.
func (s *Server) RouteTable() []Route {
	var rs []Route
	for _, rt := range s.routeTable() {
		rs = append(rs, Route{Pattern: rt.pattern})
	}
	return rs
}

// Wrap puts the middleware every response passes through around h.
func (s *Server) Wrap(h http.Handler) http.Handler { return s.wrap(h) }
