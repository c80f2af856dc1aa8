package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// chaosReport collects one scenario's figures and failed checks and prints
// each as it comes.
type chaosReport struct {
	name     string
	failures []string
}

func (rep *chaosReport) figure(format string, args ...any) {
	fmt.Printf("  %-16s %s\n", rep.name, fmt.Sprintf(format, args...))
}

// check records a failure unless ok, and prints the check either way.
func (rep *chaosReport) check(ok bool, format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	mark := "ok  "
	if !ok {
		mark = "FAIL"
		rep.failures = append(rep.failures, line)
	}
	fmt.Printf("  %-16s %s %s\n", rep.name, mark, line)
}

// finish stops serve with SIGTERM, checks that the stop logged nothing
// above INFO, and checks the end state (see checkOutcome).
func (r *chaosRig) finish(rep *chaosReport) map[string][]time.Time {
	offset := r.logSize()
	if err := r.stopServe(); err != nil {
		rep.check(false, "serve stopped by SIGTERM: %v", err)
	}
	warns, errs := logLevels(r.logSince(offset))
	rep.check(warns+errs == 0, "a normal stop logged nothing above INFO: %d warnings, %d errors", warns, errs)
	return r.checkOutcome(rep)
}

// waitProgress waits until serve processes a message (ticketing or
// attaching captured mail, or sending an acknowledgement) after since, and
// returns how long after since that was; false if limit passed first or
// serve exited. It polls cheaply: rows from the first unfinished one on.
func (r *chaosRig) waitProgress(since time.Time, limit time.Duration) (time.Duration, bool) {
	ctx := context.Background()
	var fromInbound, fromOutbox int64
	err := r.pool.QueryRow(ctx, `SELECT coalesce((SELECT min(id) FROM inbound WHERE status = 'pending'), (SELECT max(id) + 1 FROM inbound), 0),
		coalesce((SELECT min(id) FROM outbox WHERE status = 'queued'), (SELECT max(id) + 1 FROM outbox), 0)`).Scan(&fromInbound, &fromOutbox)
	if err != nil {
		r.t.Fatal(err)
	}
	for {
		var done bool
		err := r.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM inbound WHERE id >= $2 AND processed_at > $1)
			OR EXISTS (SELECT 1 FROM outbox WHERE id >= $3 AND sent_at > $1)`, since, fromInbound, fromOutbox).Scan(&done)
		if err == nil && done {
			return time.Since(since), true
		}
		if exited, _ := r.serveExited(); exited || time.Since(since) > limit {
			return time.Since(since), false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// settle waits until every appended message is captured and processed
// and every acknowledgement queued is sent and received, restarting serve
// if it exited (as a service manager would; restarts are returned). It
// returns false if limit passed first.
func (r *chaosRig) settle(rep *chaosReport, limit time.Duration) (time.Duration, bool) {
	ctx := context.Background()
	start := time.Now()
	for {
		var captured, pending, queued, sent int
		err := r.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM inbound), (SELECT count(*) FROM inbound WHERE status = 'pending'),
			(SELECT count(*) FROM outbox WHERE status = 'queued'), (SELECT count(*) FROM outbox WHERE status = 'sent')`).Scan(&captured, &pending, &queued, &sent)
		if err == nil && captured >= r.appended() && pending == 0 && queued == 0 && r.distinctReceived() >= sent {
			return time.Since(start), true
		}
		if exited, err := r.serveExited(); exited {
			rep.check(false, "serve exited by itself (%v); restarted", err)
			r.serve = nil
			r.startServe()
		}
		if time.Since(start) > limit {
			rep.check(false, "not settled after %v: %d of %d messages captured, %d pending, %d acknowledgements queued (err %v)",
				limit, captured, r.appended(), pending, queued, err)
			return time.Since(start), false
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func (r *chaosRig) distinctReceived() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.received)
}

// checkOutcome checks the scenario's end state against what was appended:
// every message captured exactly once (by UIDVALIDITY and UID, under any of
// the keys it had, and by Message-ID), nothing
// pending or quarantined, one ticket per conversation, one acknowledgement
// per ticket, each received; it returns the receptions of each
// acknowledgement's Message-ID, for counting duplicates.
func (r *chaosRig) checkOutcome(rep *chaosReport) map[string][]time.Time {
	ctx := context.Background()
	type row struct {
		uidvalidity, uid int64
		messageID        string
		status           string
		ticket           *int64
	}
	rows, err := r.pool.Query(ctx, `SELECT uidvalidity, uid, message_id, status, ticket_id FROM inbound WHERE mailbox = 'support'`)
	if err != nil {
		r.t.Fatal(err)
	}
	byKey, byID := map[inboxKey][]row{}, map[string]int{}
	statuses := map[string]int{}
	for rows.Next() {
		var x row
		if err := rows.Scan(&x.uidvalidity, &x.uid, &x.messageID, &x.status, &x.ticket); err != nil {
			r.t.Fatal(err)
		}
		k := inboxKey{uint32(x.uidvalidity), uint32(x.uid)}
		byKey[k] = append(byKey[k], x)
		byID[strings.Trim(x.messageID, "<>")]++
		statuses[x.status]++
	}
	if err := rows.Err(); err != nil {
		r.t.Fatal(err)
	}
	r.mu.Lock()
	mail := slices.Clone(r.mail)
	received := map[string][]time.Time{}
	for id, ts := range r.received {
		received[id] = ts
	}
	r.mu.Unlock()

	var missing, twice, wrongID, unfinished, split int
	ticketOf := map[int]int64{} // conversation root -> ticket
	for _, m := range mail {
		var got []row
		for _, k := range m.keys {
			got = append(got, byKey[k]...)
		}
		id := strings.Trim(r.gen.MessageID(m.i), "<>")
		switch {
		case len(got) == 0:
			missing++
			continue
		case len(got) > 1 || byID[id] > 1:
			twice++
		}
		if strings.Trim(got[0].messageID, "<>") != id {
			wrongID++
		}
		if got[0].status != "ticketed" && got[0].status != "attached" || got[0].ticket == nil {
			unfinished++
			continue
		}
		if t, ok := ticketOf[m.root]; ok && t != *got[0].ticket {
			split++
		}
		if m.i == m.root {
			ticketOf[m.root] = *got[0].ticket
		}
	}
	total := 0
	for _, n := range statuses {
		total += n
	}
	rep.check(missing == 0 && twice == 0 && wrongID == 0 && total == len(mail),
		"captured exactly once: %d appended, %d inbound rows, %d missing, %d twice, %d under another Message-ID", len(mail), total, missing, twice, wrongID)
	rep.check(unfinished == 0, "nothing lost: %d ticketed, %d attached, %d pending, %d quarantined, %d ignored",
		statuses["ticketed"], statuses["attached"], statuses["pending"], statuses["quarantined"], statuses["ignored"])

	roots := 0
	distinct := map[int64]bool{}
	for _, m := range mail {
		if m.i == m.root {
			roots++
			if t, ok := ticketOf[m.root]; ok {
				distinct[t] = true
			}
		}
	}
	var tickets int
	if err := r.pool.QueryRow(ctx, `SELECT count(*) FROM tickets`).Scan(&tickets); err != nil {
		r.t.Fatal(err)
	}
	rep.check(tickets == roots && len(distinct) == roots && split == 0,
		"one ticket per conversation: %d conversations, %d tickets, %d replies on another ticket", roots, tickets, split)

	acks := map[int64][]string{}
	orows, err := r.pool.Query(ctx, `SELECT ticket_id, message_id, status, created_at FROM outbox WHERE event = 'ticket-received'`)
	if err != nil {
		r.t.Fatal(err)
	}
	var notSent int
	queuedAt := map[string]time.Time{}
	for orows.Next() {
		var ticket int64
		var id, status string
		var created time.Time
		if err := orows.Scan(&ticket, &id, &status, &created); err != nil {
			r.t.Fatal(err)
		}
		id = strings.Trim(id, "<>")
		acks[ticket] = append(acks[ticket], id)
		queuedAt[id] = created
		if status != "sent" {
			notSent++
		}
	}
	if err := orows.Err(); err != nil {
		r.t.Fatal(err)
	}
	var notOne, undelivered, copies, extra int
	var delays []time.Duration
	ours := map[string]bool{}
	for t := range distinct {
		if len(acks[t]) != 1 {
			notOne++
		}
	}
	for _, ids := range acks {
		for _, id := range ids {
			ours[id] = true
			if n := len(received[id]); n == 0 {
				undelivered++
			} else {
				copies += n - 1
				delays = append(delays, received[id][0].Sub(queuedAt[id]))
			}
		}
	}
	for id := range received {
		if !ours[id] {
			extra++
		}
	}
	rep.check(notOne == 0 && len(acks) == tickets, "one acknowledgement per ticket: %d tickets, %d with acknowledgements, %d without exactly one", tickets, len(acks), notOne)
	rep.check(undelivered == 0 && notSent == 0 && extra == 0,
		"every acknowledgement delivered with its Message-ID: %d not received, %d not recorded as sent, %d received under unknown Message-IDs", undelivered, notSent, extra)
	rep.figure("duplicate acknowledgements received: %d", copies)
	if len(delays) > 0 {
		slices.Sort(delays)
		rep.figure("acknowledgement queued to received: median %.1fs, p99 %.1fs, max %.1fs",
			delays[len(delays)/2].Seconds(), delays[len(delays)*99/100].Seconds(), delays[len(delays)-1].Seconds())
	}
	return received
}

// stats returns the maximum and mean of ds.
func stats(ds []time.Duration) (maxD, mean time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
		maxD = max(maxD, d)
	}
	return maxD, sum / time.Duration(len(ds))
}
