package sla

import (
	"testing"
	"time"
)

// fuzzZones include a 30-minute DST shift (Lord Howe) and DST changes at
// midnight (Santiago, Havana).
var fuzzZones = []string{"Europe/Stockholm", "Asia/Shanghai", "UTC", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "America/Havana"}

// fuzzSpec builds a Spec from fuzz bytes: per weekday two spans whose ends
// are whole multiples of 5 minutes, and a few Closed and Open dates in
// 2025-2027, as far as the bytes go.
func fuzzSpec(hours []byte, zone, flags uint8) Spec {
	s := Spec{Name: "fuzz", TimeZone: fuzzZones[int(zone)%len(fuzzZones)], Hours: map[time.Weekday][]Span{}}
	for wd := range 7 {
		for j := range 2 {
			i := (wd*2 + j) * 2
			if i+1 >= len(hours) {
				break
			}
			a := time.Duration(min(int(hours[i])*6, 288)) * 5 * time.Minute
			b := time.Duration(min(int(hours[i+1])*6, 288)) * 5 * time.Minute
			if a < b {
				s.Hours[time.Weekday(wd)] = append(s.Hours[time.Weekday(wd)], Span{a, b})
			}
		}
	}
	if flags&1 != 0 {
		s.Holidays = []string{"se"}
	}
	if flags&2 != 0 {
		s.Holidays = append(s.Holidays, "us")
	}
	base := civil{2025, time.January, 1}
	for i := 28; i+1 < len(hours) && i < 40; i += 2 {
		d := base
		for range int(hours[i])<<2 | int(hours[i+1])&3 {
			d = d.next()
		}
		if flags&4 != 0 {
			s.Open = append(s.Open, d.String())
		} else {
			s.Closed = append(s.Closed, d.String())
		}
	}
	return s
}

// FuzzCalendar builds calendars from random spans, zones and dates and
// checks that Add and Between agree: Between(t, Add(t, d)) == d, Add is
// monotonic in t and d, NextOpen is open, Between adds up, nothing loops.
func FuzzCalendar(f *testing.F) {
	f.Add([]byte{16, 34, 0, 0, 16, 34, 0, 0, 16, 34, 0, 0, 16, 34, 0, 0, 16, 34, 0, 0, 16, 34, 0, 0, 16, 34}, uint8(0), uint8(1), int64(1_795_000_000), int64(4*3600), int64(3600))
	f.Add([]byte{0, 48, 0, 0, 16, 24, 26, 34}, uint8(5), uint8(6), int64(1_774_738_800), int64(23*3600), int64(86400))
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40}, uint8(4), uint8(7), int64(-1), int64(1), int64(7))
	f.Fuzz(func(t *testing.T, hours []byte, zone, flags uint8, at, d, step int64) {
		c, err := New(fuzzSpec(hours, zone, flags))
		if err != nil {
			return // no weekday hours, or spans that overlap
		}
		// Times from 2000 to 2150, durations up to 2,000 hours.
		const years150 = 150 * 365 * 86400
		t0 := time.Unix(946_684_800+(at%years150+years150)%years150, 0).Add(time.Duration(uint64(step) % uint64(time.Second)))
		dd := time.Duration(uint64(d) % uint64(2000*time.Hour))
		t1 := t0.Add(time.Duration(uint64(step) % uint64(30*24*time.Hour)))

		r0 := c.Add(t0, dd)
		if r0.IsZero() {
			t.Fatalf("Add(%s, %v) = zero Time, want a time (the calendar has weekday hours)", t0, dd)
		}
		if r0.Before(t0) {
			t.Fatalf("Add(%s, %v) = %s, want not before it", t0, dd, r0)
		}
		if got := c.Between(t0, r0); got != dd {
			t.Fatalf("Between(%s, Add(%s, %v) = %s) = %v, want %v", t0, t0, dd, r0, got, dd)
		}
		if r1 := c.Add(t1, dd); r1.Before(r0) {
			t.Fatalf("Add(%s, %v) = %s, before Add(%s, %v) = %s", t1, dd, r1, t0, dd, r0)
		}
		if r := c.Add(t0, dd/2); r.After(r0) {
			t.Fatalf("Add(%s, %v) = %s, after Add(%s, %v) = %s", t0, dd/2, r, t0, dd, r0)
		}
		n := c.NextOpen(t0)
		if n.Before(t0) || !c.IsOpen(n) || c.Between(t0, n) != 0 {
			t.Fatalf("NextOpen(%s) = %s: before it %v, IsOpen %v, Between %v; want not before, open, 0", t0, n, n.Before(t0), c.IsOpen(n), c.Between(t0, n))
		}
		if got := c.IsOpen(t0); got != n.Equal(t0) {
			t.Fatalf("IsOpen(%s) = %v, NextOpen = %s", t0, got, n)
		}
		if dd > 0 && c.IsOpen(t0) && !r0.After(t0) {
			t.Fatalf("Add(%s, %v) = %s, want after an open t", t0, dd, r0)
		}
		a, b := c.Between(t0, t1), c.Between(t1, r0.Add(time.Hour))
		if ab := c.Between(t0, r0.Add(time.Hour)); t1.Before(r0.Add(time.Hour)) && a+b != ab {
			t.Fatalf("Between(%s, %s) + Between(%s, %s) = %v + %v, want Between(%s, %s) = %v", t0, t1, t1, r0.Add(time.Hour), a, b, t0, r0.Add(time.Hour), ab)
		}
	})
}
