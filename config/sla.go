package config

import (
	"fmt"
	"strings"
	"time"
)

// Defaults of the sla section.
const (
	defaultPolicy = "standard" // the one policy of a file that has none
	defaultWarnAt = 0.8
)

// defaultTargets are the targets of the default priority levels, in business time; other
// levels have none.
var defaultTargets = []SLATarget{
	{Priority: "High", Response: time.Hour, Resolution: 4 * time.Hour},
	{Priority: "Normal", Response: 2 * time.Hour, Resolution: 8 * time.Hour},
	{Priority: "Medium", Response: 4 * time.Hour, Resolution: 16 * time.Hour},
	{Priority: "Low", Response: 8 * time.Hour, Resolution: 40 * time.Hour},
}

// Policy returns the SLA policy called name, compared case-insensitively; nil if there is none.
// After Load there is always at least one policy, and SLA.Default names one.
func (c *Config) Policy(name string) *SLAPolicy {
	for i := range c.SLA.Policies {
		if strings.EqualFold(c.SLA.Policies[i].Name, name) {
			return &c.SLA.Policies[i]
		}
	}
	return nil
}

// Target returns the policy's target for priority, compared case-insensitively. After Load a
// policy has one target for each priority level, in the order of Priorities.Levels.
func (p *SLAPolicy) Target(priority string) (SLATarget, bool) {
	for _, t := range p.Targets {
		if strings.EqualFold(t.Priority, priority) {
			return t, true
		}
	}
	return SLATarget{}, false
}

// defaultTarget returns the default target of priority, if it has one.
func defaultTarget(priority string) (SLATarget, bool) {
	for _, t := range defaultTargets {
		if strings.EqualFold(t.Priority, priority) {
			return t, true
		}
	}
	return SLATarget{}, false
}

// policyMsg is the problem of a key that does not name a policy.
func (r refs) policyMsg() string {
	if r.defaultPolicy {
		return "must name a policy listed under sla.policies (without any, the only policy is " + defaultPolicy + ")"
	}
	return "must name a policy listed under sla.policies"
}

// policy checks a reference to a policy at path.
func (v validator) policy(path, s string, r refs) bool {
	return v.known(path, s, r.policies, r.policyMsg())
}

// noDefaultTargets ends the problems of levels without targets.
const noDefaultTargets = "only the default priority levels have default targets"

// sla checks s and sets r.policies to the set of policy names.
func (v validator) sla(s *SLA, r *refs, deskAddress string) {
	const p = "sla"
	ok := !v.broken(p + ".policies")
	switch {
	case v.has(p+".policies") && len(s.Policies) == 0:
		if ok {
			v.errorf(p+".policies", "must not be empty (leave the key out for the default policy, %s)", defaultPolicy)
		}
		ok = false
	case len(s.Policies) == 0 && r.priorities != nil && !r.defaultTargets():
		v.errorAt("priorities.levels", p+".policies", "is required when priorities.levels are not the defaults: %s", noDefaultTargets)
	}
	var list []string
	seen := map[string]string{} // lower-cased name → path of its first use
	for i, pol := range s.Policies {
		q := fmt.Sprintf("%s.policies[%d]", p, i)
		if v.broken(q) || v.broken(q+".name") {
			ok = false
		}
		if v.required(q+".name", pol.Name) && v.unique(seen, strings.ToLower(pol.Name), q+".name", "policy name") {
			list = append(list, pol.Name)
		}
		v.known(q+".calendar", pol.Calendar, r.calendars, r.calendarMsg())
		v.targets(q, pol.Targets, *r)
	}
	switch {
	case !ok:
		r.policies = nil
	case len(s.Policies) == 0:
		r.policies, r.defaultPolicy = newNames(defaultPolicy), true
	default:
		r.policies = newNames(list...)
	}

	v.policy(p+".default", s.Default, *r)
	if v.has(p+".warn_at") && (s.WarnAt <= 0 || s.WarnAt >= 1) {
		v.errorf(p+".warn_at", "must be more than 0 and less than 1, such as %g", defaultWarnAt)
	}
	v.escalation(p+".escalation.warning", &s.Escalation.Warning, *r, deskAddress)
	v.escalation(p+".escalation.breach", &s.Escalation.Breach, *r, deskAddress)
}

// targets checks the targets of the policy at p.
func (v validator) targets(p string, ts []SLATarget, r refs) {
	defaults := r.defaultTargets()
	custom := r.priorities != nil && !defaults // levels without default targets
	seen := map[string]string{}                // lower-cased priority → path of its first use
	for i, t := range ts {
		q := fmt.Sprintf("%s.targets[%d]", p, i)
		if v.required(q+".priority", t.Priority) && v.level(q+".priority", t.Priority, r.priorities) {
			v.unique(seen, strings.ToLower(t.Priority), q+".priority", "priority")
		}
		okResp := v.minDuration(q+".response", t.Response, time.Minute)
		okRes := v.minDuration(q+".resolution", t.Resolution, time.Minute)
		if custom {
			for _, key := range []string{"response", "resolution"} {
				if !v.has(q + "." + key) {
					v.errorf(q+"."+key, "is required: %s", noDefaultTargets)
				}
			}
		}
		if v.has(q+".next_response") && t.NextResponse < 0 {
			v.errorf(q+".next_response", "must not be negative (0 means none)")
		}

		// Compare the targets that will apply, defaults included.
		resp, res := t.Response, t.Resolution
		hasResp, hasRes := v.has(q+".response"), v.has(q+".resolution")
		if def, ok := defaultTarget(t.Priority); ok && defaults {
			if !hasResp {
				resp = def.Response
			}
			if !hasRes {
				res = def.Resolution
			}
		}
		if okResp && okRes && resp > 0 && res > 0 && resp > res && !v.broken(q) {
			switch {
			case hasResp && hasRes:
				v.errorf(q+".response", "must not be longer than the resolution target")
			case hasResp:
				v.errorf(q+".response", "must not be longer than the resolution target (default %s)", shortDuration(res))
			default:
				v.errorf(q+".resolution", "must not be shorter than the response target (default %s)", shortDuration(resp))
			}
		}
	}
	if custom && !v.broken(p+".targets") {
		var missing []string
		for _, level := range r.priorities.list {
			if _, ok := seen[strings.ToLower(level)]; !ok {
				missing = append(missing, level)
			}
		}
		if len(missing) > 0 {
			v.errorf(p+".targets", "has no target for priority %s: %s", strings.Join(missing, ", "), noDefaultTargets)
		}
	}
}

// escalation checks one level of the escalation at p.
func (v validator) escalation(p string, e *EscalationLevel, r refs, deskAddress string) {
	seen := map[string]string{} // lower-cased recipient → path of its first use
	for i, to := range e.Notify {
		q := fmt.Sprintf("%s.notify[%d]", p, i)
		switch to {
		case ToAssignee, ToTeam:
		case ToRequester, ToCc:
			v.errorf(q, "requester and cc are customers, and escalation mail is internal; use assignee, team or an address")
			continue
		default:
			if !v.recipientAddress(q, to, "assignee, team", deskAddress) {
				continue
			}
		}
		v.unique(seen, strings.ToLower(to), q, "recipient")
	}
	v.team(p+".reassign", e.Reassign, r)
}

// team checks a reference to a team at path.
func (v validator) team(path, s string, r refs) {
	if v.notEmpty(path, s) && s != "" && r.teams != nil && !r.teams[s] {
		v.errorf(path, "must name a team listed under teams")
	}
}

// teamsSLA checks the calendar and escalation contacts of each team.
func (v validator) teamsSLA(ts []Team, r refs, deskAddress string) {
	for i, t := range ts {
		p := fmt.Sprintf("teams[%d]", i)
		v.known(p+".calendar", t.Calendar, r.calendars, r.calendarMsg())
		seen := map[string]string{} // lower-cased address → path of its first use
		for j, addr := range t.Escalation {
			q := fmt.Sprintf("%s.escalation[%d]", p, j)
			if v.bareAddress(q, addr, "escalation@example.com", deskAddress) {
				v.unique(seen, strings.ToLower(addr), q, "address")
			}
		}
	}
}

// setDefaults fills in the default policy, targets, calendars, warning share and escalation,
// and returns the set of policy names. r holds the levels and calendars, with their defaults.
func (s *SLA) setDefaults(has func(path string) bool, r refs) *names {
	if len(s.Policies) == 0 {
		s.Policies = []SLAPolicy{{Name: defaultPolicy}}
	}
	var list []string
	for i := range s.Policies {
		pol := &s.Policies[i]
		pol.Calendar = r.calendars.canon(pol.Calendar)
		if pol.Calendar == "" {
			pol.Calendar = r.calendars.list[0]
		}
		targets := make([]SLATarget, 0, len(r.priorities.list))
		for _, level := range r.priorities.list {
			t, _ := pol.Target(level)
			t.Priority = level
			if def, ok := defaultTarget(level); ok && r.defaultTargets() {
				if t.Response == 0 {
					t.Response = def.Response
				}
				if t.Resolution == 0 {
					t.Resolution = def.Resolution
				}
			}
			targets = append(targets, t)
		}
		pol.Targets = targets
		list = append(list, pol.Name)
	}
	policies := newNames(list...)
	s.Default = policies.canon(s.Default)
	if s.Default == "" {
		s.Default = s.Policies[0].Name
	}
	if s.WarnAt == 0 {
		s.WarnAt = defaultWarnAt
	}
	if !has("sla.escalation.warning.notify") {
		s.Escalation.Warning.Notify = []string{ToAssignee}
	}
	if !has("sla.escalation.breach.notify") {
		s.Escalation.Breach.Notify = []string{ToAssignee, ToTeam}
	}
	return policies
}
