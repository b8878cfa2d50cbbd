package fhir

import "time"

// FHIRVersion is the FHIR version kapstone speaks.
const FHIRVersion = "4.0.1"

// capabilityDate is when this CapabilityStatement last changed (a
// dateTime, required by R4).
var capabilityDate = time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)

// Capability is the CapabilityStatement of this installation at base
// (GET /fhir/metadata): built from resourceTypes, the same table that
// routes reads and searches, so it lists exactly the resource types,
// interactions and search parameters served. Security: personal API
// tokens and SMART App Launch 2 access tokens as bearer tokens (the
// SMART-on-FHIR service code).
func (h *Handler) Capability(base string) *CapabilityStatement {
	rest := CapabilityRest{
		Mode:          "server",
		Documentation: "Read and search; create of QuestionnaireResponse only. Every search pages with _count (default 50, at most 200) and an absolute next link; _summary=count gives the total only. Unknown search parameters are ignored, or refused with 400 under Prefer: handling=strict.",
		Security: &CapabilitySecurity{
			CORS:        Bool(false),
			Service:     []CodeableConcept{{Coding: []Coding{{System: "http://terminology.hl7.org/CodeSystem/restful-security-service", Code: "SMART-on-FHIR"}}, Text: "SMART App Launch 2 (OAuth 2.0)"}},
			Description: "Every request but this one needs a bearer token sent as \"Authorization: Bearer <token>\": a personal API token made under Your account (or with kapstone token create), or a SMART App Launch 2 access token (see .well-known/smart-configuration: apps an administrator registered, authorised by a person with PKCE S256, or backend services with a signed JWT). A token reads what its account may read on kapstone's own pages, never more (a SMART token's scopes narrow it), and every read is in the practice's audit log.",
		},
	}
	for _, typ := range resourceOrder {
		d := resourceTypes[typ]
		r := CapabilityResource{
			Type: d.typ, SupportedProfile: d.profiles, Documentation: d.doc, SearchInclude: d.includes,
			Interaction: []CapabilityInteraction{{Code: "read"}, {Code: "search-type"}},
		}
		if d.typ == "Patient" {
			r.Operation = []CapabilityOperation{{Name: "everything", Definition: "http://hl7.org/fhir/OperationDefinition/Patient-everything"}}
		}
		if d.create != nil {
			r.Interaction = append(r.Interaction, CapabilityInteraction{Code: "create"})
		}
		for _, p := range d.params {
			r.SearchParam = append(r.SearchParam, CapabilitySearchParam{Name: p.Name, Definition: p.Definition, Type: p.Type, Documentation: p.Doc})
		}
		rest.Resource = append(rest.Resource, r)
	}
	bulkCapability(&rest)
	return &CapabilityStatement{
		Status: "active", Date: capabilityDate.Format("2006-01-02"), Kind: "instance",
		Name: "kapstone", Title: "kapstone FHIR R4 API", Publisher: "kapstone",
		Software:       &CapabilitySoftware{Name: "kapstone"},
		Implementation: &CapabilityImplementation{Description: "This practice's kapstone", URL: base},
		FHIRVersion:    FHIRVersion, Format: []string{"json", ContentType},
		Rest: []CapabilityRest{rest},
	}
}
