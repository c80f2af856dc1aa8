package config

import "time"

// Retention says what deskgate removes of old tickets; off by default.
type Retention struct {
	// ClosedTicketsAfter removes the raw bytes of the captured mail and the
	// content of the attachments of tickets closed this long ago, keeping
	// the tickets, their text and events and what recognises mail fetched
	// again. 0 (the default): keep everything.
	ClosedTicketsAfter time.Duration `yaml:"closed_tickets_after"`
}

// minRetention is the shortest retention: a day, so that a mistyped 24m
// cannot empty yesterday's mail.
const minRetention = 24 * time.Hour

func (v validator) retention(r *Retention) {
	if r.ClosedTicketsAfter != 0 {
		v.minDuration("retention.closed_tickets_after", r.ClosedTicketsAfter, minRetention)
	}
}
