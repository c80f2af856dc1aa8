package sla

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestExplainIssueExample is the issue's example, "due Mon 11:40 = created
// Fri 16:20 + 4 business hours − 2 h paused", on office hours Monday to
// Friday 08:00-17:00. The arithmetic:
//
//	created Fri 16:20, running      16:20-16:40  20m used
//	paused  Fri 16:40, resumed 18:40             2h wall, of it 16:40-17:00 = 20m business
//	left 4h − 20m = 3h40m from Fri 18:40: closed until Mon 08:00, so due Mon 11:40
//
// Without the pause the deadline would be Mon 11:20 (Fri 40m + Mon 3h20m):
// the pause moves it by its 20 business minutes, not by its 2 wall hours,
// and the explanation says so.
func TestExplainIssueExample(t *testing.T) {
	t.Parallel()
	c := office(t)
	k := Start(4*time.Hour, when(t, c, "2026-11-20 16:20"))
	if got, want := k.Deadline(c), when(t, c, "2026-11-23 11:20"); !got.Equal(want) {
		t.Errorf("Deadline() before the pause = %s, want %s", got, want)
	}
	k = k.Pause(when(t, c, "2026-11-20 16:40"), c)
	if got := k.Deadline(c); !got.IsZero() {
		t.Errorf("Deadline() while paused = %s, want the zero Time", got)
	}
	if got, want := k.Explain(c), "paused since Fri 20 Nov 16:40, 20m of 4 business hours used"; got != want {
		t.Errorf("Explain() while paused = %q, want %q", got, want)
	}
	k = k.Resume(when(t, c, "2026-11-20 18:40"), c)
	if k.Paused != 2*time.Hour || k.PausedBusiness != 20*time.Minute || k.Elapsed != 20*time.Minute {
		t.Errorf("Resume() = %+v, want Paused 2h, PausedBusiness 20m, Elapsed 20m", k)
	}
	if got, want := k.Deadline(c), when(t, c, "2026-11-23 11:40"); !got.Equal(want) {
		t.Errorf("Deadline() = %s, want %s", got, want)
	}
	want := "due Mon 23 Nov 11:40 = created Fri 20 Nov 16:20 + 4 business hours − 2h paused (20m in business hours)"
	if got := k.Explain(c); got != want {
		t.Errorf("Explain() = %q, want %q", got, want)
	}
	if got, want := c.Between(k.Started, k.Deadline(c)), k.Target+k.PausedBusiness; got != want {
		t.Errorf("Between(Started, Deadline()) = %v, want Target + PausedBusiness = %v", got, want)
	}
}

// TestPauseAcrossWeekend pauses from Friday to Monday.
func TestPauseAcrossWeekend(t *testing.T) {
	t.Parallel()
	c := office(t)
	// Fri 15:00-16:00 runs (1h); paused until Mon 10:00: 66h wall, of it
	// Fri 16:00-17:00 and Mon 08:00-10:00 = 3h business. 3h left from Mon
	// 10:00: due Mon 13:00, = Fri 15:00 + 4h (Mon 10:00) + 3h paused.
	k := Start(4*time.Hour, when(t, c, "2026-11-20 15:00"))
	k = k.Pause(when(t, c, "2026-11-20 16:00"), c)
	if got := k.Used(when(t, c, "2026-11-23 09:00"), c); got != time.Hour {
		t.Errorf("Used(Mon 09:00) while paused = %v, want 1h", got)
	}
	k = k.Resume(when(t, c, "2026-11-23 10:00"), c)
	if got, want := k.Deadline(c), when(t, c, "2026-11-23 13:00"); !got.Equal(want) {
		t.Errorf("Deadline() = %s, want %s", got, want)
	}
	if got := k.Used(when(t, c, "2026-11-23 12:00"), c); got != 3*time.Hour {
		t.Errorf("Used(Mon 12:00) = %v, want 3h", got)
	}
	want := "due Mon 23 Nov 13:00 = created Fri 20 Nov 15:00 + 4 business hours − 66h paused (3h in business hours)"
	if got := k.Explain(c); got != want {
		t.Errorf("Explain() = %q, want %q", got, want)
	}
	// A pause wholly in business hours reads as one figure.
	k = Start(4*time.Hour, when(t, c, "2026-11-23 08:00"))
	k = k.Pause(when(t, c, "2026-11-23 09:00"), c).Resume(when(t, c, "2026-11-23 11:00"), c)
	want = "due Mon 23 Nov 14:00 = created Mon 23 Nov 08:00 + 4 business hours − 2h paused"
	if got := k.Explain(c); got != want {
		t.Errorf("Explain() = %q, want %q", got, want)
	}
	// A pause wholly outside them does not move the deadline.
	k = Start(4*time.Hour, when(t, c, "2026-11-20 16:00"))
	k = k.Pause(when(t, c, "2026-11-20 17:00"), c).Resume(when(t, c, "2026-11-23 07:00"), c)
	want = "due Mon 23 Nov 11:00 = created Fri 20 Nov 16:00 + 4 business hours − 62h paused (0m in business hours)"
	if got := k.Explain(c); got != want {
		t.Errorf("Explain() = %q, want %q", got, want)
	}
}

// TestRetarget changes priority mid-way; the business time used is kept.
func TestRetarget(t *testing.T) {
	t.Parallel()
	c := office(t)
	k := Start(16*time.Hour, when(t, c, "2026-11-23 08:00")) // Medium: Mon 9h + Tue 7h
	if got, want := k.Deadline(c), when(t, c, "2026-11-24 15:00"); !got.Equal(want) {
		t.Errorf("Deadline() = %s, want %s", got, want)
	}
	at := when(t, c, "2026-11-23 10:00") // 2h used; raised to High, 4h
	k = k.Retarget(4 * time.Hour)
	if got := k.Used(at, c); got != 2*time.Hour {
		t.Errorf("Used(Mon 10:00) after Retarget(4h) = %v, want 2h", got)
	}
	if got, want := k.Deadline(c), when(t, c, "2026-11-23 12:00"); !got.Equal(want) {
		t.Errorf("Retarget(4h).Deadline() = %s, want %s", got, want)
	}
	if got, want := k.Retarget(8*time.Hour).Deadline(c), when(t, c, "2026-11-23 16:00"); !got.Equal(want) {
		t.Errorf("Retarget(8h).Deadline() = %s, want %s", got, want)
	}
	// A paused clock keeps its business time too.
	p := k.Pause(at, c).Retarget(8*time.Hour).Resume(when(t, c, "2026-11-24 08:00"), c)
	if got, want := p.Deadline(c), when(t, c, "2026-11-24 14:00"); !got.Equal(want) {
		t.Errorf("Pause, Retarget(8h), Resume: Deadline() = %s, want %s", got, want)
	}
	// A shorter target already used up: the deadline is in the past, and
	// the next check marks the breach.
	late := k.Retarget(time.Hour)
	if got, want := late.Deadline(c), when(t, c, "2026-11-23 09:00"); !got.Equal(want) {
		t.Errorf("Retarget(1h).Deadline() = %s, want %s", got, want)
	}
	if !late.Check(at, c).Breached {
		t.Errorf("Retarget(1h).Check(%s).Breached = false, want true", at)
	}
	// The same with the 2h counted before a pause: due when it resumes.
	resumed := when(t, c, "2026-11-23 11:00")
	late = k.Pause(at, c).Retarget(time.Hour).Resume(resumed, c)
	if got := late.Deadline(c); !got.Equal(resumed) {
		t.Errorf("Pause, Retarget(1h), Resume: Deadline() = %s, want %s", got, resumed)
	}
	if got, want := late.Explain(c), "due Mon 23 Nov 11:00, 2h of 1 business hour already used"; got != want {
		t.Errorf("Explain() = %q, want %q", got, want)
	}
}

// TestRestart reopens a resolved clock; the business time used is kept.
func TestRestart(t *testing.T) {
	t.Parallel()
	c := office(t)
	k := Start(4*time.Hour, when(t, c, "2026-11-23 08:00"))
	k = k.Stop(when(t, c, "2026-11-23 09:30"), c)
	if k.Elapsed != 90*time.Minute || k.Running || k.Breached {
		t.Errorf("Stop(Mon 09:30) = %+v, want Elapsed 1h30m, stopped, not breached", k)
	}
	if got := k.Deadline(c); !got.IsZero() {
		t.Errorf("Deadline() when stopped = %s, want the zero Time", got)
	}
	if got, want := k.Explain(c), "stopped Mon 23 Nov 09:30, 1h30m of 4 business hours used"; got != want {
		t.Errorf("Explain() when stopped = %q, want %q", got, want)
	}
	k = k.Restart(when(t, c, "2026-11-24 10:00"), c)
	if got, want := k.Deadline(c), when(t, c, "2026-11-24 12:30"); !got.Equal(want) {
		t.Errorf("Restart(Tue 10:00).Deadline() = %s, want %s", got, want)
	}
	want := "due Tue 24 Nov 12:30 = reopened Tue 24 Nov 10:00 + 4 business hours, 1h30m used before reopening"
	if got := k.Explain(c); got != want {
		t.Errorf("Explain() = %q, want %q", got, want)
	}
	// Paused after reopening: the pause counts from the reopening only.
	k = k.Pause(when(t, c, "2026-11-24 11:00"), c).Resume(when(t, c, "2026-11-24 11:30"), c)
	want = "due Tue 24 Nov 13:00 = reopened Tue 24 Nov 10:00 + 4 business hours − 30m paused, 1h30m used before reopening"
	if got := k.Explain(c); got != want {
		t.Errorf("Explain() = %q, want %q", got, want)
	}
	if got, want := c.Between(k.Started, k.Deadline(c)), k.Target-k.Carried+k.PausedBusiness; got != want {
		t.Errorf("Between(Started, Deadline()) = %v, want Target − Carried + PausedBusiness = %v", got, want)
	}
	if k.Reopens != 1 {
		t.Errorf("Reopens = %d, want 1", k.Reopens)
	}
}

// TestStopAtDeadline: met at the deadline is not breached; a minute later is.
func TestStopAtDeadline(t *testing.T) {
	t.Parallel()
	c := office(t)
	k := Start(4*time.Hour, when(t, c, "2026-11-20 16:20")) // due Mon 11:20
	for _, tc := range []struct {
		at       string
		breached bool
	}{
		{"2026-11-23 11:19", false},
		{"2026-11-23 11:20", false},
		{"2026-11-23 11:21", true},
	} {
		got := k.Stop(when(t, c, tc.at), c)
		if got.Breached != tc.breached {
			t.Errorf("Stop(%s).Breached = %v, want %v", tc.at, got.Breached, tc.breached)
		}
		if got := k.Overdue(when(t, c, tc.at), c); got != tc.breached {
			t.Errorf("Overdue(%s) = %v, want %v", tc.at, got, tc.breached)
		}
		if got := k.Pause(when(t, c, tc.at), c).Breached; got != tc.breached {
			t.Errorf("Pause(%s).Breached = %v, want %v", tc.at, got, tc.breached)
		}
	}
	// Due at a day's close and met after it, with no business time between:
	// the deadline has passed, so breached.
	k = Start(4*time.Hour, when(t, c, "2026-11-23 13:00")) // due Mon 17:00
	if got := k.Stop(when(t, c, "2026-11-23 17:00"), c); got.Breached || got.Elapsed != 4*time.Hour {
		t.Errorf("Stop(Mon 17:00) = %+v, want Elapsed 4h, not breached", got)
	}
	got := k.Stop(when(t, c, "2026-11-23 17:30"), c)
	if !got.Breached || got.Elapsed != 4*time.Hour {
		t.Errorf("Stop(Mon 17:30) = %+v, want Elapsed 4h, breached", got)
	}
	if s, want := got.Explain(c), "stopped Mon 23 Nov 17:30, 4h of 4 business hours used, breached"; s != want {
		t.Errorf("Explain() = %q, want %q", s, want)
	}
	// A breach stays through a reopening and a longer target.
	if r := got.Restart(when(t, c, "2026-11-24 08:00"), c).Retarget(40 * time.Hour); !r.Breached || r.Check(when(t, c, "2026-11-24 09:00"), c).Breached != true {
		t.Errorf("Restart, Retarget(40h) = %+v, want Breached to stay", r)
	}
}

// TestWarnAt warns at 80 % of the target.
func TestWarnAt(t *testing.T) {
	t.Parallel()
	c := office(t)
	for _, tc := range []struct {
		start string
		share float64
		want  string
	}{
		{"2026-11-23 08:00", 0.8, "2026-11-23 11:12"},  // 3h12m
		{"2026-11-20 16:00", 0.8, "2026-11-23 10:12"},  // Fri 1h, Mon 2h12m
		{"2026-11-23 08:00", 1, "2026-11-23 12:00"},    // the deadline
		{"2026-11-23 08:00", 0, "2026-11-23 08:00"},    // at once
		{"2026-11-23 08:00", -1, "2026-11-23 08:00"},   // not positive: 0
		{"2026-11-23 08:00", 1.5, "2026-11-23 14:00"},  // past the deadline
		{"2026-11-23 08:00", 0.25, "2026-11-23 09:00"}, // 1h
	} {
		k := Start(4*time.Hour, when(t, c, tc.start))
		if got, want := k.WarnAt(c, tc.share), when(t, c, tc.want); !got.Equal(want) {
			t.Errorf("Start(4h, %s).WarnAt(%v) = %s, want %s", tc.start, tc.share, got, want)
		}
	}
	// After a pause the warning moves with the deadline; while paused there is none.
	k := Start(4*time.Hour, when(t, c, "2026-11-23 08:00")).Pause(when(t, c, "2026-11-23 09:00"), c)
	if got := k.WarnAt(c, 0.8); !got.IsZero() {
		t.Errorf("WarnAt(0.8) while paused = %s, want the zero Time", got)
	}
	k = k.Resume(when(t, c, "2026-11-23 10:00"), c)
	if got, want := k.WarnAt(c, 0.8), when(t, c, "2026-11-23 12:12"); !got.Equal(want) {
		t.Errorf("WarnAt(0.8) after a 1h pause = %s, want %s", got, want)
	}
}

// TestTransitions checks that transitions from states they do not apply
// to return the clock unchanged.
func TestTransitions(t *testing.T) {
	t.Parallel()
	c := office(t)
	t0 := when(t, c, "2026-11-23 08:00")
	t1 := when(t, c, "2026-11-23 09:00")
	t2 := when(t, c, "2026-11-23 10:00")
	running := Start(4*time.Hour, t0)
	paused := running.Pause(t1, c)
	stopped := running.Stop(t1, c)
	for _, tc := range []struct {
		name string
		got  Clock
		want Clock
	}{
		{"zero.Pause", Clock{}.Pause(t1, c), Clock{}},
		{"zero.Resume", Clock{}.Resume(t1, c), Clock{}},
		{"zero.Stop", Clock{}.Stop(t1, c), Clock{}},
		{"zero.Restart", Clock{}.Restart(t1, c), Clock{}},
		{"running.Resume", running.Resume(t1, c), running},
		{"running.Restart", running.Restart(t1, c), running},
		{"running.Pause(zero)", running.Pause(time.Time{}, c), running},
		{"paused.Pause", paused.Pause(t2, c), paused},
		{"paused.Restart", paused.Restart(t2, c), paused},
		{"stopped.Pause", stopped.Pause(t2, c), stopped},
		{"stopped.Resume", stopped.Resume(t2, c), stopped},
		{"stopped.Stop", stopped.Stop(t2, c), stopped},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %+v, want %+v", tc.name, tc.got, tc.want)
		}
	}
	// Stopping a paused clock ends the pause.
	got := paused.Stop(t2, c)
	want := Clock{Target: 4 * time.Hour, Started: t0, Elapsed: time.Hour, Paused: time.Hour, PausedBusiness: time.Hour, Stopped: t2}
	if got != want {
		t.Errorf("paused.Stop(%s) = %+v, want %+v", t2, got, want)
	}
	if got := Start(time.Hour, t0).Explain(c); got != "due Mon 23 Nov 09:00 = created Mon 23 Nov 08:00 + 1 business hour" {
		t.Errorf("Start(1h).Explain() = %q", got)
	}
	if got := Start(90*time.Minute, t0).ExplainAs(c, "replied"); got != "due Mon 23 Nov 09:30 = replied Mon 23 Nov 08:00 + 1h30m business time" {
		t.Errorf("Start(1h30m).ExplainAs(replied) = %q", got)
	}
	if got := Start(24*time.Hour, t0).Explain(Always()); got != "due Tue 24 Nov 07:00 = created Mon 23 Nov 07:00 + 24 hours" {
		t.Errorf("Start(24h).Explain(Always()) = %q", got) // UTC
	}
	if got := (Clock{}).Explain(c); got != "not started" {
		t.Errorf("Clock{}.Explain() = %q, want %q", got, "not started")
	}
}

// TestClockIdentity drives clocks through random transitions and checks
// the arithmetic the explanation states: Between(Started, Deadline) =
// Target − Carried + PausedBusiness, and Used(Deadline) = Target.
func TestClockIdentity(t *testing.T) {
	t.Parallel()
	c := mustNew(t, Spec{
		Name:     "lunch",
		TimeZone: "Europe/Stockholm",
		Hours:    weekdays(t, "08:00-12:00", "13:00-17:00"),
		Holidays: []string{"se"},
	})
	r := rand.New(rand.NewPCG(1, 2))
	checked := 0
	for range 2000 {
		at := when(t, c, "2026-03-20 07:00").Add(time.Duration(r.IntN(60*24*14)) * time.Minute)
		k := Start(time.Duration(1+r.IntN(40))*time.Hour, at)
		for range 1 + r.IntN(8) {
			at = at.Add(time.Duration(r.IntN(60*30)) * time.Minute)
			switch r.IntN(5) {
			case 0:
				k = k.Pause(at, c)
			case 1:
				k = k.Resume(at, c)
			case 2:
				k = k.Stop(at, c)
			case 3:
				k = k.Restart(at, c)
			case 4:
				k = k.Retarget(time.Duration(1+r.IntN(40)) * time.Hour)
			}
		}
		due := k.Deadline(c)
		if !k.Running || k.Elapsed >= k.Target || k.Breached {
			continue
		}
		checked++
		if got, want := c.Between(k.Started, due), k.Target-k.Carried+k.PausedBusiness; got != want {
			t.Fatalf("%+v: Between(Started, Deadline() = %s) = %v, want %v", k, due, got, want)
		}
		if got := k.Used(due, c); got != k.Target {
			t.Fatalf("%+v: Used(Deadline() = %s) = %v, want %v", k, due, got, k.Target)
		}
		if k.Overdue(due, c) || !k.Overdue(due.Add(time.Nanosecond), c) {
			t.Fatalf("%+v: Overdue(Deadline()) = %v, Overdue(+1ns) = %v, want false, true", k, k.Overdue(due, c), k.Overdue(due.Add(time.Nanosecond), c))
		}
	}
	if checked < 500 {
		t.Errorf("checked %d running clocks, want at least 500", checked)
	}
}
