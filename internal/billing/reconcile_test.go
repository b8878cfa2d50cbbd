package billing

import (
	"reflect"
	"testing"
)

func TestReconcile(t *testing.T) {
	service := Charge{Kind: ChargeService, Cents: 20000}
	noShow := Charge{Kind: ChargeNoShow, Cents: 10000}
	session := Charge{Kind: ChargePackageSession}
	svc := Existing{ID: "s", Kind: ChargeService, Original: 20000, Cents: 20000}
	svcVoided := Existing{ID: "s", Kind: ChargeService, Original: 20000, Cents: 0, Voided: 20000}
	svcWaived := Existing{ID: "s", Kind: ChargeService, Original: 20000, Cents: 0}
	svcReducedVoided := Existing{ID: "s", Kind: ChargeService, Original: 20000, Cents: 0, Voided: 15000}
	svcPaid := Existing{ID: "s", Kind: ChargeService, Original: 20000, Cents: 20000, Settled: 5000}
	ns := Existing{ID: "n", Kind: ChargeNoShow, Original: 10000, Cents: 10000}
	nsVoided := Existing{ID: "n", Kind: ChargeNoShow, Original: 10000, Cents: 0, Voided: 10000}
	pkg := Existing{ID: "p", Kind: ChargePackageSession}
	svcCorrected := Existing{ID: "s", Kind: ChargeService, Original: 20000, Cents: 15000}
	tests := []struct {
		name     string
		existing []Existing
		want     Charge
		ok       bool
		out      Reconciliation
	}{
		{"first charge", nil, service, true, Reconciliation{Create: true}},
		{"first event makes none", nil, Charge{}, false, Reconciliation{}},
		{"same event again", []Existing{svc}, service, true, Reconciliation{}},
		{"corrected charge kept as corrected", []Existing{svcCorrected}, service, true, Reconciliation{}},
		{"attended then missed: void the fee, charge the no-show", []Existing{svc}, noShow, true, Reconciliation{Void: []Existing{svc}, Create: true}},
		{"attended then missed with no no-show fee", []Existing{svc}, Charge{}, false, Reconciliation{Void: []Existing{svc}}},
		{"paid fee is kept for staff", []Existing{svcPaid}, noShow, true, Reconciliation{Kept: []Existing{svcPaid}, Create: true}},
		{"missed then attended again: restore the fee", []Existing{svcVoided, ns}, service, true, Reconciliation{Void: []Existing{ns}, Restore: &svcVoided}},
		{"voided no-show stays voided", []Existing{nsVoided, svc}, service, true, Reconciliation{}},
		{"package session never voided", []Existing{pkg}, noShow, true, Reconciliation{Create: true}},
		{"package session again", []Existing{pkg}, session, true, Reconciliation{}},
		{"corrected to 0 by staff is not voided again", []Existing{svcVoided}, noShow, true, Reconciliation{Create: true}},
		{"waived by staff is not restored", []Existing{svcWaived}, service, true, Reconciliation{}},
		{"restored to what it was before the void, not as charged", []Existing{svcReducedVoided}, service, true, Reconciliation{Restore: &svcReducedVoided}},
		{"attended again after the package ran out: no fee beside the session", []Existing{pkg}, service, true, Reconciliation{}},
		{"attended again after a package was bought: the fee stays", []Existing{svc}, session, true, Reconciliation{}},
		{"a voided fee comes back rather than a package session", []Existing{svcVoided, nsVoided}, session, true, Reconciliation{Restore: &svcVoided}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Reconcile(tc.existing, tc.want, tc.ok)
			if !reflect.DeepEqual(got, tc.out) {
				t.Errorf("Reconcile = %+v, want %+v", got, tc.out)
			}
		})
	}
}
