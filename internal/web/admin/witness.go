package admin

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

type witnessData struct {
	Form     url.Values
	Errors   map[string]string
	Notice   string
	Statuses []store.WitnessStatus
	Outbox   bool // no SMTP server: witness emails stay on this machine
}

// Witness shows where the audit witness sends each signed checkpoint of the
// audit log (an email address and/or a collector's URL), and how that goes
// for each: when a checkpoint last reached it, or since when it fails and
// why.
func (s *Handlers) Witness(w http.ResponseWriter, r *http.Request) {
	ws, err := s.Store.Witness(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d := witnessData{Form: url.Values{"witness_email": {ws.Email}, "witness_url": {ws.URL}}}
	switch r.URL.Query().Get("done") {
	case "saved":
		d.Notice = "Witness settings saved. Each new checkpoint of the audit log will be sent there; the status below shows when one arrives."
	case "test":
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		d.Notice = "A checkpoint was signed and queued for " + strconv.Itoa(n) + " witness(es). The status below says when it has been sent, or why it failed; reload in a minute."
	}
	s.witnessPage(w, r, http.StatusOK, d)
}

func (s *Handlers) witnessPage(w http.ResponseWriter, r *http.Request, status int, d witnessData) {
	st, err := s.Store.WitnessStatuses(r.Context(), s.Actor(r))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d.Statuses, d.Outbox = st, s.OutboxOnly
	s.Render(w, r, status, "audit_witness", "Audit witness", d)
}

// WitnessSave stores the witness settings (action "save"), or signs a
// checkpoint now and queues it for every configured witness (action
// "test"). Bad input comes back at its field, kept as typed.
func (s *Handlers) WitnessSave(w http.ResponseWriter, r *http.Request) {
	if r.PostFormValue("action") == "test" {
		n, err := s.Store.WitnessNow(r.Context(), s.Actor(r))
		if err != nil {
			if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
				ws, _ := s.Store.Witness(r.Context())
				s.witnessPage(w, r, http.StatusUnprocessableEntity, witnessData{Form: url.Values{"witness_email": {ws.Email}, "witness_url": {ws.URL}}, Errors: map[string]string{"witness_email": e.Message}})
				return
			}
			s.Error(w, r, err)
			return
		}
		http.Redirect(w, r, "/admin/audit/witness?done=test&n="+strconv.Itoa(n), http.StatusSeeOther)
		return
	}
	ws := store.WitnessSettings{Email: r.PostFormValue("witness_email"), URL: r.PostFormValue("witness_url")}
	if fe := store.CheckWitness(&ws); len(fe) > 0 {
		s.witnessPage(w, r, http.StatusUnprocessableEntity, witnessData{Form: r.PostForm, Errors: fe})
		return
	}
	if err := s.Store.SaveWitness(r.Context(), s.Actor(r), ws); err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/audit/witness?done=saved", http.StatusSeeOther)
}
