package config

import (
	"cmp"
	"slices"
	"time"
)

// Digest configures agents' daily digests: the tickets on their plate and
// the SLA targets falling due or missed, mailed on the working days of
// their team's calendar. A digest goes to an agent whose agents[].digest
// or one of whose teams' teams[].digest is true; none by default.
type Digest struct {
	// Time is the local time, HH:MM, in the agent's calendar (that of the
	// first of their teams with one, else the default SLA policy's) at
	// which the digest is sent on its working days; default 08:00.
	Time string `yaml:"time"`
	// DueWithin: SLA targets falling due within this much business time
	// are listed as due soon; default 4h, 1m to 720h.
	DueWithin time.Duration `yaml:"due_within"`
}

const (
	defaultDigestTime      = "08:00"
	defaultDigestDueWithin = 4 * time.Hour
	maxDigestDueWithin     = 720 * time.Hour
)

// DigestFor reports whether agent a gets a daily digest: they or one of
// their teams turned it on.
func (c *Config) DigestFor(a *Agent) bool {
	if a.Digest {
		return true
	}
	return slices.ContainsFunc(c.Teams, func(t Team) bool { return t.Digest && slices.Contains(a.Teams, t.Name) })
}

// digest checks the digest block.
func (v validator) digest(d *Digest) {
	if v.notEmpty("digest.time", d.Time) && d.Time != "" {
		if m, ok := parseClock(d.Time); !ok || m >= 24*60 {
			v.errorf("digest.time", "must be a local time HH:MM from 00:00 to 23:59, such as 08:00")
		}
	}
	if v.minDuration("digest.due_within", d.DueWithin, time.Minute) && d.DueWithin > maxDigestDueWithin {
		v.errorf("digest.due_within", "must be at most %s", shortDuration(maxDigestDueWithin))
	}
}

func (d *Digest) setDefaults() {
	d.Time = cmp.Or(d.Time, defaultDigestTime)
	d.DueWithin = cmp.Or(d.DueWithin, defaultDigestDueWithin)
}
