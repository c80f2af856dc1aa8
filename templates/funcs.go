package templates

import (
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strings"
	"time"
)

// The template functions. Each language's templates are parsed with
// functions bound to that language, so date and target need no language
// argument. quote and lines have the same names in text and HTML templates
// and do the right thing for each.

// textFuncs returns the functions of the text templates of lang.
func textFuncs(lang string) map[string]any {
	return map[string]any{
		"date":   func(t time.Time) string { return formatDate(lang, t) },
		"target": func(s SLA) string { return formatTarget(lang, s) },
		"marker": func() string { return Marker(lang) },
		"quote":  quoteText,
		"lines":  linesText,
		"more":   func(n int) string { return formatMore(lang, n) },
		"size":   func(n int64) string { return formatSize(lang, n) },
	}
}

// htmlFuncs returns the functions of the HTML templates of lang.
func htmlFuncs(lang string) htmltemplate.FuncMap {
	return htmltemplate.FuncMap{
		"date":   func(t time.Time) string { return formatDate(lang, t) },
		"target": func(s SLA) string { return formatTarget(lang, s) },
		"marker": func() string { return Marker(lang) },
		"quote":  quoteHTML,
		"lines":  linesHTML,
		"more":   func(n int) string { return formatMore(lang, n) },
		"size":   func(n int64) string { return formatSize(lang, n) },
		"cid":    cidURL,
	}
}

// cidURL is the cid: address (RFC 2392) of the related part with Content-ID
// id, for an <img src>: html/template lets only http, https and mailto
// addresses through as plain strings. id is escaped as a URL path segment.
func cidURL(id string) htmltemplate.URL {
	return htmltemplate.URL("cid:" + url.PathEscape(id))
}

// formatDate writes t, in its own location, as a native speaker of lang
// would: "Friday 6 March 2026, 16:20", "fredag 6 mars 2026 kl. 16.20",
// "fredag den 6. marts 2026 kl. 16.20", "2026年3月6日 星期五 16:20". The zero
// time is "".
func formatDate(lang string, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	wd, m := int(t.Weekday()), int(t.Month())-1
	switch lang {
	case "sv":
		weekdays := [...]string{"söndag", "måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag"}
		months := [...]string{"januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
			"september", "oktober", "november", "december"}
		return fmt.Sprintf("%s %d %s %d kl. %02d.%02d", weekdays[wd], t.Day(), months[m], t.Year(), t.Hour(), t.Minute())
	case "da":
		weekdays := [...]string{"søndag", "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag"}
		months := [...]string{"januar", "februar", "marts", "april", "maj", "juni", "juli", "august",
			"september", "oktober", "november", "december"}
		return fmt.Sprintf("%s den %d. %s %d kl. %02d.%02d", weekdays[wd], t.Day(), months[m], t.Year(), t.Hour(), t.Minute())
	case "zh":
		weekdays := [...]string{"星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"}
		return fmt.Sprintf("%d年%d月%d日 %s %02d:%02d", t.Year(), m+1, t.Day(), weekdays[wd], t.Hour(), t.Minute())
	}
	return t.Format("Monday 2 January 2006, 15:04")
}

// formatSize writes a size of n bytes in lang, rounded up to whole
// kilobytes below a megabyte and to the nearest megabyte above: "2 KB",
// "14 MB" ("2 kB" in Swedish and Danish).
func formatSize(lang string, n int64) string {
	if n < 1_000_000 {
		return kilobytes(lang, n)
	}
	return fmt.Sprintf("%d MB", (n+500_000)/1_000_000)
}

// kilobytes writes n bytes in whole kilobytes, rounded up, at least 1.
func kilobytes(lang string, n int64) string {
	unit := "KB"
	if lang == "sv" || lang == "da" {
		unit = "kB"
	}
	return fmt.Sprintf("%d %s", max((n+999)/1000, 1), unit)
}

// formatMore writes the line that ends a text cut to its budget, n bytes
// shorter, in lang: "[… 182 KB more in the ticket]".
func formatMore(lang string, n int) string {
	size := kilobytes(lang, int64(n))
	switch lang {
	case "sv":
		return "[… ytterligare " + size + " i ärendet]"
	case "da":
		return "[… yderligere " + size + " i sagen]"
	case "zh":
		return "[… 工单中还有 " + size + "]"
	}
	return "[… " + size + " more in the ticket]"
}

// units are the words for durations in one language.
type units struct {
	day, days, hour, hours, minute, minutes string
	bizHour, bizHours                       string // a business hour, business hours
	bizSuffix                               string // after any other business-time length
	and                                     string // between hours and minutes
	space                                   string // between a number and its unit
}

func unitsOf(lang string) units {
	switch lang {
	case "sv":
		return units{"dag", "dagar", "timme", "timmar", "minut", "minuter",
			"arbetstimme", "arbetstimmar", " (arbetstid)", " och ", " "}
	case "da":
		return units{"dag", "dage", "time", "timer", "minut", "minutter",
			"arbejdstime", "arbejdstimer", " (arbejdstid)", " og ", " "}
	case "zh":
		return units{"天", "天", "小时", "小时", "分钟", "分钟",
			"个工作小时", "个工作小时", "（工作时间）", "", ""}
	}
	return units{"day", "days", "hour", "hours", "minute", "minutes",
		"business hour", "business hours", " (business hours)", " ", " "}
}

func (u units) count(n int, one, other string) string {
	if n == 1 {
		return fmt.Sprint(n, u.space, one)
	}
	return fmt.Sprint(n, u.space, other)
}

// formatTarget writes the length of s's target in lang: whole days as days
// ("2 days"), else hours and minutes ("1 hour 30 minutes", "45 minutes").
// A business-hours target is never shown in days: whole hours read
// "4 business hours" ("4 arbetstimmar", "4 arbejdstimer", "4个工作小时"),
// anything else gets a suffix ("1 hour 30 minutes (business hours)"). No
// target is "".
func formatTarget(lang string, s SLA) string {
	d := s.Target.Round(time.Minute)
	if d <= 0 {
		return ""
	}
	u := unitsOf(lang)
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case s.Business && m == 0:
		return u.count(h, u.bizHour, u.bizHours)
	case !s.Business && d%(24*time.Hour) == 0:
		return u.count(h/24, u.day, u.days)
	}
	var out string
	switch {
	case h == 0:
		out = u.count(m, u.minute, u.minutes)
	case m == 0:
		out = u.count(h, u.hour, u.hours)
	default:
		out = u.count(h, u.hour, u.hours) + u.and + u.count(m, u.minute, u.minutes)
	}
	if s.Business {
		out += u.bizSuffix
	}
	return out
}

// textLines returns s's lines with line endings normalized and leading and
// trailing blank lines dropped; nil for blank s.
func textLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	lines := strings.Split(s, "\n")
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// linesText returns plain text s with its line endings normalized and
// leading and trailing blank lines dropped.
func linesText(s string) string {
	return strings.Join(textLines(s), "\n")
}

// quoteText returns plain text s quoted for a text body: each line
// prefixed with "> ", blank lines with ">".
func quoteText(s string) string {
	lines := textLines(s)
	size := 0
	for _, l := range lines {
		size += len(l) + 3
	}
	var b strings.Builder
	b.Grow(size)
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		if strings.TrimSpace(l) == "" {
			b.WriteByte('>')
		} else {
			b.WriteString("> ")
			b.WriteString(l)
		}
	}
	return b.String()
}

// linesHTML returns plain text s as escaped HTML paragraphs: blank lines
// separate paragraphs, other line breaks become <br>.
func linesHTML(s string) htmltemplate.HTML {
	var b strings.Builder
	b.Grow(len(s) + len(s)/4 + 64) // a few escapes and paragraph tags
	open := false
	for _, l := range textLines(s) {
		switch {
		case strings.TrimSpace(l) == "":
			if open {
				b.WriteString("</p>\n")
				open = false
			}
			continue
		case open:
			b.WriteString("<br>\n")
		default:
			b.WriteString(`<p style="margin:0 0 16px;">`)
			open = true
		}
		b.WriteString(htmltemplate.HTMLEscapeString(l))
	}
	if open {
		b.WriteString("</p>")
	}
	return htmltemplate.HTML(b.String()) // every byte of s went through HTMLEscapeString
}

// quoteHTML returns plain text s as linesHTML does, in a quote block.
func quoteHTML(s string) htmltemplate.HTML {
	p := linesHTML(s)
	if p == "" {
		return ""
	}
	return `<blockquote style="margin:0 0 16px;padding:0 0 0 12px;border-left:3px solid #d0d7de;color:#424a53;">` + "\n" +
		p + "\n</blockquote>"
}
