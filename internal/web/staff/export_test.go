package staff

// SuppressCounts runs the page's row suppression on rows of (followed up,
// without a follow-up) counts and says which are hidden.
func SuppressCounts(rows [][2]int) []bool {
	groups := make([]outcomeGroup, len(rows))
	for i, r := range rows {
		groups[i] = outcomeGroup{FollowedUp: r[0], Missing: r[1]}
	}
	suppress(groups)
	hidden := make([]bool, len(groups))
	for i, g := range groups {
		hidden[i] = g.Hidden
	}
	return hidden
}

// SetScheduleMaxForTest makes a calendar window show at most n
// appointments until the test ends.
func SetScheduleMaxForTest(cleanup func(func()), n int) {
	old := scheduleMax
	scheduleMax = n
	cleanup(func() { scheduleMax = old })
}
