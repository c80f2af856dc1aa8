package parse

import (
	"net/mail"
	"regexp"
	"strings"
	"time"
)

// brokenDateLayouts are Date formats seen from broken mailers that
// net/mail.ParseDate rejects.
var brokenDateLayouts = []string{
	"Mon, 2 Jan 2006 15:04:05 -0700 (MST)",
	"Mon, 2 Jan 2006 15:04:05 MST",
	"Mon, 2 Jan 2006 15:04 -0700",
	"Mon, 2 Jan 06 15:04:05 -0700",
	"Mon, 02 Jan 2006 15:04:05",
	"Mon, 2 Jan 2006 15:04:05",
	"Mon Jan 2 15:04:05 2006",
	"Mon Jan 2 15:04:05 MST 2006",
	"Mon Jan 2 15:04:05 -0700 2006",
	"2 Jan 2006 15:04:05 -0700",
	"2 Jan 2006 15:04:05",
	"Monday, January 2, 2006 3:04 PM",
	"Monday, 2 January 2006 15:04:05 -0700",
	"January 2, 2006 3:04:05 PM MST",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05",
	time.RFC3339,
	"02.01.2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15.04.05 -0700",
}

var trailingComment = regexp.MustCompile(`\s*\([^()]*\)\s*$`)

// parseDate parses a Date header leniently; zero when unparseable.
func parseDate(raw string) time.Time {
	s := collapseSpace(raw)
	if s == "" {
		return time.Time{}
	}
	if t, err := mail.ParseDate(s); err == nil {
		return t
	}
	candidates := []string{s, trailingComment.ReplaceAllString(s, ""), strings.TrimSuffix(strings.TrimSpace(s), ",")}
	// Some mailers write "+0100" as "+01:00" or drop the comma after the day.
	candidates = append(candidates, strings.Replace(s, ",", "", 1))
	for _, c := range candidates {
		if t, err := mail.ParseDate(c); err == nil {
			return t
		}
		for _, layout := range brokenDateLayouts {
			if t, err := time.Parse(layout, c); err == nil {
				return t
			}
		}
	}
	return time.Time{}
}
