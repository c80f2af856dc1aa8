package dashboard

import (
	"html/template"
	"strconv"
	"time"
)

var funcs = template.FuncMap{
	// when formats an instant for a person: date and minute, in UTC.
	"when": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			return v.UTC().Format("2006-01-02 15:04 UTC")
		case *time.Time:
			if v != nil {
				return v.UTC().Format("2006-01-02 15:04 UTC")
			}
		}
		return "-"
	},
	"pct": func(p *float64) string {
		if p == nil {
			return "-"
		}
		return strconv.FormatFloat(*p, 'f', -1, 64) + "%"
	},
	"num": func(p *float64) string {
		if p == nil {
			return "-"
		}
		return strconv.FormatFloat(*p, 'f', -1, 64)
	},
}
