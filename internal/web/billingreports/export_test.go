package billingreports

// SetCSVPageSizeForTest sets how many rows a CSV file reads at a time,
// and returns the undo.
func SetCSVPageSizeForTest(n int) func() {
	old := csvPageSize
	csvPageSize = n
	return func() { csvPageSize = old }
}
