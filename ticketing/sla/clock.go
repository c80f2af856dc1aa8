package sla

import (
	"math"
	"time"
)

// Clock is one SLA clock (first response, next response or resolution) as
// plain data, so that ticketing can store it in columns and rebuild it.
// Its methods return the changed clock and never modify the receiver.
//
// A clock is in one of four states: not started (Started is zero),
// running (Running), paused (PausedSince is set) or stopped (Stopped is
// set). Start makes a running clock; Pause, Resume, Stop and Restart move
// between the others. A transition from a state it does not apply to
// returns the clock unchanged, which makes repeats harmless: pausing a
// paused clock, resuming a running one, stopping a stopped one, and
// restarting one that is not stopped are no-ops, as is any transition of
// a clock that has not started or at the zero Time. Times passed to
// successive transitions must not go backwards; a run or pause that would
// end before it began counts as none.
type Clock struct {
	Target         time.Duration // business time allowed
	Started        time.Time     // when the clock started: ticket created, or last reopened
	Elapsed        time.Duration // business time counted before the current run
	Running        bool          // counting now
	RunningSince   time.Time     // start of the current run, when Running
	PausedSince    time.Time     // start of the current pause, when paused
	Paused         time.Duration // wall time spent paused since Started, for the explanation
	PausedBusiness time.Duration // business time that fell inside those pauses
	Stopped        time.Time     // when the clock was met (zero while open)
	Breached       bool          // the clock ran past its deadline; once set, never cleared
	Reopens        int           // how many times Restart reopened the clock
	Carried        time.Duration // Elapsed when the clock was last reopened
}

// Start returns a clock with the given target, running from at.
func Start(target time.Duration, at time.Time) Clock {
	return Clock{Target: target, Started: at, Running: true, RunningSince: at}
}

func (k Clock) paused() bool { return !k.Running && k.Stopped.IsZero() && !k.PausedSince.IsZero() }

// Pause stops counting at at, as when the ticket waits on the requester. It
// marks the clock breached if at is past the deadline.
func (k Clock) Pause(at time.Time, cal *Calendar) Clock {
	if !k.Running || at.IsZero() {
		return k
	}
	k.Breached = k.Overdue(at, cal)
	k.Elapsed += cal.Between(k.RunningSince, at)
	k.Running, k.RunningSince, k.PausedSince = false, time.Time{}, at
	return k
}

// Resume counts again from at, as when the requester replies. The time
// since Pause is added to Paused and its business part to PausedBusiness.
func (k Clock) Resume(at time.Time, cal *Calendar) Clock {
	if !k.paused() || at.IsZero() {
		return k
	}
	k = k.endPause(at, cal)
	k.Running, k.RunningSince = true, at
	return k
}

func (k Clock) endPause(at time.Time, cal *Calendar) Clock {
	k.Paused += max(0, at.Sub(k.PausedSince))
	k.PausedBusiness += cal.Between(k.PausedSince, at)
	k.PausedSince = time.Time{}
	return k
}

// Stop marks the clock met at at, as on the first agent reply or when the
// ticket is resolved. It marks the clock breached if at is past the
// deadline, even when at is outside working hours and no more business
// time has passed: a deadline of Friday 17:00 met on Friday 17:30 is
// breached. Stopping a paused clock ends the pause first.
func (k Clock) Stop(at time.Time, cal *Calendar) Clock {
	if k.Started.IsZero() || !k.Stopped.IsZero() || at.IsZero() {
		return k
	}
	k.Breached = k.Overdue(at, cal)
	if k.Running {
		k.Elapsed += cal.Between(k.RunningSince, at)
		k.Running, k.RunningSince = false, time.Time{}
	} else if k.paused() {
		k = k.endPause(at, cal)
	}
	k.Stopped = at
	return k
}

// Restart reopens a stopped clock at at: it runs again, keeping Elapsed
// (saved in Carried for the explanation), with Started set to at and the
// pause totals reset. Breached stays set. cal is not used; it keeps the
// shape of the other transitions.
func (k Clock) Restart(at time.Time, cal *Calendar) Clock {
	if k.Stopped.IsZero() || at.IsZero() {
		return k
	}
	k.Stopped = time.Time{}
	k.Started, k.Running, k.RunningSince = at, true, at
	k.Reopens++
	k.Carried = k.Elapsed
	k.Paused, k.PausedBusiness = 0, 0
	return k
}

// Retarget changes the target, as on a priority change, keeping the
// business time used so far: the deadline moves by the difference. It does
// not change Breached: a breach already recorded stays, and a shorter
// target that is already exceeded counts as breached at the next Check,
// Pause or Stop.
func (k Clock) Retarget(target time.Duration) Clock {
	k.Target = target
	return k
}

// Used returns the business time counted up to at.
func (k Clock) Used(at time.Time, cal *Calendar) time.Duration {
	if !k.Running {
		return k.Elapsed
	}
	return k.Elapsed + cal.Between(k.RunningSince, at)
}

// Deadline returns when a running clock reaches its target:
// RunningSince plus the remaining Target − Elapsed in business time. It
// returns RunningSince when nothing remains, and the zero Time when the
// clock is paused, stopped or not started (a paused clock has no deadline
// until it resumes) or when the calendar has no working time within ten
// years.
func (k Clock) Deadline(cal *Calendar) time.Time {
	return k.reach(k.Target, cal)
}

// WarnAt returns when a running clock's Used reaches share × Target (the
// caller's default is 0.8), with the same zero cases as Deadline. A share
// that is not positive counts as 0.
func (k Clock) WarnAt(cal *Calendar, share float64) time.Time {
	if !(share > 0) {
		share = 0
	}
	used := time.Duration(math.MaxInt64)
	if f := math.Round(float64(k.Target) * share); f < math.MaxInt64 {
		used = time.Duration(f)
	}
	return k.reach(used, cal)
}

// reach returns when a running clock's Used reaches used.
func (k Clock) reach(used time.Duration, cal *Calendar) time.Time {
	if !k.Running {
		return time.Time{}
	}
	left := used - k.Elapsed
	if left <= 0 {
		return k.RunningSince.In(cal.Location())
	}
	return cal.Add(k.RunningSince, left)
}

// Overdue reports whether the clock is breached at at: it is marked
// Breached, or it has used more than its target, or it is running and at
// is after its deadline. A clock stopped or paused exactly at its deadline
// is not overdue.
func (k Clock) Overdue(at time.Time, cal *Calendar) bool {
	if k.Breached || k.Used(at, cal) > k.Target {
		return true
	}
	if !k.Running {
		return false
	}
	d := k.Deadline(cal)
	return !d.IsZero() && at.After(d)
}

// Check returns the clock with Breached set if it is overdue at at. The
// escalation that fires breaches calls it; Pause and Stop do it themselves.
func (k Clock) Check(at time.Time, cal *Calendar) Clock {
	k.Breached = k.Overdue(at, cal)
	return k
}
