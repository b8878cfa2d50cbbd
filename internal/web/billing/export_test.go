package billing

// SetOpenChargesLimit sets how many open charges the payment form lists,
// for a test, and returns the undo.
func SetOpenChargesLimit(n int) func() {
	old := openChargesLimit
	openChargesLimit = n
	return func() { openChargesLimit = old }
}
