package staff

import (
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// chaperoneTitle is how the timeline shows a check: the chaperone's
// check-in, help request or missed check-in (issue 20; the chaperone's
// page is internal/web/chaperone's), or one the clinician recorded.
func chaperoneTitle(e store.DosingEvent) (title, level, by string) {
	if e.Action == clinic.ChaperoneCheckIn && e.Severity == "severe" {
		return "Chaperone's check-in: a concern", clinic.VitalsHold, "the chaperone"
	}
	if t, ok := map[string]string{clinic.ChaperoneCheckIn: "Chaperone's check-in", clinic.ChaperoneHelp: "Chaperone: need help now", clinic.ChaperoneMissed: "Missed chaperone check-in"}[e.Action]; ok {
		return t, map[bool]string{true: clinic.VitalsHold}[clinic.ChaperoneAlarm(e.Action)], map[bool]string{true: "kapstone", false: "the chaperone"}[e.Action == clinic.ChaperoneMissed]
	}
	return "Chaperone check", "", e.ByName
}

// ChaperoneAlarm is the banner's help request, worrying check-in or
// missed check-in (store.ChaperoneAlarm); nil when none.
func (p dosingPage) ChaperoneAlarm() *store.DosingEvent { return store.ChaperoneAlarm(p.S.Events) }
