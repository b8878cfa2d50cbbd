package clinic

// Consent to touch during a dosing session, as agreed in a preparation
// session: specific (for therapeutic touch, its kind and where), revocable
// at any time, never extended to observers or trainees, and a prior "no
// touch" stands even if touch is asked for during the session.
// Source: shared/clinical/REFERENCE.md section 4 (Numinus practicum on
// consent; Gatherwell, "Client proposes change to consent agreements during
// a psychedelic session").
const (
	TouchNone        = "none"        // no touch at all
	TouchSafety      = "safety"      // touch only to keep the patient physically safe
	TouchTherapeutic = "therapeutic" // agreed supportive touch, of a named kind and place
)

// Touches lists the consent choices, narrowest first.
var Touches = []string{TouchNone, TouchSafety, TouchTherapeutic}

// touchRank orders the choices from narrowest; "" (nothing agreed yet)
// counts as no touch, since without an agreement nobody touches.
func touchRank(t string) int {
	switch t {
	case TouchSafety:
		return 1
	case TouchTherapeutic:
		return 2
	}
	return 0
}

// ValidTouch reports whether t is one of Touches.
func ValidTouch(t string) bool {
	return t == TouchNone || t == TouchSafety || t == TouchTherapeutic
}

// TouchWidens reports whether moving consent from one choice to another
// allows more touch than before (none → safety → therapeutic; "" counts as
// none).
func TouchWidens(from, to string) bool { return touchRank(to) > touchRank(from) }

// TouchTitle is a consent choice's name for people; "" is "Not agreed yet".
func TouchTitle(t string) string {
	switch t {
	case TouchNone:
		return "No touch"
	case TouchSafety:
		return "Safety touch only"
	case TouchTherapeutic:
		return "Agreed therapeutic touch"
	}
	return "Not agreed yet"
}
