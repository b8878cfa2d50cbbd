package clinic

import (
	"sort"
	"strings"
)

// CrisisLine is one way to reach help now.
type CrisisLine struct {
	Label string // what it is, e.g. "Call or text"
	Value string // what to dial or visit, e.g. "988"
	Href  string // tel:, sms: or https: link
}

// CrisisResources is what kapstone shows on every page for one country.
type CrisisResources struct {
	Country  string // ISO 3166-1 alpha-2
	Name     string
	Sentence string // the footer sentence, plain text
	Lines    []CrisisLine
	// More are further ways to reach help, shown on the crisis page and in
	// the safety plan (not in the strip on every page).
	More      []CrisisLine
	Emergency string // emergency number, e.g. "911"
	Source    string // where the numbers come from
}

// crisisByCountry holds the crisis resources kapstone ships. Each entry names
// its source; a practice picks its country with KAPSTONE_COUNTRY.
var crisisByCountry = map[string]CrisisResources{
	"US": {
		Country:  "US",
		Name:     "United States",
		Sentence: "If you are in crisis, call or text 988, chat at 988lifeline.org, or call 911 / go to the nearest emergency room.",
		Lines: []CrisisLine{
			{Label: "Call", Value: "988", Href: "tel:988"},
			{Label: "Text", Value: "988", Href: "sms:988"},
			{Label: "Chat", Value: "988lifeline.org", Href: "https://988lifeline.org/chat/"},
			{Label: "Emergency", Value: "911", Href: "tel:911"},
		},
		// Text HOME to 741741 (REFERENCE.md sections 5 and 6).
		More: []CrisisLine{
			{Label: "Crisis Text Line: text HOME to", Value: "741741", Href: "sms:741741?body=HOME"},
		},
		Emergency: "911",
		Source:    "988 Suicide & Crisis Lifeline, https://988lifeline.org (SAMHSA); Crisis Text Line, https://www.crisistextline.org",
	},
	"CA": {
		Country:  "CA",
		Name:     "Canada",
		Sentence: "If you are in crisis, call or text 9-8-8, or call 911 / go to the nearest emergency room.",
		Lines: []CrisisLine{
			{Label: "Call", Value: "9-8-8", Href: "tel:988"},
			{Label: "Text", Value: "9-8-8", Href: "sms:988"},
			{Label: "Emergency", Value: "911", Href: "tel:911"},
		},
		Emergency: "911",
		Source:    "9-8-8 Suicide Crisis Helpline, https://988.ca",
	},
	"GB": {
		Country:  "GB",
		Name:     "United Kingdom",
		Sentence: "If you are in crisis, call Samaritans free on 116 123, call NHS 111, or call 999 / go to A&E.",
		Lines: []CrisisLine{
			{Label: "Samaritans", Value: "116 123", Href: "tel:116123"},
			{Label: "NHS", Value: "111", Href: "tel:111"},
			{Label: "Emergency", Value: "999", Href: "tel:999"},
		},
		Emergency: "999",
		Source:    "Samaritans, https://www.samaritans.org; NHS 111, https://111.nhs.uk",
	},
	"AU": {
		Country:  "AU",
		Name:     "Australia",
		Sentence: "If you are in crisis, call Lifeline on 13 11 14, or call 000 / go to the nearest emergency department.",
		Lines: []CrisisLine{
			{Label: "Lifeline", Value: "13 11 14", Href: "tel:131114"},
			{Label: "Emergency", Value: "000", Href: "tel:000"},
		},
		Emergency: "000",
		Source:    "Lifeline Australia, https://www.lifeline.org.au",
	},
}

// Crisis returns the crisis resources for an ISO country code (any case) and
// whether kapstone ships them.
func Crisis(country string) (CrisisResources, bool) {
	c, ok := crisisByCountry[strings.ToUpper(strings.TrimSpace(country))]
	return c, ok
}

// CrisisCountries lists the country codes kapstone ships crisis resources for, sorted.
func CrisisCountries() []string {
	var cs []string
	for c := range crisisByCountry {
		cs = append(cs, c)
	}
	sort.Strings(cs)
	return cs
}
