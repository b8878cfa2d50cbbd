package mailjob

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kapstone/kapstone/internal/store"
)

// WitnessTimeout bounds one HTTP POST to a witness collector.
const WitnessTimeout = 15 * time.Second

// witnessClient is the HTTP client of the witness: bounded in time, and it
// never follows a redirect (a collector that moved must be set anew: a
// redirect could send checkpoints anywhere).
var witnessClient = &http.Client{
	Timeout: WitnessTimeout,
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

// sendWitness sends the newest signed checkpoint of the audit log to the
// witness of the job's kind (the email address or the collector's URL), and
// records the outcome for the admin page: when it last worked, or since
// when it fails. A failure is also the job's error, so the job is retried
// and shows on the jobs page. It sends nothing when the witness was turned
// off or the newest checkpoint already reached it.
func (s *Sender) sendWitness(ctx context.Context, j store.Job) error {
	var p struct {
		Test bool `json:"test"`
	}
	if err := json.Unmarshal([]byte(j.Payload), &p); err != nil {
		return fmt.Errorf("audit witness: unreadable payload")
	}
	w, err := s.Store.WitnessToSend(ctx, j.Kind, p.Test)
	if err != nil || w == nil {
		return err
	}
	line := w.Checkpoint.String()
	if w.Channel == store.WitnessHTTP {
		err = s.postWitness(ctx, w.Target, line)
	} else {
		err = s.Mailer.Send(ctx, []string{w.Target}, WitnessSubject(w), WitnessBody(w))
		if err != nil {
			err = fmt.Errorf("audit witness email failed: %w", err)
		}
	}
	// Record with a context of its own: the outcome must be kept even if
	// the job's context ended as the send returned.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err != nil {
		if rerr := s.Store.WitnessFailed(rctx, w.Channel, w.Target, err.Error()); rerr != nil {
			return fmt.Errorf("%w (and its status could not be recorded)", err)
		}
		return err
	}
	return s.Store.WitnessSent(rctx, w.Channel, w.Target, w.Checkpoint.Size)
}

// WitnessSubject is the subject of a witness email: what it is, whose, and
// what it covers, e.g. "Audit log checkpoint of Harbor Practice: 1530 rows
// at 2026-12-03 01:00 UTC".
func WitnessSubject(w *store.WitnessJob) string {
	return fmt.Sprintf("Audit log checkpoint of %s: %d rows at %s", w.Practice, w.Checkpoint.Size, w.Checkpoint.At.UTC().Format("2006-01-02 15:04 UTC"))
}

// WitnessBody is the body of a witness email: a few sentences and the
// signed checkpoint line verbatim, on a line of its own, so that a saved
// mailbox is itself a witness file for `kapstone audit verify -witness`. The
// line is longer than a mail line; the mailer encodes it quoted-printable,
// which the verifier undoes. A checkpoint holds counts, hashes, a time and
// a signature: no patient information.
func WitnessBody(w *store.WitnessJob) string {
	return "This is a signed checkpoint of " + w.Practice + "'s kapstone audit log, sent so that a copy exists away from the server. " +
		"It says the log had " + strconv.FormatInt(w.Checkpoint.Size, 10) + " rows at " + w.Checkpoint.At.UTC().Format("2006-01-02 15:04:05 UTC") + ".\n\n" +
		"Keep these emails. If the log is ever in doubt, save this mailbox to a file and run\n" +
		"  kapstone audit verify -witness FILE\n" +
		"It fails if rows these checkpoints cover were removed.\n\n" +
		w.Checkpoint.String() + "\n\n" +
		"This email carries no patient information.\n"
}

// postWitness POSTs line (with a newline) to the collector at target as
// text/plain, and returns an error unless it answers 2xx. Its errors name
// the step and never the URL (which may hold a token).
func (s *Sender) postWitness(ctx context.Context, target, line string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(line+"\n"))
	if err != nil {
		return errors.New("audit witness: the collector URL is not usable")
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	req.Header.Set("User-Agent", "kapstone-audit-witness")
	c := s.HTTP
	if c == nil {
		c = witnessClient
	}
	res, err := c.Do(req)
	if err != nil {
		return errors.New("audit witness: " + describePostError(err))
	}
	io.Copy(io.Discard, io.LimitReader(res.Body, 4096))
	res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("audit witness: the collector answered %d, not 2xx", res.StatusCode)
	}
	return nil
}

// describePostError says in a few fixed words why a POST failed, without
// the URL.
func describePostError(err error) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var hostErr x509.HostnameError
	var authorityErr x509.UnknownAuthorityError
	var errno syscall.Errno
	var netErr net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "sending was interrupted"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "the collector did not answer in time"
	case errors.As(err, &dnsErr):
		return "could not connect to the collector: its host name was not found"
	case errors.As(err, &certErr), errors.As(err, &hostErr), errors.As(err, &authorityErr):
		return "could not connect to the collector: its TLS certificate is not valid for it"
	case errors.As(err, &errno):
		return "could not connect to the collector: " + errno.Error()
	}
	return "could not reach the collector"
}
