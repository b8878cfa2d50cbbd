package fhirtest

import (
	"fmt"
	"slices"
	"strings"
)

// The must-haves of the US Core 6.1.0 profiles the care-team, encounter,
// care-plan, document and provenance mappers claim (the elements the
// profiles make mandatory, and the invariants a client relies on).
func init() {
	profileRules[usCore+"us-core-careteam|6.1.0"] = func(r map[string]any) []string {
		p := append(need(r, "status", "participant"), patientSubject(r)...)
		for i, part := range values(r, "participant") {
			if len(values(part, "role")) == 0 {
				p = append(p, fmt.Sprintf("participant[%d] has no role", i))
			}
			if len(values(part, "member.reference")) == 0 {
				p = append(p, fmt.Sprintf("participant[%d] has no member reference", i))
			}
		}
		return p
	}
	profileRules[usCore+"us-core-encounter|6.1.0"] = func(r map[string]any) []string {
		p := append(need(r, "status", "class.system", "class.code", "type"), patientSubject(r)...)
		for i, t := range values(r, "type") {
			if len(values(t, "coding"))+len(values(t, "text")) == 0 {
				p = append(p, fmt.Sprintf("type[%d] is empty", i))
			}
		}
		return p
	}
	profileRules[usCore+"us-core-careplan|6.1.0"] = func(r map[string]any) []string {
		p := append(need(r, "text.status", "text.div", "status", "intent", "category"), patientSubject(r)...)
		for _, d := range values(r, "text.div") {
			if s, _ := d.(string); !strings.HasPrefix(s, `<div xmlns="http://www.w3.org/1999/xhtml">`) || !strings.HasSuffix(s, "</div>") {
				p = append(p, "text.div is not an XHTML div")
			}
		}
		assess := false
		for _, c := range values(r, "category") {
			assess = assess || slices.Contains(codes(c, "http://hl7.org/fhir/us/core/CodeSystem/careplan-category"), "assess-plan")
		}
		if !assess {
			p = append(p, "no assess-plan category")
		}
		return p
	}
	profileRules[usCore+"us-core-documentreference|6.1.0"] = func(r map[string]any) []string {
		p := append(need(r, "status", "type", "category", "content"), patientSubject(r)...)
		for i, c := range values(r, "content") {
			if len(values(c, "attachment.url"))+len(values(c, "attachment.data")) == 0 {
				p = append(p, fmt.Sprintf("content[%d].attachment has neither url nor data (us-core-6)", i))
			}
			if len(values(c, "attachment.contentType")) == 0 {
				p = append(p, fmt.Sprintf("content[%d].attachment has no contentType", i))
			}
		}
		return p
	}
	profileRules[usCore+"us-core-provenance|6.1.0"] = func(r map[string]any) []string {
		p := need(r, "target", "recorded", "agent")
		author := false
		for i, a := range values(r, "agent") {
			who := values(a, "who.reference")
			if len(who) == 0 {
				p = append(p, fmt.Sprintf("agent[%d] has no who", i))
				continue
			}
			s, _ := who[0].(string)
			if (strings.HasPrefix(s, "Practitioner/") || strings.HasPrefix(s, "Device/")) && len(values(a, "onBehalfOf")) == 0 {
				p = append(p, fmt.Sprintf("agent[%d] is a %s without onBehalfOf (provenance-1)", i, s))
			}
			for _, t := range values(a, "type") {
				author = author || slices.Contains(codes(t, "http://terminology.hl7.org/CodeSystem/provenance-participant-type"), "author")
			}
		}
		if !author {
			p = append(p, "no author agent")
		}
		return p
	}
}
