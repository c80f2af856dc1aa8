package sla

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// stamp is the layout of times in explanations: "Mon 23 Nov 11:40".
const stamp = "Mon 2 Jan 15:04"

// Explain describes the clock's deadline in English, in the calendar's
// local time, with the year left out. A running clock reads
//
//	due <deadline> = <started> <start> + <target>[ − <paused> paused[ (<business> in business hours)]][, <carried> used before reopening]
//
// for example
//
//	due Mon 23 Nov 11:40 = created Fri 20 Nov 16:20 + 4 business hours − 2h paused (20m in business hours)
//
// where <started> is "created", or "reopened" once Restart has run, and
// <start> is Started. <target> is "4 business hours" for whole hours and
// "2h30m business time" otherwise. <paused> is the wall time paused since
// Started and <business> the business time within it, shown only when it
// differs: it is the business part that moves the deadline, so that
// Between(start, deadline) = target − carried + business. A running clock
// with nothing left reads "due <RunningSince>, <used> of <target> already
// used"; one whose calendar has no working time within ten years reads
// "no deadline: calendar <name> has no working time ahead". Other clocks
// read "paused since <time>, <used> of <target> used",
// "stopped <time>, <used> of <target> used[, breached]" or "not started".
func (k Clock) Explain(cal *Calendar) string {
	return k.ExplainAs(cal, "created")
}

// ExplainAs is Explain with another word for the event that started the
// clock, such as "replied" for a next-response clock; a reopened clock
// still reads "reopened". On the Always calendar targets read "4 hours".
func (k Clock) ExplainAs(cal *Calendar, started string) string {
	loc := cal.Location()
	switch {
	case k.Started.IsZero():
		return "not started"
	case !k.Stopped.IsZero():
		s := fmt.Sprintf("stopped %s, %s of %s used", k.Stopped.In(loc).Format(stamp), span(k.Elapsed), business(k.Target, cal.always))
		if k.Breached {
			s += ", breached"
		}
		return s
	case !k.Running:
		return fmt.Sprintf("paused since %s, %s of %s used", k.PausedSince.In(loc).Format(stamp), span(k.Elapsed), business(k.Target, cal.always))
	}
	due := k.Deadline(cal)
	if due.IsZero() {
		return fmt.Sprintf("no deadline: calendar %s has no working time ahead", cal.Name())
	}
	if k.Elapsed >= k.Target {
		return fmt.Sprintf("due %s, %s of %s already used", due.Format(stamp), span(k.Elapsed), business(k.Target, cal.always))
	}
	if k.Reopens > 0 {
		started = "reopened"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "due %s = %s %s + %s", due.Format(stamp), started, k.Started.In(loc).Format(stamp), business(k.Target, cal.always))
	if k.Paused > 0 || k.PausedBusiness > 0 {
		fmt.Fprintf(&b, " − %s paused", span(k.Paused))
		if k.PausedBusiness != k.Paused {
			fmt.Fprintf(&b, " (%s in business hours)", span(k.PausedBusiness))
		}
	}
	if k.Reopens > 0 {
		fmt.Fprintf(&b, ", %s used before reopening", span(k.Carried))
	}
	return b.String()
}

// business formats a target: "4 business hours", "1 business hour",
// "2h30m business time"; in wall-clock time "4 hours", "1h", "2h30m".
func business(d time.Duration, wall bool) string {
	switch {
	case wall:
		if d%time.Hour == 0 && d != time.Hour {
			return fmt.Sprintf("%d hours", d/time.Hour)
		}
		return span(d)
	case d == time.Hour:
		return "1 business hour"
	case d%time.Hour == 0:
		return fmt.Sprintf("%d business hours", d/time.Hour)
	}
	return span(d) + " business time"
}

// span formats a duration in hours, minutes and seconds, leaving out zero
// parts and fractions of a second: "66h", "2h30m", "20m", "0m".
func span(d time.Duration) string {
	if d < 0 {
		if d == math.MinInt64 {
			return d.String()
		}
		return "-" + span(-d)
	}
	h, m, s := d/time.Hour, d%time.Hour/time.Minute, d%time.Minute/time.Second
	var b strings.Builder
	if h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m > 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	if s > 0 {
		fmt.Fprintf(&b, "%ds", s)
	}
	if b.Len() == 0 {
		return "0m"
	}
	return b.String()
}
