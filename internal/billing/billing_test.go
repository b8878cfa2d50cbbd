package billing

import (
	"slices"
	"testing"
	"time"
)

func TestParseAmount(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		err  error
	}{
		{"150", 15000, nil},
		{"150.00", 15000, nil},
		{"150.5", 15050, nil},
		{"$1,250.50", 125050, nil},
		{" 1250 ", 125000, nil},
		{"+20", 2000, nil},
		{"0", 0, nil},
		{"0.01", 1, nil},
		{"1,000,000.00", MaxCents, nil},
		{"", 0, ErrAmountEmpty},
		{"   ", 0, ErrAmountEmpty},
		{"-5", 0, ErrAmountNegative},
		{"$-5", 0, ErrAmountNegative},
		{"1.005", 0, ErrAmountPrecision},
		{"1.", 0, ErrAmountInvalid},
		{".50", 0, ErrAmountInvalid},
		{"1.5x", 0, ErrAmountInvalid},
		{"1.abc", 0, ErrAmountInvalid},
		{"abc", 0, ErrAmountInvalid},
		{"1e3", 0, ErrAmountInvalid},
		{"12,50", 0, ErrAmountInvalid},
		{"1,2500", 0, ErrAmountInvalid},
		{"1234,567", 0, ErrAmountInvalid},
		{",500", 0, ErrAmountInvalid},
		{"1,000,000.01", 0, ErrAmountTooLarge},
		{"9999999999", 0, ErrAmountTooLarge},
		{"NaN", 0, ErrAmountInvalid},
	} {
		got, err := ParseAmount(c.in)
		if err != c.err || got != c.want {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d, %v", c.in, got, err, c.want, c.err)
		}
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		cents    int64
		currency string
		want     string
		plain    string
	}{
		{0, "USD", "$0.00", "0.00"},
		{5, "USD", "$0.05", "0.05"},
		{15000, "USD", "$150.00", "150.00"},
		{125050, "", "$1,250.50", "1250.50"},
		{100000000, "USD", "$1,000,000.00", "1000000.00"},
		{-2000, "USD", "-$20.00", "-20.00"},
		{123456, "EUR", "1,234.56 EUR", "1234.56"},
	} {
		if got := Format(c.cents, c.currency); got != c.want {
			t.Errorf("Format(%d, %q) = %q, want %q", c.cents, c.currency, got, c.want)
		}
		if got := FormatPlain(c.cents); got != c.plain {
			t.Errorf("FormatPlain(%d) = %q, want %q", c.cents, got, c.plain)
		}
		if c.cents >= 0 {
			if back, err := ParseAmount(FormatPlain(c.cents)); err != nil || back != c.cents {
				t.Errorf("ParseAmount(FormatPlain(%d)) = %d, %v", c.cents, back, err)
			}
		}
	}
	if (Money{Cents: 15000, Currency: "USD"}).String() != "$150.00" {
		t.Error("Money.String")
	}
}

func TestValid(t *testing.T) {
	for c, want := range map[string]bool{"USD": true, "EUR": true, "usd": false, "US": false, "USDX": false, "U$D": false, "": false} {
		if ValidCurrency(c) != want {
			t.Errorf("ValidCurrency(%q) != %v", c, want)
		}
	}
	for _, c := range []struct{ code, want string }{
		{"90791", "CPT Category I"},
		{"90837", "CPT Category I"},
		{"99213", "CPT Category I"},
		{"3725F", "CPT Category II"},
		{"0591T", "CPT Category III"},
		{"G2082", "HCPCS Level II"},
		{"J1234", "HCPCS Level II"},
		{"ABCDE", ""},  // letters only
		{"9079", ""},   // too short
		{"907911", ""}, // too long
		{"9079a", ""},  // lower case: the store upper-cases first
		{"9079X", ""},  // four digits and a letter other than F or T
		{"G208A", ""},  // a letter and not four digits
		{"GG082", ""},  // two letters
		{"0591t", ""},
		{"9 837", ""},
		{"９0837", ""}, // a full-width digit
		{"", ""},
	} {
		if got := ServiceCodeKind(c.code); got != c.want {
			t.Errorf("ServiceCodeKind(%q) = %q, want %q", c.code, got, c.want)
		}
		if got := ValidServiceCode(c.code); got != (c.want != "") {
			t.Errorf("ValidServiceCode(%q) = %v", c.code, got)
		}
	}
	for m, want := range map[string]bool{"cash": true, "card_terminal": true, "check": true, "transfer": true, "card": false, "": false} {
		if ValidMethod(m) != want {
			t.Errorf("ValidMethod(%q) != %v", m, want)
		}
	}
}

func TestResolveFee(t *testing.T) {
	schedule := []Fee{
		{ID: "a", Kind: "integration", Code: "90837", Cents: 20000},
		{ID: "b", Kind: "integration", ClinicianID: "dr-lee", Code: "90837", Cents: 22500},
		{ID: "c", Kind: "follow_up", ClinicianID: "dr-lee", Code: "90834", Cents: 17000},
	}
	for _, c := range []struct {
		kind, clinician, want string
		ok                    bool
	}{
		{"integration", "dr-kim", "a", true},  // the kind's default
		{"integration", "dr-lee", "b", true},  // the clinician's own overrides it
		{"integration", "", "a", true},        // no clinician: the default
		{"follow_up", "dr-lee", "c", true},    // only the clinician's own
		{"follow_up", "dr-kim", "", false},    // no default for the kind
		{"intake", "dr-lee", "", false},       // the kind has no entry
		{"integration", "dr-lee ", "a", true}, // another id
	} {
		got, ok := ResolveFee(schedule, c.kind, c.clinician)
		if ok != c.ok || got.ID != c.want {
			t.Errorf("ResolveFee(%s, %s) = %q, %v; want %q, %v", c.kind, c.clinician, got.ID, ok, c.want, c.ok)
		}
	}
}

func TestApplyTier(t *testing.T) {
	for _, c := range []struct {
		cents   int64
		percent int
		want    int64
	}{
		{20000, 75, 15000},
		{12345, 75, 9259}, // 9258.75 rounds up
		{10001, 50, 5001}, // 5000.5: a half cent rounds up
		{10003, 50, 5002}, // 5001.5
		{10002, 33, 3301}, // 3300.66
		{10000, 0, 10000}, // no tier
		{10000, 100, 10000},
		{10000, 150, 10000}, // out of range: no tier
		{0, 75, 0},
		{1, 40, 0}, // 0.4 cents rounds to nothing: ChargeFor makes no charge
		{1, 50, 1}, // 0.5 rounds up
		{3, 10, 0},
	} {
		if got := ApplyTier(c.cents, c.percent); got != c.want {
			t.Errorf("ApplyTier(%d, %d) = %d, want %d", c.cents, c.percent, got, c.want)
		}
	}
}

func TestChargeFor(t *testing.T) {
	start := time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)
	fee := &Fee{Kind: "integration", Code: "90837", AddOnCode: "", Description: "Psychotherapy, 53+ minutes", Cents: 20000}
	pol := Policy{LateCancelHours: 24, LateCancelCents: 7500, NoShowCents: 10000}
	for _, c := range []struct {
		name  string
		event Event
		at    time.Time
		pol   Policy
		s     Session
		want  Charge
		ok    bool
	}{
		{"attended at the fee", Attended, start, pol, Session{StartsAt: start, Fee: fee}, Charge{Kind: ChargeService, Cents: 20000, Code: "90837", Description: fee.Description}, true},
		{"attended at a tier", Attended, start, pol, Session{StartsAt: start, Fee: fee, Percent: 75}, Charge{Kind: ChargeService, Cents: 15000, Code: "90837", Description: fee.Description}, true},
		{"attended at a tier that rounds a tiny fee to 0: no charge", Attended, start, pol, Session{StartsAt: start, Fee: &Fee{Kind: "other", Cents: 1}, Percent: 40}, Charge{}, false},
		{"attended at a tier, 1 cent left", Attended, start, pol, Session{StartsAt: start, Fee: &Fee{Kind: "other", Cents: 1}, Percent: 50}, Charge{Kind: ChargeService, Cents: 1}, true},
		{"attended, no fee for the kind", Attended, start, pol, Session{StartsAt: start}, Charge{}, false},
		{"attended, a package session", Attended, start, pol, Session{StartsAt: start, Fee: fee, Package: true}, Charge{Kind: ChargePackageSession, Code: "90837", Description: "Package session"}, true},
		{"attended, a package session of a kind with no fee", Attended, start, pol, Session{StartsAt: start, Package: true}, Charge{Kind: ChargePackageSession, Description: "Package session"}, true},
		{"no-show with a fee", NoShow, start, pol, Session{StartsAt: start, Fee: fee, Percent: 75}, Charge{Kind: ChargeNoShow, Cents: 10000, Description: "Missed appointment (no-show fee)"}, true},
		{"no-show, the policy sets no fee", NoShow, start, Policy{}, Session{StartsAt: start, Fee: fee}, Charge{}, false},
		{"cancelled 2 hours before", Cancelled, start.Add(-2 * time.Hour), pol, Session{StartsAt: start, Fee: fee}, Charge{Kind: ChargeLateCancel, Cents: 7500, Description: "Late cancellation fee"}, true},
		{"cancelled just inside the window", Cancelled, start.Add(-24*time.Hour + time.Second), pol, Session{StartsAt: start}, Charge{Kind: ChargeLateCancel, Cents: 7500, Description: "Late cancellation fee"}, true},
		{"cancelled exactly at the window", Cancelled, start.Add(-24 * time.Hour), pol, Session{StartsAt: start}, Charge{}, false},
		{"cancelled two days before", Cancelled, start.Add(-48 * time.Hour), pol, Session{StartsAt: start}, Charge{}, false},
		{"cancelled after the start", Cancelled, start.Add(time.Hour), pol, Session{StartsAt: start}, Charge{Kind: ChargeLateCancel, Cents: 7500, Description: "Late cancellation fee"}, true},
		{"cancelled late, no fee set", Cancelled, start.Add(-time.Hour), Policy{LateCancelHours: 24}, Session{StartsAt: start}, Charge{}, false},
		{"window unset: 24 hours", Cancelled, start.Add(-23 * time.Hour), Policy{LateCancelCents: 5000}, Session{StartsAt: start}, Charge{Kind: ChargeLateCancel, Cents: 5000, Description: "Late cancellation fee"}, true},
		{"window unset, 25 hours before", Cancelled, start.Add(-25 * time.Hour), Policy{LateCancelCents: 5000}, Session{StartsAt: start}, Charge{}, false},
		{"a 48-hour window", Cancelled, start.Add(-30 * time.Hour), Policy{LateCancelHours: 48, LateCancelCents: 5000}, Session{StartsAt: start}, Charge{Kind: ChargeLateCancel, Cents: 5000, Description: "Late cancellation fee"}, true},
		{"an unknown event", Event("moved"), start, pol, Session{StartsAt: start, Fee: fee}, Charge{}, false},
	} {
		got, ok := ChargeFor(c.event, c.at, c.pol, c.s)
		if ok != c.ok || got != c.want {
			t.Errorf("%s: ChargeFor = %+v, %v; want %+v, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

func TestPackageShares(t *testing.T) {
	for _, c := range []struct {
		price int64
		n     int
		want  []int64
	}{
		{120000, 6, []int64{20000, 20000, 20000, 20000, 20000, 20000}},
		{100000, 6, []int64{16670, 16666, 16666, 16666, 16666, 16666}},
		{100, 3, []int64{34, 33, 33}},
		{5, 6, []int64{5, 0, 0, 0, 0, 0}},
		{100, 1, []int64{100}},
		{100, 0, nil},
	} {
		got := PackageShares(c.price, c.n)
		var sum int64
		for _, s := range got {
			sum += s
		}
		if len(got) != len(c.want) || (c.n > 0 && sum != c.price) {
			t.Errorf("PackageShares(%d, %d) = %v (sum %d)", c.price, c.n, got, sum)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("PackageShares(%d, %d) = %v, want %v", c.price, c.n, got, c.want)
				break
			}
		}
	}
}

func TestAllocate(t *testing.T) {
	for _, c := range []struct {
		name    string
		amount  int64
		opens   []int64
		applied []int64
		credit  int64
	}{
		{"exact", 20000, []int64{20000}, []int64{20000}, 0},
		{"partial", 5000, []int64{20000}, []int64{5000}, 0},
		{"oldest first across two", 25000, []int64{20000, 15000}, []int64{20000, 5000}, 0},
		{"over the open amount becomes credit", 30000, []int64{20000}, []int64{20000}, 10000},
		{"skips settled charges", 5000, []int64{0, 3000, 4000}, []int64{0, 3000, 2000}, 0},
		{"nothing open: all credit", 5000, nil, []int64{}, 5000},
	} {
		applied, credit := Allocate(c.amount, c.opens)
		if credit != c.credit || len(applied) != len(c.applied) {
			t.Errorf("%s: Allocate = %v, %d", c.name, applied, credit)
			continue
		}
		var sum int64
		for i := range applied {
			if applied[i] != c.applied[i] {
				t.Errorf("%s: applied %v, want %v", c.name, applied, c.applied)
			}
			sum += applied[i]
		}
		if sum+credit != c.amount {
			t.Errorf("%s: applied %d + credit %d != %d", c.name, sum, credit, c.amount)
		}
	}
}

func TestLedgerArithmetic(t *testing.T) {
	if Open(20000, 5000, 3000) != 12000 || Open(20000, 20000, 0) != 0 {
		t.Error("Open")
	}
	if Unapplied(30000, 20000, 4000) != 6000 {
		t.Error("Unapplied")
	}
	if RefundLimit(30000, 4000) != 26000 || RefundLimit(30000, 30000) != 0 || RefundLimit(100, 200) != 0 {
		t.Error("RefundLimit")
	}
	if Balance(12000, 0) != 12000 || Balance(0, 6000) != -6000 {
		t.Error("Balance")
	}
}

func TestPackagePaidShares(t *testing.T) {
	for _, c := range []struct {
		price, paid int64
		n           int
		want        []int64
	}{
		{100000, 100000, 6, []int64{16670, 16666, 16666, 16666, 16666, 16666}}, // paid in full: the price's shares
		{100000, 40000, 6, []int64{6670, 6666, 6666, 6666, 6666, 6666}},        // part paid (the rest written off, or still open)
		{100000, 0, 6, []int64{0, 0, 0, 0, 0, 0}},                              // written off in full
		{60000, 59900, 6, []int64{9985, 9983, 9983, 9983, 9983, 9983}},
		{600, 599, 6, []int64{100, 100, 100, 100, 100, 99}},  // 104 on the first would pass its share of 100
		{600, 605, 6, []int64{100, 100, 100, 100, 100, 100}}, // never more than the price
		{0, 0, 3, []int64{0, 0, 0}},                          // a package corrected to 0
		{100000, -5, 2, []int64{0, 0}},
		{100000, 5000, 0, nil},
	} {
		got := PackagePaidShares(c.price, c.paid, c.n)
		if !slices.Equal(got, c.want) {
			t.Errorf("PackagePaidShares(%d, %d, %d) = %v, want %v", c.price, c.paid, c.n, got, c.want)
		}
		var sum int64
		fees := PackageShares(c.price, c.n)
		for i, g := range got {
			sum += g
			if g > fees[i] {
				t.Errorf("PackagePaidShares(%d, %d, %d): session %d paid %d over its share %d", c.price, c.paid, c.n, i+1, g, fees[i])
			}
		}
		if want := max(0, min(c.paid, c.price)); c.n > 0 && sum != want {
			t.Errorf("PackagePaidShares(%d, %d, %d) sums to %d, want %d", c.price, c.paid, c.n, sum, want)
		}
	}
}

// TestFitsMinutes: a timed psychotherapy code fits only the session
// lengths it is for (issue 21 walk F9: a 50-minute session was coded
// 90837, "53 minutes or more").
func TestFitsMinutes(t *testing.T) {
	for _, c := range []struct {
		code    string
		minutes int
		want    bool
	}{
		{"90832", 15, false},
		{"90832", 16, true},
		{"90832", 37, true},
		{"90832", 38, false},
		{"90834", 37, false},
		{"90834", 38, true},
		{"90834", 50, true},
		{"90834", 52, true},
		{"90834", 53, false},
		{"90837", 50, false},
		{"90837", 52, false},
		{"90837", 53, true},
		{"90837", 180, true},
		{"90791", 50, true}, // not timed this way
		{"99213", 20, true},
		{"G2082", 180, true},
	} {
		if got := FitsMinutes(c.code, c.minutes); got != c.want {
			t.Errorf("FitsMinutes(%q, %d) = %v, want %v", c.code, c.minutes, got, c.want)
		}
	}
}

// TestOutcomeWords: the notice after an outcome says the charge it made,
// or honestly that nothing was charged and why (issue 21 walk F6).
func TestOutcomeWords(t *testing.T) {
	for _, c := range []struct {
		outcome string
		charge  *Charge
		want    string
	}{
		{"attended", &Charge{Kind: ChargeService, Cents: 20000, Description: "Psychotherapy, 38 to 52 minutes (preparation)"}, "Charged $200.00 for Psychotherapy, 38 to 52 minutes (preparation)."},
		{"attended", &Charge{Kind: ChargeService, Cents: 15000}, "Charged $150.00."},
		{"attended", &Charge{Kind: ChargePackageSession, Description: "Package session"}, "Charged against the patient's package: nothing more is owed for it."},
		{"attended", nil, "Nothing was charged: the fee schedule has no fee for this kind of appointment."},
		{"no_show", &Charge{Kind: ChargeNoShow, Cents: 10000}, "Charged the no-show fee, $100.00."},
		{"no_show", nil, "Nothing was charged: the charge policy sets no fee for a missed appointment."},
		{"cancelled", &Charge{Kind: ChargeLateCancel, Cents: 7500}, "Charged the late-cancellation fee, $75.00."},
		{"", nil, ""},
	} {
		if got := OutcomeWords(c.outcome, c.charge, "USD"); got != c.want {
			t.Errorf("OutcomeWords(%q, %+v) = %q, want %q", c.outcome, c.charge, got, c.want)
		}
	}
}
