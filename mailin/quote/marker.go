package quote

import "strings"

// markerCut returns the index of the first line containing any of
// markers, or len(lines) when there is none. Runs of white space
// (including no-break and ideographic spaces) compare equal to a single
// space, so a marker survives HTML rendering and re-wrapping of spaces.
func markerCut(lines []string, markers []string) int {
	ms := collapsedMarkers(markers)
	if len(ms) == 0 {
		return len(lines)
	}
	// A line can hold a marker only if it holds the marker's first word;
	// most lines hold none, and skip the collapsing.
	firsts := make([]string, len(ms))
	for i, m := range ms {
		firsts[i], _, _ = strings.Cut(m, " ")
	}
	for i, l := range lines {
		if containsMarker(l, firsts) && containsMarker(collapseSpace(l), ms) {
			return i
		}
	}
	return len(lines)
}

// collapsedMarkers returns the markers with white space collapsed,
// without empty ones.
func collapsedMarkers(markers []string) []string {
	var out []string
	for _, m := range markers {
		if m = collapseSpace(m); m != "" {
			out = append(out, m)
		}
	}
	return out
}

// containsMarker reports whether s contains one of the collapsed markers.
func containsMarker(s string, markers []string) bool {
	for _, m := range markers {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

// collapseSpace trims s and replaces each run of white space with one space.
func collapseSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
