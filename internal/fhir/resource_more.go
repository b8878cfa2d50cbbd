package fhir

// ConsentPolicy is the policy (the practice's consent document, by
// version) a Consent was given under.
type ConsentPolicy struct {
	Authority string `json:"authority,omitempty"`
	URI       string `json:"uri,omitempty"`
}
