package web

import (
	"net/http"

	"github.com/kapstone/kapstone/internal/job"
	"github.com/kapstone/kapstone/internal/mailjob"
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

// JobHandlers wires the email jobs to this server's mailer, links and
// practice name, as cmd/kapstone does.
func (s *Server) JobHandlers() map[string]job.Handler {
	m := &mailjob.Sender{Store: s.Store, Mailer: s.Config.Mailer, BaseURL: s.LinkBase(nil), Crisis: s.Crisis.Sentence, PracticeName: s.PracticeName}
	return m.Handlers()
}
