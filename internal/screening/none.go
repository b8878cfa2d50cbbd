package screening

// SaysNone reports whether a medication line says there are no
// medications ("none", "N/A", "no medications", "nothing at all"): the
// one test the intake, NewSince and the dosing gate share.
func SaysNone(line string) bool { return saysNone(line) }
