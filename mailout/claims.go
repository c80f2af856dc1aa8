package mailout

import (
	"context"
	"time"

	"github.com/deskgate/deskgate/outage"
	"github.com/deskgate/deskgate/owner"
	"github.com/deskgate/deskgate/ticketing"
)

// How a Sender keeps its claims short: it renews them every third of the
// Lease while it runs, so that claims of a process that dies come back
// within one Lease; it takes over at once the claims of this host's dead
// processes (at start, and every Lease); and it hands back what it holds
// when it stops.

// handBackTimeout bounds the statement that hands claims back at shutdown.
const handBackTimeout = 3 * time.Second

// hold records that every claim lasts until t at least.
func (s *Sender) hold(t time.Time) {
	s.heldBy.Store(t.UnixNano())
	for _, c := range s.clients {
		c.holdUntil(t)
	}
}

// heldUntil returns when the claims end as last renewed.
func (s *Sender) heldUntil() time.Time { return time.Unix(0, s.heldBy.Load()) }

// keep renews the claims every third of the Lease and looks for claims of
// dead processes every Lease, until ctx is done.
func (s *Sender) keep(ctx context.Context) {
	t := time.NewTicker(s.cfg.Lease / 3)
	defer t.Stop()
	for i := 1; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.renew(ctx)
		if i%3 == 0 {
			s.takeOver(ctx)
		}
	}
}

// renew extends every claim of this Sender to a Lease from now.
func (s *Sender) renew(ctx context.Context) {
	start := time.Now()
	rctx, cancel := context.WithTimeout(ctx, s.cfg.Lease/3)
	_, err := ticketing.RenewClaims(rctx, s.pool, s.cfg.Owner, s.cfg.Lease)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			s.db.Fail("mailout: renewing claims failed", err, "claims_end", s.heldUntil())
		}
		return
	}
	s.db.OK("mailout: database reachable again")
	s.hold(start.Add(s.cfg.Lease))
}

// takeOver hands back the claims of this host's processes that are gone
// (owner.Dead), saying so: their mail may have been sent already and is
// sent again.
func (s *Sender) takeOver(ctx context.Context) {
	owners, err := ticketing.ClaimOwners(ctx, s.pool)
	if err != nil {
		if ctx.Err() == nil {
			s.db.Fail("mailout: looking for claims of dead processes failed", err)
		}
		return
	}
	var dead []string
	for o := range owners {
		if o != s.cfg.Owner && owner.Dead(o) {
			dead = append(dead, o)
		}
	}
	if len(dead) == 0 {
		return
	}
	if _, err := ticketing.ReleaseClaims(ctx, s.pool, dead, false); err != nil {
		if ctx.Err() == nil {
			s.db.Fail("mailout: taking over claims of dead processes failed", err)
		}
		return
	}
	for _, o := range dead {
		s.log.Info("mailout: taking over the claimed emails of a dead process; they may be sent again",
			"emails", owners[o], "process", o)
	}
}

// handBack releases, at the end of Run, every claim this Sender still
// holds: one whose claim committed while shutdown was cancelling it, or
// whose result could not be recorded. It costs them no attempt.
func (s *Sender) handBack(ctx context.Context) {
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), handBackTimeout)
	defer cancel()
	n, err := ticketing.ReleaseClaims(hctx, s.pool, []string{s.cfg.Owner}, true)
	switch {
	case err != nil:
		s.log.Warn("mailout: handing back claims at shutdown failed; they wait for their lease", "source", outage.Database,
			"err", err, "lease", s.cfg.Lease)
	case n > 0:
		s.log.Info("mailout: handed back claimed emails at shutdown", "emails", n)
	}
}
