package config

import (
	"fmt"
	"strings"
)

// Category returns the category called name, compared case-insensitively; nil if there is none.
func (c *Config) Category(name string) *Category {
	for i := range c.Categories {
		if strings.EqualFold(c.Categories[i].Name, name) {
			return &c.Categories[i]
		}
	}
	return nil
}

// categories checks cs and returns the set of category names: nil when there are none (any
// category may be set) or when some name could not be read.
func (v validator) categories(cs []Category, r refs) *names {
	if len(cs) == 0 {
		return nil
	}
	var list []string
	ok := !v.broken("categories")
	seen := map[string]string{} // lower-cased name → path of its first use
	for i, c := range cs {
		p := fmt.Sprintf("categories[%d]", i)
		if v.broken(p) || v.broken(p+".name") {
			ok = false
		}
		if v.required(p+".name", c.Name) && v.unique(seen, strings.ToLower(c.Name), p+".name", "category") {
			list = append(list, c.Name)
		}
		v.level(p+".impact", c.Impact, r.impacts)
		v.level(p+".urgency", c.Urgency, r.urgencies)
		v.policy(p+".sla", c.SLA, r)
	}
	if !ok {
		return nil
	}
	return newNames(list...)
}
