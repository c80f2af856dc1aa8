package config

import (
	"fmt"
	"slices"
	"strings"
)

// Defaults of the priorities section: the service desk's matrix. Impacts and urgencies are
// listed lowest first, priority levels highest first.
var (
	defaultImpacts   = []string{"Low", "Medium", "High"}
	defaultUrgencies = []string{"Low", "Normal", "High", "Urgent"}
	defaultLevels    = []string{"High", "Normal", "Medium", "Low"}
	defaultMatrix    = []Cell{
		{"Low", "Low", "Low"}, {"Low", "Normal", "Medium"}, {"Low", "High", "Normal"}, {"Low", "Urgent", "High"},
		{"Medium", "Low", "Medium"}, {"Medium", "Normal", "Medium"}, {"Medium", "High", "High"}, {"Medium", "Urgent", "High"},
		{"High", "Low", "Normal"}, {"High", "Normal", "Normal"}, {"High", "High", "High"}, {"High", "Urgent", "High"},
	}
)

// maxLevels bounds each list of levels, and so the matrix.
const maxLevels = 20

// The default impact and urgency of a ticket that nothing else sets, when they are levels.
const (
	defaultImpact  = "Low"
	defaultUrgency = "Normal"
)

// Cell returns the priority that the matrix gives impact and urgency, compared
// case-insensitively; "" when the matrix has no such cell. After Load every configured impact
// × urgency has a cell, and the result is spelt as in Levels.
func (p *Priorities) Cell(impact, urgency string) string {
	for _, c := range p.Matrix {
		if strings.EqualFold(c.Impact, impact) && strings.EqualFold(c.Urgency, urgency) {
			return c.Priority
		}
	}
	return ""
}

// levelSets are the configured impacts, urgencies and priority levels. A nil set could not be
// read, and references to it are not checked.
type levelSets struct {
	impacts, urgencies, priorities *names
}

// defaultTargets reports whether the priority levels are the default names, which have default
// SLA targets; false when they are unknown.
func (ls levelSets) defaultTargets() bool {
	return ls.priorities != nil && sameNames(ls.priorities, defaultLevels)
}

// sameNames reports whether n lists exactly the names in list, ignoring case and order.
func sameNames(n *names, list []string) bool {
	if n == nil || len(n.list) != len(list) {
		return false
	}
	for _, s := range list {
		if _, ok := n.find(s); !ok {
			return false
		}
	}
	return true
}

func (v validator) priorities(p *Priorities) levelSets {
	const s = "priorities"
	ls := levelSets{
		impacts:    v.levelList(s+".impacts", p.Impacts, defaultImpacts, "impact"),
		urgencies:  v.levelList(s+".urgencies", p.Urgencies, defaultUrgencies, "urgency"),
		priorities: v.levelList(s+".levels", p.Levels, defaultLevels, "level"),
	}
	if v.has(s + ".matrix") {
		v.matrix(p.Matrix, ls)
	} else if ls.impacts != nil && ls.urgencies != nil && ls.priorities != nil &&
		(!sameNames(ls.impacts, defaultImpacts) || !sameNames(ls.urgencies, defaultUrgencies) || !ls.defaultTargets()) {
		v.errorf(s+".matrix", "is required when impacts, urgencies or levels are not the defaults")
	}
	v.level(s+".default_impact", p.DefaultImpact, ls.impacts)
	v.level(s+".default_urgency", p.DefaultUrgency, ls.urgencies)
	return ls
}

// levelList checks a list of level names at path and returns its set: the defaults when the
// key is absent, nil when the list is unusable.
func (v validator) levelList(path string, list, defaults []string, what string) *names {
	switch {
	case v.broken(path):
		return nil
	case !v.has(path):
		return newNames(defaults...)
	case len(list) == 0:
		v.errorf(path, "must not be empty (leave the key out for the defaults, %s)", strings.Join(defaults, ", "))
		return nil
	case len(list) > maxLevels:
		v.errorf(path, "must not have more than %d levels", maxLevels)
		return nil
	}
	seen := map[string]string{} // lower-cased name → path of its first use
	ok := true
	for i, s := range list {
		q := fmt.Sprintf("%s[%d]", path, i)
		ok = !v.broken(q) && v.notEmpty(q, s) && v.unique(seen, strings.ToLower(s), q, what) && ok
	}
	if !ok {
		return nil // references to a broken list would only repeat its problems
	}
	return newNames(list...)
}

// maxMissing bounds the missing cells named in a problem.
const maxMissing = 12

// matrix checks that cells are known levels and give every impact × urgency exactly once.
func (v validator) matrix(cells []Cell, ls levelSets) {
	const p = "priorities.matrix"
	if len(cells) == 0 {
		if !v.broken(p) {
			v.errorf(p, "must not be empty (leave the key out for the default matrix)")
		}
		return
	}
	seen := map[string]string{} // lower-cased impact and urgency → path of the first cell
	for i, c := range cells {
		q := fmt.Sprintf("%s[%d]", p, i)
		impOK := v.required(q+".impact", c.Impact) && v.level(q+".impact", c.Impact, ls.impacts)
		urgOK := v.required(q+".urgency", c.Urgency) && v.level(q+".urgency", c.Urgency, ls.urgencies)
		if v.required(q+".priority", c.Priority) {
			v.level(q+".priority", c.Priority, ls.priorities)
		}
		if impOK && urgOK && !v.broken(q) {
			key := strings.ToLower(c.Impact) + "\x00" + strings.ToLower(c.Urgency)
			if first, dup := seen[key]; dup {
				v.errorf(q, "duplicate cell for impact %s and urgency %s (first at line %d)",
					ls.impacts.canon(c.Impact), ls.urgencies.canon(c.Urgency), v.line(first))
			} else {
				seen[key] = q
			}
		}
	}
	if ls.impacts == nil || ls.urgencies == nil || v.broken(p) {
		return
	}
	var missing []string
	for _, imp := range ls.impacts.list {
		for _, urg := range ls.urgencies.list {
			if _, ok := seen[strings.ToLower(imp)+"\x00"+strings.ToLower(urg)]; !ok {
				missing = append(missing, imp+" × "+urg)
			}
		}
	}
	if len(missing) > maxMissing {
		missing = append(missing[:maxMissing], fmt.Sprintf("and %d more", len(missing)-maxMissing))
	}
	if len(missing) > 0 {
		v.errorf(p, "must have a cell for every impact × urgency; missing: %s", strings.Join(missing, ", "))
	}
}

// setDefaults fills in the default levels and matrix, spells every level as its list does, and
// returns the lists for the rest of the file's references to levels.
func (p *Priorities) setDefaults() levelSets {
	if len(p.Impacts) == 0 {
		p.Impacts = slices.Clone(defaultImpacts)
	}
	if len(p.Urgencies) == 0 {
		p.Urgencies = slices.Clone(defaultUrgencies)
	}
	if len(p.Levels) == 0 {
		p.Levels = slices.Clone(defaultLevels)
	}
	ls := levelSets{newNames(p.Impacts...), newNames(p.Urgencies...), newNames(p.Levels...)}
	if len(p.Matrix) == 0 {
		p.Matrix = slices.Clone(defaultMatrix)
	}
	for i := range p.Matrix {
		c := &p.Matrix[i]
		c.Impact, c.Urgency, c.Priority = ls.impacts.canon(c.Impact), ls.urgencies.canon(c.Urgency), ls.priorities.canon(c.Priority)
	}
	p.DefaultImpact = defaultLevel(ls.impacts, p.DefaultImpact, defaultImpact)
	p.DefaultUrgency = defaultLevel(ls.urgencies, p.DefaultUrgency, defaultUrgency)
	return ls
}

// defaultLevel returns s in its configured spelling; when s is empty, def if it is a level,
// else the lowest level.
func defaultLevel(set *names, s, def string) string {
	if s != "" {
		return set.canon(s)
	}
	if c, ok := set.find(def); ok {
		return c
	}
	return set.list[0]
}

// mailboxLevels checks the default impact and urgency of each mailbox.
func (v validator) mailboxLevels(ms []Mailbox, ls levelSets) {
	for i, m := range ms {
		p := fmt.Sprintf("mailboxes[%d]", i)
		v.level(p+".impact", m.Impact, ls.impacts)
		v.level(p+".urgency", m.Urgency, ls.urgencies)
	}
}
