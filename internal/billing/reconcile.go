package billing

// An appointment's outcome can change after it was charged: a session
// marked attended by mistake is put right as missed, a missed one turns
// out to have been held, a held one is cancelled. The charge made for the
// first event then no longer holds. The ledger is append-only, so the old
// charge is not removed: it is corrected to 0 with a reason (a void), and
// if the appointment later returns to that event, corrected back to what
// it was before the void (never undoing a correction a person made). A superbill leaves voided services out: it never shows a
// service that was not given.

// Existing is a charge an appointment already carries.
type Existing struct {
	ID       string
	Kind     ChargeKind
	Original int64 // the amount as charged
	Cents    int64 // after corrections
	Settled  int64 // what payments applied to it and write-offs took off
	// Voided is what the charge was before a void by reconciliation, when
	// its latest correction is one; 0 otherwise (a correction a person
	// made, to 0 or not, is theirs and is never undone here).
	Voided int64
}

// sameEvent says whether charges of kinds a and b are made by the same
// event: a session attended is charged at its fee or against a package.
func sameEvent(a, b ChargeKind) bool {
	attended := func(k ChargeKind) bool { return k == ChargeService || k == ChargePackageSession }
	return a == b || attended(a) && attended(b)
}

// Reconciliation is what an appointment's new event does to the charges it
// already carries.
type Reconciliation struct {
	// Void are the charges that no longer hold and that nothing was paid
	// or written off on: each is corrected to 0.
	Void []Existing
	// Kept are the charges that no longer hold but were paid or written
	// off in part: they stay for staff to refund and correct, since only a
	// person can decide what happens to money already taken.
	Kept []Existing
	// Restore is a charge of the event voided before by reconciliation:
	// it is corrected back to what it was then (Voided).
	Restore *Existing
	// Create is whether the event's charge (want) is made anew: the
	// appointment carries no charge of its kind yet.
	Create bool
}

// Reconcile is what the event whose charge is want (ok false: the event
// makes none) does to the appointment's existing charges. A package
// session is never voided nor restored: its amount is 0 already, and the
// package's session it used stays used (staff correct the package's
// charge when that is wrong).
func Reconcile(existing []Existing, want Charge, ok bool) Reconciliation {
	var r Reconciliation
	var same *Existing
	for i := range existing {
		e := existing[i]
		switch {
		case ok && sameEvent(e.Kind, want.Kind):
			// The event's charge exists (a package session or the fee for
			// the same attendance); prefer one that still holds.
			if same == nil || same.Cents == 0 && same.Kind != ChargePackageSession {
				same = &existing[i]
			}
		case e.Kind == ChargePackageSession || e.Cents == 0:
			// Nothing to take back.
		case e.Settled == 0:
			r.Void = append(r.Void, e)
		default:
			r.Kept = append(r.Kept, e)
		}
	}
	if !ok {
		return r
	}
	if same == nil {
		r.Create = true
	} else if same.Cents == 0 && same.Voided > 0 && same.Kind != ChargePackageSession {
		r.Restore = same
	}
	return r
}
