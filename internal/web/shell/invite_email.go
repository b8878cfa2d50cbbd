package shell

import (
	"context"
	"time"
)

// LinkEmail is what became of emailing a link just made, for the page to
// say truthfully.
type LinkEmail struct {
	To       string
	Sent     bool // the email server took the email
	NoServer bool // no email server is set up: nothing was sent
}

// LinkView is a link just made, shown for its maker to pass on: what it
// is (What), how to pass it on (Hint), and whether it was emailed. The
// template "link-box" (_link.html) shows it with a copy button.
type LinkView struct {
	URL, What, Hint string
	Name            string // whom it is for, in "give it to ..."
	Email           *LinkEmail
}

// EmailInvitation emails an invitation link to to, when an email server is
// set up. The email holds the practice's name and the link, nothing about
// why (no patient information). Without an email server the link is not
// emailed at all: the development outbox would keep it, a working link, in
// the database. A failed send is logged without the address and reported
// as not sent.
func (s *App) EmailInvitation(ctx context.Context, to, link string) LinkEmail {
	out := LinkEmail{To: to}
	if s.OutboxOnly || s.Config.Mailer == nil || to == "" {
		out.NoServer = true
		return out
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	practice := s.PracticeName(ctx)
	body := "Hello,\n\n" + practice + " invites you to create your account.\n\n" +
		"Open this link to choose your password:\n" + link + "\n\n" +
		"The link works once, for 72 hours. If it has run out, ask " + practice + " to send it again.\n\n" +
		"If you did not expect this email, you can ignore it."
	if err := s.Config.Mailer.Send(ctx, []string{to}, "Your invitation from "+practice, body); err != nil {
		// Not the error's text: a server's refusal may quote the address.
		s.Log.Warn("invitation email failed", "request_id", RequestID(ctx))
		return out
	}
	out.Sent = true
	return out
}
