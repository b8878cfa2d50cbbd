package web

import (
	"net/http"
)

// access says who may call a route. There is no default: every route names one.
type access int

const (
	public     access = iota + 1 // anyone, signed in or not
	mfaPending                   // signed in with a password, second factor not yet given
	signedIn                     // fully signed in, any role
	anySession                   // any session, complete or not (sign-out)
)

type route struct {
	pattern string
	access  access
	handler http.HandlerFunc
}

// routeTable lists every route kapstone serves, with who may call it.
func (s *Server) routeTable() []route {
	return []route{
		{"GET /healthz", public, s.handleHealthz},
		{"GET /readyz", public, s.handleReadyz},
		{"GET /static/{hash}/{name}", public, s.handleStatic},

		{"GET /{$}", public, s.handleHome},
		{"GET /login", public, s.handleLoginForm},
		{"POST /login", public, s.handleLogin},
		{"GET /login/mfa", mfaPending, s.handleMFAForm},
		{"POST /login/mfa", mfaPending, s.handleMFA},
		{"POST /logout", anySession, s.handleLogout},

		{"GET /account", signedIn, s.handleAccount},
	}
}

// routes builds the handler: middleware around a mux in which each route is
// wrapped by its access check. Anything unmatched is the 404 page.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routeTable() {
		mux.Handle(rt.pattern, s.guard(rt.access, rt.handler))
	}
	mux.HandleFunc("/", s.notFound)
	return s.wrap(mux)
}

// wrap puts the middleware every response passes through around h.
func (s *Server) wrap(h http.Handler) http.Handler {
	h = s.loadSession(h)
	h = s.csrf(h)
	h = s.secureHeaders(h)
	h = s.recoverPanics(h)
	h = s.logRequests(h)
	return h
}

// guard enforces a route's access level before its handler runs. Denied
// requests learn nothing about the resource: anonymous callers are sent to
// sign in, a half-signed-in staff member to the second-factor page.
func (s *Server) guard(a access, next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess := sessionFrom(r.Context())
		toLogin := "/login"
		if ended, _ := r.Context().Value(keySessionEnded).(bool); ended {
			toLogin = "/login?ended=1"
		}
		switch a {
		case public:
		case anySession:
			if sess == nil {
				http.Redirect(w, r, toLogin, http.StatusSeeOther)
				return
			}
		case mfaPending:
			if sess == nil {
				http.Redirect(w, r, toLogin, http.StatusSeeOther)
				return
			}
			if sess.MFADone {
				http.Redirect(w, r, "/account", http.StatusSeeOther)
				return
			}
		case signedIn:
			if sess == nil {
				http.Redirect(w, r, toLogin, http.StatusSeeOther)
				return
			}
			if !sess.MFADone {
				http.Redirect(w, r, "/login/mfa", http.StatusSeeOther)
				return
			}
		default:
			s.notFound(w, r)
			return
		}
		next(w, r)
	})
}
