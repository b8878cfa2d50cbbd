package shell

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/obs"
	"github.com/kapstone/kapstone/internal/store"
)

type ctxKey int

const (
	keySession ctxKey = iota
	KeyReqInfo
)

// ReqInfo is filled in as a request passes through the layers, for the one
// access-log line written at the end.
type ReqInfo struct{ Route string }

// RequestID is the id of the request ctx belongs to, as the access log
// and error pages show it.
func RequestID(ctx context.Context) string { return obs.RequestID(ctx) }

// SessionFrom is the request's session, or nil when nobody is signed in.
func SessionFrom(ctx context.Context) *store.Session {
	s, _ := ctx.Value(keySession).(*store.Session)
	return s
}

// statusWriter remembers the status a handler wrote, for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// LogRequests gives each request an id (X-Request-Id, and in its context
// for every log line written while serving it) and logs one line per
// request: route pattern, status and duration. It logs no query strings,
// form values or names, so no PHI reaches the log. It also counts the
// request in the metrics, under its route pattern.
func (s *App) LogRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 8)
		rand.Read(b)
		id := hex.EncodeToString(b)
		w.Header().Set("X-Request-Id", id)
		info := &ReqInfo{Route: "unmatched"}
		ctx := context.WithValue(obs.WithRequestID(r.Context(), id), KeyReqInfo, info)
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w}
		start := time.Now()
		next.ServeHTTP(sw, r)
		route := info.Route
		took := time.Since(start)
		s.Metrics.ObserveRequest(route, sw.status, took)
		s.Log.Info("request", "request_id", id, "method", r.Method, "route", route, "status", sw.status, "ms", took.Milliseconds())
	})
}

// RecoverPanics turns a panic in a handler into the generic 500 page and one
// log line with the stack (which holds code locations, not request data).
func (s *App) RecoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.Log.Error("panic", "request_id", RequestID(r.Context()), "route", r.Pattern, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				s.serverError(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// contentSecurityPolicy allows only our own scripts, styles and images; no
// inline code, no framing, forms post only to us; the one worker is our
// own (/sw.js, the safety plan offline).
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// SecureHeaders sets the security headers on every response, and
// Cache-Control: no-store on everything but static assets (which set their
// own), so no page with patient data is cached by a browser or proxy.
func (s *App) SecureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		h.Set("Cache-Control", "no-store")
		if s.secure || r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// ParseForms reads form bodies up front, within a size limit, so a body
// that is too large or malformed is answered 413 or 400 rather than read as
// an empty form.
func (s *App) ParseForms(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := int64(maxFormBytes)
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			limit = MaxUploadBytes // an image upload; its handler reads the parts
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if r.Method == http.MethodPost {
			if err := r.ParseForm(); err != nil {
				var tooBig *http.MaxBytesError
				status, heading, msg := http.StatusBadRequest, "Something was wrong with that form", "The form could not be read. Go back, reload the page and try again."
				if errors.As(err, &tooBig) {
					status, heading, msg = http.StatusRequestEntityTooLarge, "That was too much to send", "The form was larger than kapstone accepts. Shorten what you typed and try again."
				}
				s.Render(w, r, status, "error", heading, errorData{Status: status, Heading: heading, Message: msg})
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// maxFormBytes is the largest form body kapstone reads.
const maxFormBytes = 1 << 20

// CSRF refuses cross-origin state-changing requests (http.CrossOriginProtection:
// Sec-Fetch-Site, then Origin against Host) with the 403 page. Session
// cookies are also SameSite=Lax.
func (s *App) CSRF(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	if s.Config.PublicURL != "" {
		// Behind a proxy the Host header may differ from what the browser sent.
		if u, err := url.Parse(s.Config.PublicURL); err == nil {
			cop.AddTrustedOrigin(u.Scheme + "://" + u.Host)
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Log.Warn("cross-origin request refused", "request_id", RequestID(r.Context()), "method", r.Method)
		s.Render(w, r, http.StatusForbidden, "error", "Not allowed", errorData{
			Status: http.StatusForbidden, Heading: "Not allowed",
			Message: "This form was sent from another website, so it was refused. Go back to the page, reload it and try again.",
		})
	}))
	return cop.Handler(next)
}

// MaxUploadBytes bounds an image upload's whole request: the largest image
// (store.MaxImageBytes) and the rest of the form.
const MaxUploadBytes = 6 << 20

// Attachment starts a download of a file called name (never a patient's
// name: a downloads folder is no place for PHI) of contentType: never
// cached nor sniffed, whatever the middleware set. Write the body after.
func Attachment(w http.ResponseWriter, contentType, name string) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
}

// SendAttachment writes body as a download called name (see Attachment).
func SendAttachment(w http.ResponseWriter, contentType, name string, body []byte) {
	Attachment(w, contentType, name)
	_, _ = w.Write(body)
}
