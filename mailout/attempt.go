package mailout

import (
	"context"
	"errors"
	"fmt"
	"net/textproto"
	"slices"
	"strings"
	"time"

	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/token"
)

// attempt is one delivery attempt of a notification: what became of each
// of its recipients so far, over one or more SMTP transactions.
type attempt struct {
	n        ticketing.Notification
	reply    string   // the last accepted transaction's reply
	accepted []string // lower-cased, in this attempt
	refused  []refusal
	later    []refusal // to try in a later attempt
	// failure is the error that ended the attempt for the recipients not
	// reached, failedFor of them (for good; else they are in later).
	failure   string
	failedFor int
	logged    bool // the Recipient's delivery was stored with the progress
	stored    int  // accepted[:stored] were stored with the progress
	compact   int  // the smaller version was adopted in this attempt
}

// deliverOne composes and sends n, to the recipients no earlier attempt
// settled, in transactions of at most MaxRecipients: more when the server
// takes fewer (452), each under the same Message-ID. A recipient refused
// for good is settled alone; one refused for now waits for the next
// attempt, which goes to it and the others not yet reached only. It
// returns the result and the error that ended the attempt, if any.
func (s *Sender) deliverOne(ctx context.Context, c *client, n ticketing.Notification) (ticketing.SendResult, error) {
	data, env, err := compose(n, s.cfg.Compose)
	if err != nil {
		return s.fail(n, "not sent: "+flatten(err.Error())), err
	}
	a := &attempt{n: n}
	settled := make(map[string]bool, len(n.Accepted)+len(n.Refused))
	for _, r := range n.Accepted {
		settled[r] = true
	}
	for _, f := range n.Refused {
		settled[f.Address] = true
	}
	pending := slices.DeleteFunc(slices.Clone(env.rcpts), func(r string) bool { return settled[strings.ToLower(r)] })
	var txErr error
	for len(pending) > 0 {
		chunk := pending[:min(len(pending), s.cfg.MaxRecipients)]
		t, err := c.send(ctx, env.from.Address, chunk, data)
		s.countReplies(t, err)
		if err != nil && a.n.Compact == 0 && isSizeRefusal(err) {
			if small, smallData, ok := s.smaller(a.n, c.sizeLimit(), len(data)); ok {
				s.log.Warn("mailout: refused for its size; sending the smaller version", "id", n.ID, "ticket", n.TicketID,
					"bytes", len(data), "smaller", len(smallData), "reply", token.Redact(replyOf(err)))
				a.n, data, a.compact = small, smallData, small.Compact
				continue
			}
		}
		if err != nil && t != nil && len(t.refused) > 0 {
			// The server hung up among the recipients (Postfix does after
			// too many errors): its refusals are final, and the others go
			// on in a new connection without them. Each round settles at
			// least one recipient, so this ends.
			a.refused = append(a.refused, t.refused...)
			for _, f := range t.refused {
				settled[strings.ToLower(f.addr)] = true
			}
			pending = slices.DeleteFunc(pending, func(r string) bool { return settled[strings.ToLower(r)] })
			continue
		}
		if err != nil {
			txErr = err
			// The error is the transaction's, not any one recipient's:
			// nobody not yet reached is settled (or suppressed) by it.
			result, reply := classify(err)
			a.failure = reply
			if result == ticketing.ResultFailed {
				a.failedFor = len(pending)
			} else {
				for _, r := range pending {
					a.later = append(a.later, refusal{addr: r, reply: reply})
				}
			}
			break
		}
		pending = pending[len(chunk):]
		for _, r := range t.accepted {
			a.accepted = append(a.accepted, strings.ToLower(r))
		}
		a.refused = append(a.refused, t.refused...)
		a.later = append(a.later, t.deferred...)
		if t.reply != "" {
			a.reply = t.reply
		}
		if len(t.accepted) == 0 {
			// Not even one recipient more fits: the rest waits.
			for _, r := range t.unsent {
				a.later = append(a.later, refusal{addr: r, reply: angle(r) + " not tried: the server's recipient limit"})
			}
		} else {
			pending = append(slices.Clone(t.unsent), pending...)
		}
		if len(pending) > 0 && len(t.accepted) > 0 {
			s.progress(ctx, a)
		}
	}
	return s.outcome(a), txErr
}

// countReplies counts the server's replies to one transaction: to DATA,
// to each recipient it refused, and the error that ended it.
func (s *Sender) countReplies(t *transaction, err error) {
	m := s.cfg.Metrics
	if m == nil {
		return
	}
	if t != nil {
		if t.reply != "" {
			m.SMTPReply(t.reply)
		}
		for _, f := range slices.Concat(t.refused, t.deferred) {
			_, reply, _ := strings.Cut(f.reply, " ") // after "<addr> "
			m.SMTPReply(reply)
		}
	}
	if err != nil {
		reply := "" // none: a network or TLS failure
		var te *textproto.Error
		if errors.As(err, &te) {
			reply = fmt.Sprintf("%03d %s", te.Code, te.Msg)
		}
		m.SMTPReply(reply)
	}
}

// progress stores the recipients a settled so far, before its next
// transaction (see ticketing.RecordProgress). A failure is only logged:
// the attempt goes on, and a crash would send the stored part again.
func (s *Sender) progress(ctx context.Context, a *attempt) {
	r := a.result()
	r.Accepted = a.accepted[a.stored:]
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := ticketing.RecordProgress(rctx, s.pool, s.cfg.Owner, r); err != nil {
		s.db.Fail("mailout: recording delivery progress failed", err, "id", a.n.ID)
		return
	}
	a.logged = a.logged || r.Delivered
	a.stored = len(a.accepted)
}

// result is a's result so far, without its outcome.
func (a *attempt) result() ticketing.SendResult {
	r := ticketing.SendResult{ID: a.n.ID, Attempt: a.n.Attempts, Reply: a.summary(), Compact: a.compact}
	for _, f := range a.refused {
		r.Refused = append(r.Refused, ticketing.Refusal{Address: strings.ToLower(f.addr), Reply: f.reply})
	}
	r.Delivered = !a.logged && a.n.Recipient != "" && slices.Contains(a.accepted, a.n.Recipient)
	return r
}

// summary is the reply to record: the server's last acceptance, who was
// refused (in earlier attempts too), the error that ended the attempt, and
// who waits.
func (a *attempt) summary() string {
	var parts []string
	if a.reply != "" {
		parts = append(parts, a.reply)
	}
	var refused []string
	for _, f := range a.n.Refused {
		refused = append(refused, f.Reply)
	}
	for _, f := range a.refused {
		refused = append(refused, f.reply)
	}
	if len(refused) > 0 {
		parts = append(parts, "refused: "+strings.Join(refused, "; "))
	}
	switch {
	case a.failure != "" && len(parts) == 0:
		parts = append(parts, a.failure)
	case a.failedFor > 0:
		parts = append(parts, fmt.Sprintf("failed for the other %d recipients: %s", a.failedFor, a.failure))
	case a.failure != "":
		parts = append(parts, fmt.Sprintf("deferred for the other %d recipients: %s", len(a.later), a.failure))
	case len(a.later) > 0:
		var later []string
		for _, f := range a.later {
			later = append(later, f.reply)
		}
		parts = append(parts, "deferred: "+strings.Join(later, "; "))
	}
	return flatten(strings.Join(parts, "; "))
}

// outcome decides a's result. The email is sent once its Recipient was
// accepted (the others' refusals are kept in the reply and per recipient),
// failed once its Recipient was refused for good, and retried while
// anyone is still to be tried.
func (s *Sender) outcome(a *attempt) ticketing.SendResult {
	r := a.result()
	n := a.n
	delivered := slices.Contains(a.accepted, n.Recipient) || slices.Contains(n.Accepted, n.Recipient)
	if n.Recipient == "" {
		delivered = len(a.accepted)+len(n.Accepted) > 0
	}
	if len(a.refused) > 0 {
		s.log.Warn("mailout: recipients refused", "id", n.ID, "ticket", n.TicketID, "message_id", token.Redact(n.MessageID),
			"refused", len(a.refused), "reply", token.Redact(r.Reply))
	}
	if len(a.later) > 0 {
		if at, ok := s.retryAt(n); ok {
			r.Result, r.Retry, r.Accepted = ticketing.ResultRetry, at, a.accepted[a.stored:]
			return r
		}
		r.Reply = giveUp(n, r.Reply)
	}
	if !delivered {
		r.Result = ticketing.ResultFailed
		s.logFailure(n, r.Reply)
		return r
	}
	r.Result = ticketing.ResultSent
	s.log.Debug("mailout: sent", "id", n.ID, "ticket", n.TicketID, "message_id", token.Redact(n.MessageID), "attempts", n.Attempts)
	return r
}
