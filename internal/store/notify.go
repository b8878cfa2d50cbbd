package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Several kapstone instances may share one PostgreSQL database, each with
// caches of its own (the public site's rendered pages, the practice's
// name). A change one instance saves to something visitors see is
// announced on a PostgreSQL notification channel, and every other instance
// listening on it forgets its caches at once. SQLite has one instance by
// design: announcing and listening do nothing there.

// ChangeChannel is the PostgreSQL notification channel changes to public
// pages are announced on. A notification's payload is the announcing
// store's schema (channels span the whole database; instances of another
// practice in another schema ignore it) and its instance id (so the
// announcer, which has already emptied its own caches, skips it).
const ChangeChannel = "kapstone_cache"

// Listener timings: how long to wait for a notification before checking
// that the connection is still alive, and the bounds of the wait before
// connecting again after the connection was lost (doubled each failure,
// with up to a quarter more at random).
var (
	listenIdleCheck  = 30 * time.Second
	listenBackoffMin = 250 * time.Millisecond
	listenBackoffMax = 30 * time.Second
)

// AnnouncePublicChange tells the other instances on this database that
// something visitors see has changed, so they empty their caches now (see
// ListenPublicChanges). Call it after the change is committed. On SQLite it
// does nothing. A failure leaves the others to their caches' time limit.
func (s *Store) AnnouncePublicChange(ctx context.Context) error {
	if s.d.name != EnginePostgres {
		return nil
	}
	_, err := s.w.ExecContext(ctx, `SELECT pg_notify($1, coalesce(current_schema(), '') || ' ' || $2)`, ChangeChannel, s.instance)
	return err
}

// ListenPublicChanges calls onChange each time another instance announces a
// change (AnnouncePublicChange), until ctx ends; it then returns nil. It
// listens on a connection of its own. Announcements made while that
// connection is down are lost, so onChange is also called each time it is
// (re)established and listening, the first time included; in between, the
// caches' own time limits apply. A lost connection is logged once and
// retried with a growing, jittered wait. On SQLite it returns nil at once.
func (s *Store) ListenPublicChanges(ctx context.Context, onChange func(), log *slog.Logger) error {
	if s.d.name != EnginePostgres {
		return nil
	}
	if log == nil {
		log = slog.Default()
	}
	wait := listenBackoffMin
	down := false // a lost connection was logged and has not come back yet
	for {
		listened, err := s.listenOnce(ctx, func() {
			if down {
				down = false
				log.Info("page cache listener: connected again; this instance's public pages were emptied")
			}
			onChange()
		})
		if ctx.Err() != nil {
			return nil
		}
		if listened {
			wait = listenBackoffMin // it worked for a while: retry soon
		}
		d := wait + rand.N(wait/4+1)
		if !down {
			down = true
			log.Warn("page cache listener: no connection to the database; public pages may lag other instances' changes by up to their cache time until it is back",
				"err", oneLine(err), "retry_in", d.Round(time.Millisecond).String())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(d):
		}
		wait = min(wait*2, listenBackoffMax)
	}
}

// ListenerName is the application_name of this store's listener
// connection, as pg_stat_activity shows it: "kapstone-listen-" and the
// store's instance id.
func (s *Store) ListenerName() string { return "kapstone-listen-" + s.instance }

// listenOnce connects, listens and passes on announcements until the
// connection fails or ctx ends. listened reports whether it got as far as
// listening.
func (s *Store) listenOnce(ctx context.Context, onChange func()) (listened bool, err error) {
	cfg, err := pgx.ParseConfig(s.dsn)
	if err != nil {
		return false, fmt.Errorf("listener: %w", err)
	}
	cfg.RuntimeParams["application_name"] = s.ListenerName()
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, cfg)
	if err != nil {
		return false, err
	}
	defer func() {
		c, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		conn.Close(c)
	}()
	var schema string
	if err := conn.QueryRow(cctx, `SELECT coalesce(current_schema(), '')`).Scan(&schema); err != nil {
		return false, err
	}
	if _, err := conn.Exec(cctx, `LISTEN `+ChangeChannel); err != nil {
		return false, err
	}
	cancel()
	onChange() // what was announced while no one listened here is lost
	for {
		wctx, wcancel := context.WithTimeout(ctx, listenIdleCheck)
		n, err := conn.WaitForNotification(wctx)
		wcancel()
		if ctx.Err() != nil {
			return true, ctx.Err()
		}
		if errors.Is(err, context.DeadlineExceeded) && !conn.IsClosed() {
			// Quiet for a while: make sure the connection is still there
			// (a dropped network path gives no error by itself).
			pctx, pcancel := context.WithTimeout(ctx, 10*time.Second)
			err = conn.Ping(pctx)
			pcancel()
			if err != nil {
				return true, err
			}
			continue
		}
		if err != nil {
			return true, err
		}
		if forOtherInstance(n.Payload, schema, s.instance) {
			onChange()
		}
	}
}

// forOtherInstance reports whether an announcement's payload (schema,
// space, instance id) is about the database schema this listener serves
// and was made by another instance than its own.
func forOtherInstance(payload, schema, instance string) bool {
	from, id, ok := strings.Cut(payload, " ")
	return ok && from == schema && id != instance
}
