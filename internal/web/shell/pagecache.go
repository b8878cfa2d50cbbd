package shell

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
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
// blog post goes live; a change a staff member saves to something visitors
// see empties the cache on the instance that took it, and, on PostgreSQL,
// is announced to the other instances on the database, which empty theirs
// as soon as they hear it (ListenForChanges): an edit shows at once on
// every instance. An instance that cannot hear announcements (its listener
// lost its connection) falls back to the TTL, and empties its cache once
// it hears again. A page being made while a change is saved is not kept (a
// generation count).
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
	Mu      sync.Mutex
	Entries map[string]*cachedPage
	gen     uint64 // bumped by clear: a page rendered before a change is not kept
}

// Generation is the cache's current generation.
func (c *pageCache) Generation() uint64 {
	c.Mu.Lock()
	defer c.Mu.Unlock()
	return c.gen
}

func (c *pageCache) get(key string, now time.Time) *cachedPage {
	c.Mu.Lock()
	defer c.Mu.Unlock()
	p := c.Entries[key]
	if p == nil || !now.Before(p.until) {
		delete(c.Entries, key)
		return nil
	}
	return p
}

func (c *pageCache) put(key string, p *cachedPage, gen uint64) {
	c.Mu.Lock()
	defer c.Mu.Unlock()
	if gen != c.gen {
		return // a change was saved while this page was being made
	}
	if c.Entries == nil || len(c.Entries) >= publicCacheMax {
		c.Entries = map[string]*cachedPage{} // simple and bounded: start afresh
	}
	c.Entries[key] = p
}

// Clear forgets every page.
func (c *pageCache) Clear() {
	c.Mu.Lock()
	c.Entries = nil
	c.gen++
	c.Mu.Unlock()
}

// Cacheable are the route patterns whose pages are the same for every
// visitor: the public site, the blog, the feeds. (Not the inquiry form: it
// carries a fresh time stamp each time.)
func Cacheable(pattern string) bool {
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

// HeldResponse keeps a response in memory until it may be sent: a public
// page to store and replay (Cached), or a chart page held until its view is
// audited (staff.patientPage).
type HeldResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

// NewHeldResponse returns an empty HeldResponse.
func NewHeldResponse() *HeldResponse { return &HeldResponse{header: http.Header{}} }

// Header is the held response's header.
func (b *HeldResponse) Header() http.Header { return b.header }

// WriteHeader keeps the first status written.
func (b *HeldResponse) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *HeldResponse) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}

// SendTo writes the held response to w: its header, status and body.
func (b *HeldResponse) SendTo(w http.ResponseWriter) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	b.WriteHeader(http.StatusOK)
	w.WriteHeader(b.status)
	w.Write(b.body.Bytes())
}

// Cached serves h's page to visitors from the cache, with validators.
func (s *App) Cached(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if SessionFrom(r.Context()) != nil || r.Method != http.MethodGet {
			h.ServeHTTP(w, r)
			return
		}
		now := s.Now()
		// Only the query the pages read (?page=) is part of the key; a page
		// asked for with anything else is made afresh and not kept, so
		// made-up query strings cannot push the real pages out.
		q := r.URL.Query()
		keep := len(q) == 0 || (len(q) == 1 && len(q["page"]) == 1)
		if !keep {
			h.ServeHTTP(w, r)
			return
		}
		key := r.URL.Path + "?page=" + q.Get("page")
		p := s.PublicPages.get(key, now)
		if p == nil {
			gen := s.PublicPages.Generation()
			// Asked before the page is made, with the same clock: a post
			// that goes live while it is being made still bounds it.
			next, nerr := s.Store.NextPublishAt(r.Context())
			bw := NewHeldResponse()
			for k, v := range w.Header() { // the security headers set so far
				bw.header[k] = v
			}
			h.ServeHTTP(bw, r)
			if bw.status != http.StatusOK {
				bw.SendTo(w)
				return
			}
			sum := sha256.Sum256(bw.body.Bytes())
			p = &cachedPage{body: bw.body.Bytes(), ctype: bw.header.Get("Content-Type"), etag: `"` + hex.EncodeToString(sum[:12]) + `"`,
				modified: now.UTC().Truncate(time.Second), until: now.Add(publicCacheTTL)}
			if nerr != nil {
				p.until = now // not known when the next post goes live: do not keep it
			} else if next != nil && next.Before(p.until) {
				p.until = *next // a scheduled post goes live then: pages made before must not outlive it
			}
			s.PublicPages.put(key, p, gen)
		}
		hdr := w.Header()
		hdr.Set("Content-Type", p.ctype)
		hdr.Set("ETag", p.etag)
		hdr.Set("Last-Modified", p.modified.Format(http.TimeFormat))
		// Anyone may keep it, but must ask again before using it; the
		// answer differs for a signed-in user, who sends a cookie.
		hdr.Set("Cache-Control", "public, no-cache")
		hdr.Set("Vary", "Cookie")
		if notModified(r, p) {
			for _, k := range []string{"Content-Type", "Content-Length"} {
				hdr.Del(k)
			}
			w.WriteHeader(http.StatusNotModified)
			return
		}
		// The length is known: sent whole, never chunked (issue 18).
		hdr.Set("Content-Length", strconv.Itoa(len(p.body)))
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

// ForgetOnChange empties the page cache after a change a signed-in user
// saved (a POST answered below 400) to something visitors see: the
// website's pages, posts and images, staff profiles, the practice's
// settings (its name is on every page).
func (s *App) ForgetOnChange(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !changesPublicPages(r.URL.Path) {
			h.ServeHTTP(w, r)
			return
		}
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		if SessionFrom(r.Context()) != nil && sw.status < 400 {
			s.PublicPages.Clear()
			// The change is committed: tell the other instances before
			// this request ends, even if its client has gone.
			ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
			defer cancel()
			if err := s.Store.AnnouncePublicChange(ctx); err != nil {
				s.Log.Warn("could not tell other instances to empty their page caches; they catch up within the cache time",
					"request_id", RequestID(r.Context()), "err", err.Error())
			}
		}
	})
}

// ListenForChanges empties this instance's public page cache and forgets
// the practice's name whenever another instance on the same PostgreSQL
// database announces a change visitors see (ForgetOnChange), until ctx
// ends. On SQLite it returns at once: there is one instance.
func (s *App) ListenForChanges(ctx context.Context) error {
	return s.Store.ListenPublicChanges(ctx, func() {
		s.PublicPages.Clear()
		s.ForgetPracticeName()
	}, s.Log)
}

// changesPublicPages reports whether a POST to path can change a page
// visitors see.
func changesPublicPages(path string) bool {
	for _, p := range []string{"/site/", "/admin/site", "/account/profile", "/admin/practice", "/admin/users"} {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}
