package billingreports

import "time"

// SetCSVPageSizeForTest sets how many rows a CSV file reads at a time,
// and returns the undo.
func SetCSVPageSizeForTest(n int) func() {
	old := csvPageSize
	csvPageSize = n
	return func() { csvPageSize = old }
}

// MonthChartForTest draws the month chart of [from, to) (from and to in
// the practice's zone) with no income, and returns its SVG.
func MonthChartForTest(from, to time.Time) string {
	svg, _ := monthChart(period{From: from, To: to}, nil)
	return string(svg)
}
