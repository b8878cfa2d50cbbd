package account

import (
	"context"
	"net/http"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// knownDevice returns the caller's browser as a device known to userID
// (store.KnownDevice), or nil. userID may be "" (no such account): the
// browser's tokens are looked up all the same.
func (s *Handlers) knownDevice(r *http.Request, userID string) (*store.Device, error) {
	toks := s.DeviceTokens(r)
	if len(toks) == 0 {
		return nil, nil
	}
	hashes := make([]string, len(toks))
	for i, t := range toks {
		hashes[i] = auth.HashToken(t)
	}
	return s.Store.KnownDevice(r.Context(), userID, hashes)
}

// deviceThrottled reports how long a known device must wait before trying
// again after failures of l from it (counted as l.deviceAction against the
// device alone), or 0. Neither the account's count of failures from
// elsewhere nor the address's applies to it.
func (s *Handlers) deviceThrottled(ctx context.Context, l limit, dev *store.Device) (time.Duration, error) {
	now := s.Now().UTC()
	n, oldest, err := s.Store.CountAudit(ctx, l.deviceAction, dev.ID, "", now.Add(-l.Window))
	if err != nil || n < l.PerAccount {
		return 0, err
	}
	wait := oldest.Add(l.Window).Sub(now)
	if wait <= 0 {
		return 0, nil
	}
	return max(wait, time.Second), nil
}

// failure is the audit entry of a failed attempt at l: against the device
// when the caller's browser is known to the account, else against account
// (the count that the per-account and per-address limits read).
func (l limit) failure(dev *store.Device, account, detail string) store.Entry {
	if dev != nil {
		return store.Entry{Action: l.deviceAction, Outcome: store.OutcomeFailure, ObjectType: "device", ObjectID: dev.ID, Detail: detail}
	}
	return store.Entry{Action: l.action, Outcome: store.OutcomeFailure, ObjectType: "user", ObjectID: account, Detail: detail}
}

// rememberDevice marks the caller's browser as known to u after a full
// sign-in: a device it already is moves its last use on; otherwise a new
// device token is added to the browser's device cookie. A failure here is
// logged and does not undo the sign-in: the browser is then simply counted
// with everyone else next time.
func (s *Handlers) rememberDevice(w http.ResponseWriter, r *http.Request, u *clinic.User) {
	ctx := r.Context()
	toks := s.DeviceTokens(r)
	known, err := s.knownDevice(r, u.ID)
	if err != nil {
		s.Log.Warn("device not remembered", "request_id", shell.RequestID(ctx), "err", err.Error())
		return
	}
	knownID := ""
	if known != nil {
		knownID = known.ID
	}
	tok := auth.NewToken()
	actor := store.Actor{UserID: u.ID, Role: u.Role, Addr: s.ClientAddr(r), RequestID: shell.RequestID(ctx)}
	_, made, err := s.Store.RememberDevice(ctx, actor, knownID, auth.HashToken(tok), r.UserAgent())
	if err != nil {
		s.Log.Warn("device not remembered", "request_id", shell.RequestID(ctx), "err", err.Error())
		return
	}
	keep := []string{tok}
	if !made {
		keep = keep[:0]
		for _, t := range toks {
			if auth.HashToken(t) == known.TokenHash {
				keep = append(keep, t)
			}
		}
	}
	for _, t := range toks {
		if known == nil || auth.HashToken(t) != known.TokenHash {
			keep = append(keep, t)
		}
	}
	s.SetDeviceTokens(w, keep)
}

// ForgetDevice stops treating one of the user's remembered devices as
// known: its sign-in failures are counted with everyone else's again.
func (s *Handlers) ForgetDevice(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("device")
	if id == "" {
		s.Error(w, r, clinic.Errorf(clinic.ENotFound, "That device is not remembered."))
		return
	}
	if err := s.Store.ForgetDevice(r.Context(), s.Actor(r), id); err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/account?done=device", http.StatusSeeOther)
}

// ForgetAllDevices forgets every remembered device of the user.
func (s *Handlers) ForgetAllDevices(w http.ResponseWriter, r *http.Request) {
	if err := s.Store.ForgetDevice(r.Context(), s.Actor(r), ""); err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/account?done=devices", http.StatusSeeOther)
}
