// Command kapstone is a practice platform for ketamine-assisted
// psychotherapy: one binary serving the practice website, the staff app and
// the patient portal, on embedded SQLite or on PostgreSQL.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	// Time zones are built in, so patients' and practices' local times are
	// right on machines without a zoneinfo database (containers, Windows).
	_ "time/tzdata"
)

func main() {
	// Files kapstone creates (database, keys, logins) are for its own user only.
	syscall.Umask(0o077)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, a second one stops kapstone at once.
		<-ctx.Done()
		stop()
	}()
	ownProcess = true
	err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}
