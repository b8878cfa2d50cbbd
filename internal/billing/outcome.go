package billing

// OutcomeWords says what recording an appointment's outcome (attended or
// no_show) charged (issue 21 walk F6), for the notice after it: c is the
// charge the appointment carries now, nil for none. Amounts in currency.
// No charge is said honestly: the schedule or the policy sets no fee.
func OutcomeWords(outcome string, c *Charge, currency string) string {
	if c == nil {
		switch outcome {
		case string(Attended):
			return "Nothing was charged: the fee schedule has no fee for this kind of appointment."
		case string(NoShow):
			return "Nothing was charged: the charge policy sets no fee for a missed appointment."
		}
		return ""
	}
	switch c.Kind {
	case ChargePackageSession:
		return "Charged against the patient's package: nothing more is owed for it."
	case ChargeNoShow:
		return "Charged the no-show fee, " + Format(c.Cents, currency) + "."
	case ChargeLateCancel:
		return "Charged the late-cancellation fee, " + Format(c.Cents, currency) + "."
	}
	what := ""
	if c.Description != "" {
		what = " for " + c.Description
	}
	return "Charged " + Format(c.Cents, currency) + what + "."
}
