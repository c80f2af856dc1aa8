package quote

import "strings"

// markerCut returns the index of the first line containing marker, or
// len(lines) when there is none. Runs of white space (including no-break
// spaces) compare equal to a single space, so a marker survives HTML
// rendering and re-wrapping of spaces.
func markerCut(lines []string, marker string) int {
	m := collapseSpace(marker)
	if m == "" {
		return len(lines)
	}
	for i, l := range lines {
		if strings.Contains(collapseSpace(l), m) {
			return i
		}
	}
	return len(lines)
}

// collapseSpace trims s and replaces each run of white space with one space.
func collapseSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
