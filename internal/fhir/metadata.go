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
// tokens as bearer tokens; SMART on FHIR is not implemented, so it is not
// claimed.
func (h *Handler) Capability(base string) *CapabilityStatement {
	rest := CapabilityRest{
		Mode:          "server",
		Documentation: "Read and search; create of QuestionnaireResponse only. Every search pages with _count (default 50, at most 200) and an absolute next link; _summary=count gives the total only. Unknown search parameters are ignored, or refused with 400 under Prefer: handling=strict.",
		Security: &CapabilitySecurity{
			CORS:        Bool(false),
			Description: "Every request but this one needs a personal API token made under Your account (or with kapstone token create), sent as \"Authorization: Bearer <token>\". The token reads what its account may read on kapstone's own pages, and every read is in the practice's audit log. SMART on FHIR (OAuth) is not offered.",
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
