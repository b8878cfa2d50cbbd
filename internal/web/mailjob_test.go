package web

import (
	"github.com/kapstone/kapstone/internal/job"
	"github.com/kapstone/kapstone/internal/mailjob"
)

// jobHandlers wires the email jobs to this server's mailer, links and
// practice name, as cmd/kapstone does.
func (s *Server) jobHandlers() map[string]job.Handler {
	m := &mailjob.Sender{Store: s.Store, Mailer: s.Config.Mailer, BaseURL: s.LinkBase(nil), Crisis: s.Crisis.Sentence, PracticeName: s.PracticeName}
	return m.Handlers()
}
