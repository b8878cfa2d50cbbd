package obs

import (
	"context"
	"log/slog"
)

type requestIDKey struct{}

// WithRequestID returns ctx carrying the request id id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID is the request id ctx carries, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// RequestIDHandler is a slog.Handler that adds request_id, from the
// record's context (WithRequestID), to every record logged with one
// (Logger.InfoContext and the like) that does not name it already.
type RequestIDHandler struct{ inner slog.Handler }

// NewRequestIDHandler wraps h; a handler already wrapped is returned as it is.
func NewRequestIDHandler(h slog.Handler) slog.Handler {
	if _, ok := h.(RequestIDHandler); ok {
		return h
	}
	return RequestIDHandler{inner: h}
}

// Enabled reports whether the wrapped handler takes records of level l.
func (h RequestIDHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

// Handle adds request_id to r when ctx carries one and r has none.
func (h RequestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		has := false
		r.Attrs(func(a slog.Attr) bool {
			has = a.Key == "request_id"
			return !has
		})
		if !has {
			r = r.Clone()
			r.AddAttrs(slog.String("request_id", id))
		}
	}
	return h.inner.Handle(ctx, r)
}

// WithAttrs returns the handler with attrs added, still adding request ids.
func (h RequestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return RequestIDHandler{inner: h.inner.WithAttrs(attrs)}
}

// WithGroup returns the handler with a group opened, still adding request ids.
func (h RequestIDHandler) WithGroup(name string) slog.Handler {
	return RequestIDHandler{inner: h.inner.WithGroup(name)}
}
