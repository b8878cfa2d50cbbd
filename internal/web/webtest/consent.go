package webtest

import (
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// SignConsentA has patient A sign, in the portal, the newest version of
// each kind given (the KAP informed consent when none is), as the dosing
// gate needs.
func (f *Fixture) SignConsentA(kinds ...string) {
	f.T.Helper()
	if len(kinds) == 0 {
		kinds = []string{clinic.ConsentKAP}
	}
	pat := f.As("pat@example.org")
	cs, err := f.St.PatientConsents(f.T.Context(), pat, f.PA.ID)
	if err != nil {
		f.T.Fatal(err)
	}
	for _, kind := range kinds {
		for _, c := range cs {
			if c.Kind == kind && !c.SignedLatest() {
				if _, err := f.St.SignConsent(f.T.Context(), pat, f.PA.ID, store.SignInput{DocumentID: c.Latest.ID, TextHash: c.Latest.Hash(), TypedName: f.PA.DisplayName, Agreed: true}); err != nil {
					f.T.Fatal(err)
				}
			}
		}
	}
}
