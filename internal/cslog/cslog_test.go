package cslog

import (
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
)

var (
	vial    = Product{Unit: UnitMg, Form: "vial"}
	lozenge = Product{Unit: UnitEach, StrengthMcg: 100000, Form: "lozenge"}
	day     = time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
)

func TestCheck(t *testing.T) {
	receipt := Entry{Kind: Receipt, Quantity: 500000, Party: "Supplier", Invoice: "INV-1", Lot: "L1", Expiry: day}
	for _, c := range []struct {
		name  string
		e     Entry
		field string // "" when valid
	}{
		{"receipt", receipt, ""},
		{"receipt without supplier", func() Entry { e := receipt; e.Party = " "; return e }(), "party"},
		{"receipt without invoice", func() Entry { e := receipt; e.Invoice = ""; return e }(), "invoice"},
		{"receipt without lot", func() Entry { e := receipt; e.Lot = ""; return e }(), "lot"},
		{"receipt without expiry", func() Entry { e := receipt; e.Expiry = time.Time{}; return e }(), "expiry"},
		{"receipt of nothing", func() Entry { e := receipt; e.Quantity = 0; return e }(), "quantity"},
		{"supplier on two lines", func() Entry { e := receipt; e.Party = "a\nb"; return e }(), "party"},
		{"long invoice", func() Entry { e := receipt; e.Invoice = string(make([]byte, 61)); return e }(), "invoice"},
		{"unknown kind", Entry{Kind: "gift", Quantity: 1}, "kind"},
		{"transfer in", Entry{Kind: TransferIn, Quantity: 1, Party: "Other office", Lot: "L", Expiry: day}, ""},
		{"transfer in from nowhere", Entry{Kind: TransferIn, Quantity: 1, Lot: "L", Expiry: day}, "party"},
		{"transfer in without lot", Entry{Kind: TransferIn, Quantity: 1, Party: "x", Expiry: day}, "lot"},
		{"transfer in without expiry", Entry{Kind: TransferIn, Quantity: 1, Party: "x", Lot: "L"}, "expiry"},
		{"transfer out", Entry{Kind: TransferOut, Quantity: 1, Party: "Other office"}, ""},
		{"transfer out to nowhere", Entry{Kind: TransferOut, Quantity: 1}, "party"},
		{"return", Entry{Kind: Return, Quantity: 1, Party: "Reverse distributor"}, ""},
		{"return to no one", Entry{Kind: Return, Quantity: 1}, "party"},
		{"administer", Entry{Kind: Administer, Quantity: 1, SessionID: "s", PatientID: "p"}, ""},
		{"administer without a session", Entry{Kind: Administer, Quantity: 1, PatientID: "p"}, "session"},
		{"administer without a patient", Entry{Kind: Administer, Quantity: 1, SessionID: "s"}, "patient"},
		{"administer negative", Entry{Kind: Administer, Quantity: -1, SessionID: "s", PatientID: "p"}, "quantity"},
		{"dispense", Entry{Kind: Dispense, Quantity: 1, PatientID: "p", PrescriberID: "rx"}, ""},
		{"dispense to no one", Entry{Kind: Dispense, Quantity: 1, PrescriberID: "rx"}, "patient"},
		{"dispense with no prescriber", Entry{Kind: Dispense, Quantity: 1, PatientID: "p"}, "prescriber"},
		{"waste", Entry{Kind: Waste, Quantity: 1, RecordedBy: "a", WitnessID: "b", Reason: "drawn up, not given"}, ""},
		{"waste unwitnessed", Entry{Kind: Waste, Quantity: 1, RecordedBy: "a", Reason: "x"}, "witness"},
		{"waste witnessed by oneself", Entry{Kind: Waste, Quantity: 1, RecordedBy: "a", WitnessID: "a", Reason: "x"}, "witness"},
		{"waste without reason", Entry{Kind: Waste, Quantity: 1, RecordedBy: "a", WitnessID: "b"}, "reason"},
		{"loss", Entry{Kind: Loss, Quantity: 1, LossType: "Other", DiscoveredAt: day, Reason: "vial broke in transit"}, ""},
		{"loss without type", Entry{Kind: Loss, Quantity: 1, DiscoveredAt: day, Reason: "x"}, "loss_type"},
		{"loss of an unknown type", Entry{Kind: Loss, Quantity: 1, LossType: "Misplaced", DiscoveredAt: day, Reason: "x"}, "loss_type"},
		{"loss without date", Entry{Kind: Loss, Quantity: 1, LossType: "Other", Reason: "x"}, "discovered"},
		{"loss without description", Entry{Kind: Loss, Quantity: 1, LossType: "Other", DiscoveredAt: day}, "reason"},
		{"count that matches", Entry{Kind: Count, Quantity: 5, Expected: 5}, ""},
		{"count of zero", Entry{Kind: Count, Quantity: 0, Expected: 0}, ""},
		{"count below zero", Entry{Kind: Count, Quantity: -1, Expected: 0}, "quantity"},
		{"count that differs with reason", Entry{Kind: Count, Quantity: 4, Expected: 5, Reason: "spill seen on camera"}, ""},
		{"count that differs without reason", Entry{Kind: Count, Quantity: 4, Expected: 5}, "reason"},
		{"correction", Entry{Kind: Correction, Quantity: -10, CorrectsID: "e1", Reason: "typed 110 for 100"}, ""},
		{"correction of nothing", Entry{Kind: Correction, Quantity: 0, CorrectsID: "e1", Reason: "x"}, "quantity"},
		{"correction of no entry", Entry{Kind: Correction, Quantity: 1, Reason: "x"}, "corrects"},
		{"correction without reason", Entry{Kind: Correction, Quantity: 1, CorrectsID: "e1"}, "reason"},
		{"reason too long", Entry{Kind: Correction, Quantity: 1, CorrectsID: "e1", Reason: string(make([]rune, 2001))}, "reason"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := c.e
			fe := Check(&e, vial)
			switch {
			case c.field == "" && len(fe) > 0:
				t.Errorf("refused: %v", fe)
			case c.field != "" && fe[c.field] == "":
				t.Errorf("errors %v, want one on %q", fe, c.field)
			}
		})
	}
}

func TestDelta(t *testing.T) {
	for _, c := range []struct {
		e    Entry
		want int64
	}{
		{Entry{Kind: Receipt, Quantity: 7}, 7},
		{Entry{Kind: TransferIn, Quantity: 7}, 7},
		{Entry{Kind: Administer, Quantity: 7}, -7},
		{Entry{Kind: Dispense, Quantity: 7}, -7},
		{Entry{Kind: Waste, Quantity: 7}, -7},
		{Entry{Kind: Return, Quantity: 7}, -7},
		{Entry{Kind: TransferOut, Quantity: 7}, -7},
		{Entry{Kind: Loss, Quantity: 7}, -7},
		{Entry{Kind: Count, Quantity: 5, Expected: 7}, -2},
		{Entry{Kind: Count, Quantity: 9, Expected: 7}, 2},
		{Entry{Kind: Correction, Quantity: -3}, -3},
		{Entry{Kind: Correction, Quantity: 3}, 3},
		{Entry{Kind: "gift", Quantity: 3}, 0},
	} {
		if got := c.e.Delta(); got != c.want {
			t.Errorf("%s %d: delta %d, want %d", c.e.Kind, c.e.Quantity, got, c.want)
		}
	}
}

// TestBalance replays sequences: receipts, administrations, waste and
// counts give the expected balance; anything taking the lot below zero is
// refused and leaves the balance as it was.
func TestBalance(t *testing.T) {
	for _, c := range []struct {
		name    string
		entries []Entry
		want    int64
		after   []int64
		refused bool
	}{
		{"empty", nil, 0, []int64{}, false},
		{"receipt, doses, waste, count", []Entry{
			{Kind: Receipt, Quantity: 500000},
			{Kind: Administer, Quantity: 200000},
			{Kind: Administer, Quantity: 150500},
			{Kind: Waste, Quantity: 500},
			{Kind: Count, Quantity: 149000, Reason: "1 mg spilled"},
		}, 149000, []int64{500000, 300000, 149500, 149000, 149000}, false},
		{"count finds more", []Entry{{Kind: Receipt, Quantity: 10}, {Kind: Count, Quantity: 12, Reason: "miscount at receipt"}}, 12, []int64{10, 12}, false},
		{"to exactly zero", []Entry{{Kind: Receipt, Quantity: 10}, {Kind: Dispense, Quantity: 10}}, 0, []int64{10, 0}, false},
		{"administer from nothing", []Entry{{Kind: Administer, Quantity: 1}}, 0, []int64{}, true},
		{"waste more than there is", []Entry{{Kind: Receipt, Quantity: 10}, {Kind: Waste, Quantity: 11}}, 10, []int64{10}, true},
		{"loss more than there is", []Entry{{Kind: Receipt, Quantity: 10}, {Kind: Loss, Quantity: 11}}, 10, []int64{10}, true},
		{"transfer out more than there is", []Entry{{Kind: Receipt, Quantity: 10}, {Kind: TransferOut, Quantity: 11}}, 10, []int64{10}, true},
		{"return more than there is", []Entry{{Kind: Receipt, Quantity: 10}, {Kind: Return, Quantity: 11}}, 10, []int64{10}, true},
		{"correction below zero", []Entry{{Kind: Receipt, Quantity: 10}, {Kind: Correction, Quantity: -11}}, 10, []int64{10}, true},
		{"correction up", []Entry{{Kind: Receipt, Quantity: 10}, {Kind: Correction, Quantity: 5}}, 15, []int64{10, 15}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, after, err := Balance(c.entries, vial)
			if (err != nil) != c.refused {
				t.Fatalf("err %v, refused %v", err, c.refused)
			}
			if got != c.want || len(after) != len(c.after) {
				t.Fatalf("balance %d after %v, want %d after %v", got, after, c.want, c.after)
			}
			for i := range after {
				if after[i] != c.after[i] {
					t.Errorf("after entry %d: %d, want %d", i, after[i], c.after[i])
				}
			}
		})
	}
}

func TestApplyCountSetsExpected(t *testing.T) {
	e := Entry{Kind: Count, Quantity: 3, Expected: 99}
	b, fe := Apply(5, &e, lozenge)
	if fe != nil || b != 3 || e.Expected != 5 {
		t.Errorf("balance %d, expected %d, %v; want 3, 5", b, e.Expected, fe)
	}
	e = Entry{Kind: Dispense, Quantity: 6}
	if _, fe := Apply(5, &e, lozenge); fe["quantity"] != "That is more than the lot holds: 5 units left." {
		t.Errorf("got %v", fe)
	}
}

func TestParseFormat(t *testing.T) {
	for _, c := range []struct {
		text   string
		p      Product
		signed bool
		want   int64
		ok     bool
		shown  string
	}{
		{"200", vial, false, 200000, true, "200 mg"},
		{"12.5 mg", vial, false, 12500, true, "12.5 mg"},
		{"0.125", vial, false, 125, true, "0.125 mg"},
		{"1.05", vial, false, 1050, true, "1.05 mg"},
		{"1.0001", vial, false, 0, false, ""},
		{"1.", vial, false, 0, false, ""},
		{"-5", vial, false, 0, false, ""},
		{"-5", vial, true, -5000, true, "-5 mg"},
		{"+5", vial, true, 5000, true, "5 mg"},
		{"abc", vial, false, 0, false, ""},
		{"", vial, false, 0, false, ""},
		{"1e3", vial, false, 0, false, ""},
		{"12345678", vial, false, 0, false, ""},
		{"3", lozenge, false, 3, true, "3 units"},
		{"1 units", lozenge, false, 1, true, "1 unit"},
		{"1.5", lozenge, false, 0, false, ""},
	} {
		got, ok := Parse(c.text, c.p, c.signed)
		if got != c.want || ok != c.ok {
			t.Errorf("Parse(%q) = %d, %v; want %d, %v", c.text, got, ok, c.want, c.ok)
			continue
		}
		if ok && Format(got, c.p) != c.shown {
			t.Errorf("Format(%d) = %q, want %q", got, Format(got, c.p), c.shown)
		}
	}
}

func TestFromDose(t *testing.T) {
	for _, c := range []struct {
		dose clinic.DoseAmount
		p    Product
		want int64
		ok   bool
	}{
		{clinic.DoseAmount{Amount: 200, Unit: "mg"}, vial, 200000, true},
		{clinic.DoseAmount{Amount: 0.5, Unit: "mg"}, vial, 500, true},
		{clinic.DoseAmount{Amount: 250, Unit: "mcg"}, vial, 250, true},
		{clinic.DoseAmount{Amount: 0.5, Unit: "mcg"}, vial, 0, false},
		{clinic.DoseAmount{Amount: 0.5, Unit: "mg/kg"}, vial, 0, false},
		{clinic.DoseAmount{Amount: 200, Unit: "mg"}, lozenge, 2, true},
		{clinic.DoseAmount{Amount: 150, Unit: "mg"}, lozenge, 0, false},
		{clinic.DoseAmount{Amount: 100, Unit: "mg"}, Product{Unit: UnitEach}, 0, false},
		{clinic.DoseAmount{Amount: 0, Unit: "mg"}, vial, 0, false},
	} {
		got, msg := FromDose(c.dose, c.p)
		if got != c.want || (msg == "") != c.ok {
			t.Errorf("FromDose(%v, %s) = %d, %q; want %d, ok %v", c.dose, c.p.Unit, got, msg, c.want, c.ok)
		}
	}
}

func TestKinds(t *testing.T) {
	for _, k := range Kinds {
		if !k.Valid() {
			t.Errorf("%s has no title", k)
		}
	}
	if Kind("gift").Valid() {
		t.Error("an unknown kind is valid")
	}
}
