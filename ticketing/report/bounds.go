package report

import (
	"time"

	"github.com/deskgate/deskgate/ticketing/sla"
)

// bounds turns the backlog's age buckets and at-risk window into instants,
// so that the database compares instants and the calendar is walked once
// per bound, not once per ticket. Instants are whole microseconds, the
// database's precision.
type bounds struct {
	cal *sla.Calendar
	now time.Time
}

// business returns, for each bucket but the first, from the last (the
// oldest ages) to the second, the earliest creation instant whose business
// age at now is below the bucket's bound; the zero Time when no age reaches
// it. An age only shrinks as creation moves later.
func (b bounds) business(bs []bucket) []time.Time {
	return b.below(bs, func(t time.Time) time.Duration { return b.cal.Between(t, b.now) })
}

// wall is business for wall-clock ages.
func (b bounds) wall(bs []bucket) []time.Time {
	return b.below(bs, func(t time.Time) time.Duration { return b.now.Sub(t) })
}

func (b bounds) below(bs []bucket, age func(time.Time) time.Duration) []time.Time {
	out := make([]time.Time, 0, len(bs)-1)
	for i := len(bs) - 1; i > 0; i-- {
		t, _ := last(b.now, -1, func(t time.Time) bool { return age(t) < bs[i].from })
		out = append(out, t)
	}
	return out
}

// atRisk returns the latest deadline within risk of business time after
// now, or nil when every later deadline is.
func (b bounds) atRisk(risk time.Duration) *time.Time {
	t, ok := last(b.now, 1, func(t time.Time) bool { return b.cal.Between(b.now, t) <= risk })
	if !ok {
		return nil
	}
	return &t
}

// reach is how far last looks: past ten years in a row without working
// time, after which Between counts nothing more.
const reach = 40 * 366 * 24 * time.Hour

// last returns the last whole-microsecond instant, going from from towards
// the past (dir -1) or the future (dir 1), at which holds is true, holds
// being true at from's microsecond and, further on, false from some instant
// onwards. It returns the zero Time and false when holds is still true
// after reach.
func last(from time.Time, dir int64, holds func(time.Time) bool) (time.Time, bool) {
	from = from.Truncate(time.Microsecond)
	at := func(k int64) time.Time { return from.Add(time.Duration(dir*k) * time.Microsecond) }
	in, out := int64(0), int64(24*time.Hour/time.Microsecond)
	for holds(at(out)) {
		if out > int64(reach/time.Microsecond) {
			return time.Time{}, false
		}
		in, out = out, 2*out
	}
	for out-in > 1 {
		mid := in + (out-in)/2
		if holds(at(mid)) {
			in = mid
		} else {
			out = mid
		}
	}
	return at(in), true
}
