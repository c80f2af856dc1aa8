package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// The roles of an agent.
const (
	RoleAgent = "agent" // works tickets; the default
	RoleLead  = "lead"  // leads the agent's teams
)

// Agent returns the agent that has address among its addresses, compared case-insensitively.
// address must be bare, such as ann@example.com.
func (c *Config) Agent(address string) (*Agent, bool) {
	for i := range c.Agents {
		for _, a := range c.Agents[i].Addresses {
			if strings.EqualFold(a, address) {
				return &c.Agents[i], true
			}
		}
	}
	return nil, false
}

// TeamMembers returns the agents in the team named team, in the order of the file; none for an
// unknown team.
func (c *Config) TeamMembers(team string) []Agent {
	var members []Agent
	for _, a := range c.Agents {
		if slices.Contains(a.Teams, team) {
			members = append(members, a)
		}
	}
	return members
}

// teams checks ts and returns the set of team names, or nil if some name could not be decoded
// (references to teams are then not checked, to avoid reporting one problem many times).
func (v validator) teams(ts []Team, deskAddress string) map[string]bool {
	known := map[string]bool{}
	names := map[string]string{} // valid name → path of its first use
	for i, t := range ts {
		p := fmt.Sprintf("teams[%d]", i)
		if v.d.bad[p] || v.d.bad[p+".name"] {
			known = nil
		}
		if known != nil {
			known[t.Name] = true
		}
		if v.required(p+".name", t.Name) {
			if !namePattern.MatchString(t.Name) {
				v.errorf(p+".name", "must be 1 to 64 of a-z, 0-9, _ and -")
			} else if first, dup := names[t.Name]; dup {
				v.errorf(p+".name", "duplicate team name (first at line %d)", v.line(first+".name"))
			} else {
				names[t.Name] = p
			}
		}
		if v.notEmpty(p+".address", t.Address) && t.Address != "" &&
			v.addrSpec(p+".address", t.Address, "it-team@example.com", "without a display name") &&
			isDeskAddress(t.Address, deskAddress) {
			v.errorf(p+".address", "must not be the desk address or a plus-address of it")
		}
	}
	if v.d.bad["teams"] {
		return nil
	}
	return known
}

// agents checks as; teams is the set of team names, nil to skip checking references to them.
func (v validator) agents(as []Agent, teams map[string]bool, deskAddress string) {
	addrs := map[string]string{} // lower-cased address → path of its first use
	for i, a := range as {
		p := fmt.Sprintf("agents[%d]", i)
		v.required(p+".name", a.Name)
		if len(a.Addresses) == 0 {
			v.errorf(p+".addresses", "at least one address is required")
		}
		for j, addr := range a.Addresses {
			q := fmt.Sprintf("%s.addresses[%d]", p, j)
			if !v.notEmpty(q, addr) || !v.addrSpec(q, addr, "ann@example.com", "the display name is "+p+".name") {
				continue
			}
			if isDeskAddress(addr, deskAddress) {
				v.errorf(q, "must not be the desk address or a plus-address of it")
				continue
			}
			key := strings.ToLower(addr)
			if first, dup := addrs[key]; dup {
				v.errorf(q, "duplicate agent address (first at line %d)", v.line(first))
			} else {
				addrs[key] = q
			}
		}
		seen := map[string]string{} // team name → path of its first use
		for j, t := range a.Teams {
			q := fmt.Sprintf("%s.teams[%d]", p, j)
			if !v.notEmpty(q, t) || t == "" {
				continue
			}
			if teams != nil && !teams[t] {
				v.errorf(q, "must name a team listed under teams")
			} else if first, dup := seen[t]; dup {
				v.errorf(q, "duplicate team (first at line %d)", v.line(first))
			} else {
				seen[t] = q
			}
		}
		v.oneOf(p+".language", a.Language, templateLanguages)
		switch a.Role {
		case "":
			v.notEmpty(p+".role", a.Role)
		case RoleAgent, RoleLead:
		default:
			v.errorf(p+".role", "must be one of agent, lead")
		}
	}
}

func (a *Agent) setDefaults() {
	a.Role = cmp.Or(a.Role, RoleAgent)
	a.Language = newNames(templateLanguages...).canon(a.Language)
	for i, addr := range a.Addresses {
		a.Addresses[i] = strings.ToLower(addr)
	}
}
