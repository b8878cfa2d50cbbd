package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"
)

// The public website's pages are the same for every visitor, so their
// rendered HTML is kept in memory and answered with validators: an ETag
// (a hash of the bytes) and Last-Modified, so a browser or proxy that has
// the page gets 304 Not Modified. Only visitors are served from the cache;
// a signed-in user's page carries their menu and is never cached.
//
// A kept page lives at most publicCacheTTL, and until the next scheduled
// blog post goes live; any change a staff member saves (a POST that
// succeeds) empties the cache on the instance that took it, so an edit
// shows at once there and within the TTL on the others.
const publicCacheTTL = time.Minute

// publicCacheMax bounds the number of pages kept (the blog's list and tag
// pages are many; each is a few tens of kilobytes).
const publicCacheMax = 512

type cachedPage struct {
	body     []byte
	ctype    string
	etag     string
	modified time.Time
	until    time.Time
}

type pageCache struct {
	mu      sync.Mutex
	entries map[string]*cachedPage
}

func (c *pageCache) get(key string, now time.Time) *cachedPage {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.entries[key]
	if p == nil || !now.Before(p.until) {
		delete(c.entries, key)
		return nil
	}
	return p
}

func (c *pageCache) put(key string, p *cachedPage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= publicCacheMax {
		c.entries = map[string]*cachedPage{} // simple and bounded: start afresh
	}
	c.entries[key] = p
}

// clear forgets every page.
func (c *pageCache) clear() {
	c.mu.Lock()
	c.entries = nil
	c.mu.Unlock()
}

// cacheable are the route patterns whose pages are the same for every
// visitor: the public site, the blog, the feeds. (Not the inquiry form: it
// carries a fresh time stamp each time.)
func cacheable(pattern string) bool {
	method, path, _ := strings.Cut(pattern, " ")
	if method != "GET" {
		return false
	}
	switch path {
	case "/{$}", "/about", "/services", "/what-to-expect", "/is-kap-right", "/fees", "/contact",
		"/feed.atom", "/feed.rss", "/sitemap.xml", "/robots.txt":
		return true
	}
	return path == "/blog" || strings.HasPrefix(path, "/blog/")
}

// bufferWriter keeps a response to store and replay it.
type bufferWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferWriter) Header() http.Header { return b.header }
func (b *bufferWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}
func (b *bufferWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

// cached serves h's page to visitors from the cache, with validators.
func (s *Server) cached(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sessionFrom(r.Context()) != nil || r.Method != http.MethodGet {
			h.ServeHTTP(w, r)
			return
		}
		now := s.Now()
		key := r.URL.Path + "?" + r.URL.RawQuery
		p := s.publicPages.get(key, now)
		if p == nil {
			bw := &bufferWriter{header: http.Header{}}
			for k, v := range w.Header() { // the security headers set so far
				bw.header[k] = v
			}
			h.ServeHTTP(bw, r)
			if bw.status != http.StatusOK {
				for k, v := range bw.header {
					w.Header()[k] = v
				}
				w.WriteHeader(bw.status)
				w.Write(bw.body.Bytes())
				return
			}
			sum := sha256.Sum256(bw.body.Bytes())
			p = &cachedPage{body: bw.body.Bytes(), ctype: bw.header.Get("Content-Type"), etag: `"` + hex.EncodeToString(sum[:12]) + `"`,
				modified: now.UTC().Truncate(time.Second), until: now.Add(publicCacheTTL)}
			if next, err := s.store.NextPublishAt(r.Context()); err == nil && next != nil && next.Before(p.until) {
				p.until = *next // a scheduled post goes live then: pages made before must not outlive it
			}
			s.publicPages.put(key, p)
		}
		h := w.Header()
		h.Set("Content-Type", p.ctype)
		h.Set("ETag", p.etag)
		h.Set("Last-Modified", p.modified.Format(http.TimeFormat))
		// Anyone may keep it, but must ask again before using it; the
		// answer differs for a signed-in user, who sends a cookie.
		h.Set("Cache-Control", "public, no-cache")
		h.Set("Vary", "Cookie")
		if notModified(r, p) {
			for _, k := range []string{"Content-Type", "Content-Length"} {
				h.Del(k)
			}
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.WriteHeader(http.StatusOK)
		w.Write(p.body)
	})
}

// notModified applies the request's conditions (RFC 9110 13.2.2):
// If-None-Match wins over If-Modified-Since.
func notModified(r *http.Request, p *cachedPage) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for _, tag := range strings.Split(inm, ",") {
			tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
			if tag == p.etag || tag == "*" {
				return true
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" {
		if t, err := http.ParseTime(ims); err == nil && !p.modified.After(t) {
			return true
		}
	}
	return false
}

// forgetOnChange empties the page cache after any successful change a
// signed-in user makes (an edit to a page, a post, a profile, the
// practice's name), so visitors see it at once.
func (s *Server) forgetOnChange(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		if r.Method == http.MethodPost && sessionFrom(r.Context()) != nil {
			s.publicPages.clear()
		}
	})
}
