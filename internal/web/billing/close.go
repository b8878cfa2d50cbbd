package billing

import (
	"net/http"
)

// ClosePackage is POST /patients/{patient}/billing/packages/close: the
// package purchase named closes with the reason given (store.ClosePackage),
// and the patient's later sessions are charged at the fee.
func (s *Handlers) ClosePackage(w http.ResponseWriter, r *http.Request) {
	err := s.Store.ClosePackage(r.Context(), s.Actor(r), r.PathValue("patient"), r.PostFormValue("purchase"), r.PostFormValue("reason"))
	s.ledgerDone(w, r, "close-package", "done=close-package", err)
}
