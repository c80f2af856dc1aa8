package mailin

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// A catch-up of more than catchUpLogOver messages logs its progress every
// catchUpLogEvery, and a final line.
const (
	catchUpLogOver  = 300
	catchUpLogEvery = 10 * time.Second
)

// progress logs how a long catch-up advances: done, remaining, rate and
// ETA, from a ticker of its own, so that a slow batch cannot delay a line.
type progress struct {
	log   *slog.Logger
	total int
	start time.Time
	done  atomic.Int64
	stop  chan struct{}
	wg    sync.WaitGroup
}

// startProgress starts logging the capture of total messages every
// every; it returns nil (which logs nothing) for a short sync.
func startProgress(log *slog.Logger, total int, every time.Duration) *progress {
	if total <= catchUpLogOver {
		return nil
	}
	p := &progress{log: log, total: total, start: time.Now(), stop: make(chan struct{})}
	log.Info("mailin: catching up", "messages", total)
	p.wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.report()
			}
		}
	})
	return p
}

// add counts n more messages captured.
func (p *progress) add(n int) {
	if p != nil {
		p.done.Add(int64(n))
	}
}

func (p *progress) report() {
	done := p.done.Load()
	p.log.Info("mailin: catching up", progressAttrs(done, int64(p.total)-done, time.Since(p.start))...)
}

// progressAttrs are what a progress line says: done, remaining, the rate
// in messages per second and, once there is one, the ETA.
func progressAttrs(done, remaining int64, took time.Duration) []any {
	rate := float64(done) / took.Seconds()
	attrs := []any{"done", done, "remaining", remaining, "rate", roundRate(rate)}
	if rate > 0 {
		attrs = append(attrs, "eta", time.Duration(float64(remaining)/rate*float64(time.Second)).Round(time.Second))
	}
	return attrs
}

// end stops the ticker; after a complete catch-up (ok) it logs the final
// line.
func (p *progress) end(ok bool) {
	if p == nil {
		return
	}
	close(p.stop)
	p.wg.Wait()
	if !ok {
		return
	}
	took := time.Since(p.start)
	p.log.Info("mailin: caught up", "messages", p.total, "took", took.Round(time.Millisecond),
		"rate", roundRate(float64(p.total)/took.Seconds()))
}

// roundRate is a rate in messages per second, to one decimal.
func roundRate(r float64) float64 { return float64(int64(r*10+0.5)) / 10 }

// watchDrain logs, at every tick of p.ticks while a Drain runs, how many
// messages it has processed, how many are pending (in the whole desk),
// the rate and the ETA; the returned stop logs a final line if any
// progress line was logged. A drain shorter than one tick logs nothing.
func (p *Processor) watchDrain(ctx context.Context) (stop func()) {
	start, from := time.Now(), p.processed.Load()
	ticks, stopTicks := p.ticks()
	quit := make(chan struct{})
	var logged atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-quit:
				return
			case <-ticks:
			}
			done := p.processed.Load() - from
			if done == 0 {
				continue
			}
			var pending int64
			if err := p.pool.QueryRow(ctx, pendingSQL).Scan(&pending); err != nil {
				continue // the database fault is logged by Drain
			}
			p.log.Info("mailin: processing captured mail", progressAttrs(done, pending, time.Since(start))...)
			logged.Store(true)
		}
	})
	return func() {
		close(quit)
		wg.Wait()
		stopTicks()
		if logged.Load() {
			done, took := p.processed.Load()-from, time.Since(start)
			p.log.Info("mailin: processed captured mail", "messages", done, "took", took.Round(time.Millisecond),
				"rate", roundRate(float64(done)/took.Seconds()))
		}
	}
}

// pendingSQL counts captured mail not processed yet (an index-only scan
// of inbound_pending).
const pendingSQL = `SELECT count(*) FROM inbound WHERE status = 'pending'`

// progressTicks is the default Processor.ticks: every catchUpLogEvery.
func progressTicks() (<-chan time.Time, func()) {
	t := time.NewTicker(catchUpLogEvery)
	return t.C, t.Stop
}
