package ticketing

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/templates"
	"github.com/deskgate/deskgate/ticketing/command"
)

// digestReply is a message that answers a digest: it carries a valid
// token naming no ticket. It joins no ticket; a verified agent's commands
// in it name their tickets.
type digestReply struct {
	agent    Address // the sender's agent; zero when From is no agent's
	verified bool
	why      string // why it is not verified
}

// digestReplies finds the messages of the batch that answer a digest and
// verifies each as an agent's reply is verified: From is an agent whose
// address (or team address) the digest's token was issued to, and where
// required DMARC passes. The result is indexed like ins; nil for other
// messages.
func (d *Desk) digestReplies(ctx context.Context, tx pgx.Tx, ins []Inbound, toks []carried) ([]*digestReply, error) {
	out := make([]*digestReply, len(ins))
	var ids []int64
	for i := range ins {
		for _, c := range toks[i].valid {
			if c.Ticket == 0 {
				out[i] = &digestReply{}
				ids = append(ids, int64(c.Recipient))
			}
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, tokenAddressesSQL, ids)
	if err != nil {
		return nil, fmt.Errorf("ticketing: reading digest token recipients: %w", err)
	}
	addrs := map[int64]string{}
	var id int64
	var a string
	if _, err := pgx.ForEachRow(rows, []any{&id, &a}, func() error { addrs[id] = a; return nil }); err != nil {
		return nil, fmt.Errorf("ticketing: reading digest token recipients: %w", err)
	}
	for i, r := range out {
		if r == nil {
			continue
		}
		in := &ins[i]
		agent, ok := d.agentOf(in.From.Address)
		switch {
		case !ok:
			r.why = "the sender is not an agent"
		case in.Class != ClassHuman:
			r.agent, r.why = agent, fmt.Sprintf("%s (%s): commands are taken from people's mail only", in.Class, in.ClassReason)
		default:
			r.agent, r.why = agent, "the digest was sent to someone else"
			mine := d.notes.agentAddresses(agent.Address)
			for _, c := range toks[i].valid {
				if c.Ticket == 0 && slices.Contains(mine, addrs[int64(c.Recipient)]) {
					r.verified, r.why = true, ""
					break
				}
			}
			if r.verified && d.verify.RequireDMARC {
				if ok, why := d.dmarc(in); !ok {
					r.verified, r.why = false, why
				}
			}
		}
	}
	return out, nil
}

// seenDigestRepliesSQL finds replies to digests received before by their
// Message-IDs (through the primary key), with the capture handled.
const seenDigestRepliesSQL = `SELECT message_id, fingerprint, coalesce(inbound_id, 0) FROM digest_replies WHERE message_id = ANY($1)`

// recordDigestRepliesSQL records replies to digests received for the first
// time; one it does not return was recorded by another transaction.
const recordDigestRepliesSQL = `
INSERT INTO digest_replies (message_id, fingerprint, inbound_id)
SELECT id, fp, nullif(inbound, 0) FROM unnest($1::text[], $2::bytea[], $3::bigint[]) AS u (id, fp, inbound)
ON CONFLICT DO NOTHING
RETURNING message_id, fingerprint`

// repeatedDigestReplies records the batch's replies to digests (rs, indexed
// like ins) by Message-ID and content fingerprint (fps): what tells that
// two deliveries are the same message for ticket mail, whose messages row
// holds both, while a reply to a digest is stored in no ticket. It returns,
// indexed like ins, why each reply received before (in an earlier batch or
// earlier in this one) is a duplicate delivery; "" for the others. Receive
// has locked the batch's Message-IDs, so two processes handling copies of
// one reply decide one after the other. A reply without a Message-ID
// cannot be known again.
func repeatedDigestReplies(ctx context.Context, tx pgx.Tx, ins []Inbound, fps [][]byte, rs []*digestReply) ([]string, error) {
	dups := make([]string, len(ins))
	why := func(i int, first int64) string {
		s := "duplicate delivery of <" + ins[i].MessageID + ">, a reply to a digest"
		if first != 0 {
			s += fmt.Sprintf(" handled as inbound %d", first)
		} else {
			s += " handled before"
		}
		return s + ": nothing applied"
	}
	key := func(i int) string { return ins[i].MessageID + "\x00" + string(fps[i]) }
	inBatch := map[string]int{}
	var firsts []int
	var ids []string
	for i, r := range rs {
		if r == nil || ins[i].MessageID == "" {
			continue
		}
		if j, ok := inBatch[key(i)]; ok {
			dups[i] = why(i, ins[j].CaptureID)
			continue
		}
		inBatch[key(i)] = i
		firsts = append(firsts, i)
		ids = append(ids, ins[i].MessageID)
	}
	if len(firsts) == 0 {
		return dups, nil
	}
	rows, err := tx.Query(ctx, seenDigestRepliesSQL, ids)
	if err != nil {
		return nil, fmt.Errorf("ticketing: looking up replies to digests: %w", err)
	}
	seen := map[string]int64{}
	var id string
	var fp []byte
	var inbound int64
	if _, err := pgx.ForEachRow(rows, []any{&id, &fp, &inbound}, func() error { seen[id+"\x00"+string(fp)] = inbound; return nil }); err != nil {
		return nil, fmt.Errorf("ticketing: looking up replies to digests: %w", err)
	}
	var news []int
	var newIDs []string
	var newFPs [][]byte
	var captures []int64
	for _, i := range firsts {
		if first, ok := seen[key(i)]; ok {
			dups[i] = why(i, first)
			continue
		}
		news = append(news, i)
		newIDs, newFPs, captures = append(newIDs, ins[i].MessageID), append(newFPs, fps[i]), append(captures, ins[i].CaptureID)
	}
	if len(news) == 0 {
		return dups, nil
	}
	rows, err = tx.Query(ctx, recordDigestRepliesSQL, newIDs, newFPs, captures)
	if err != nil {
		return nil, fmt.Errorf("ticketing: recording replies to digests: %w", err)
	}
	recorded := map[string]bool{}
	if _, err := pgx.ForEachRow(rows, []any{&id, &fp}, func() error { recorded[id+"\x00"+string(fp)] = true; return nil }); err != nil {
		return nil, fmt.Errorf("ticketing: recording replies to digests: %w", err)
	}
	for _, i := range news {
		if !recorded[key(i)] {
			dups[i] = why(i, 0)
		}
	}
	return dups, nil
}

// lockTicketsSQL locks the tickets a reply to a digest changes, in id order.
const lockTicketsSQL = `SELECT id FROM tickets WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE`

// answerDigest applies the commands of a verified reply to a digest, all
// or none, each on the ticket it names, through the same functions as a
// reply about that ticket; it returns the notifications the changes cause
// and what became of the reply, for its inbound record. Commands with
// problems apply none, and the agent gets their digest again with each
// problem explained.
func (d *Desk) answerDigest(ctx context.Context, tx pgx.Tx, in *Inbound, r *digestReply, now time.Time) ([]notice, string, error) {
	p := command.ParseDigest(addedText(in))
	if len(p.Commands) == 0 && len(p.Errors) == 0 {
		return nil, "a reply to the digest of " + r.agent.Address + " without commands: nothing to do", nil
	}
	// The commands of each ticket, in the order the tickets first appear.
	var tickets []int64
	byTicket := map[int64][]command.Command{}
	for _, c := range p.Commands {
		if _, ok := byTicket[c.Ticket]; !ok {
			tickets = append(tickets, c.Ticket)
		}
		byTicket[c.Ticket] = append(byTicket[c.Ticket], c)
	}
	var problems []commandProblem
	for _, e := range p.Errors {
		problems = append(problems, d.checkCommands(command.Parsed{Errors: []command.Error{e}}, nil)...)
	}
	for _, id := range tickets {
		cs := byTicket[id]
		h, err := holding(ctx, tx, id)
		if errors.Is(err, ErrNotFound) {
			for _, c := range cs {
				problems = append(problems, commandProblem{templates.CommandError{Line: c.Line, Text: c.Raw,
					Problem: templates.ProblemUnknownTicket, Value: strconv.FormatInt(id, 10)},
					fmt.Sprintf("there is no ticket #%d", id)})
			}
			continue
		}
		if err != nil {
			return nil, "", err
		}
		mergeable, err := mergeTargets(ctx, tx, id, cs)
		if err != nil {
			return nil, "", err
		}
		parsed := command.Parsed{Commands: cs}
		problems = append(problems, d.checkCommands(parsed, mergeable)...)
		problems = append(problems, d.refusals(parsed, r.agent, h, mergeable)...)
	}
	var ns []notice
	if len(problems) == 0 {
		err := pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error {
			// Lock the tickets in one order, as concurrent batches may
			// touch several of them too.
			if _, err := sp.Exec(ctx, lockTicketsSQL, tickets); err != nil {
				return err
			}
			for _, id := range tickets {
				more, err := d.applyCommands(ctx, sp, id, in, r.agent, byTicket[id], "by email, in a reply to the digest", now)
				if err != nil {
					return err
				}
				ns = append(ns, more...)
				if _, err := sp.Exec(ctx, `INSERT INTO events (ticket_id, inbound_id, actor, kind, detail) VALUES ($1, $2, $3, 'agent.digest_reply', $4)`,
					id, nullID(in.CaptureID), r.agent.Address, jsonOf(map[string]any{"commands": commandNames(byTicket[id])})); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			// The lifecycle or a merge refused one command as it applied.
			ns = nil
			problems = []commandProblem{{templates.CommandError{Text: err.Error(), Problem: "refused"}, err.Error()}}
		}
	}
	if len(problems) > 0 {
		if _, err := d.queueDigest(ctx, tx, d.digestAgent(r.agent.Address), "", now, problems); err != nil {
			return nil, "", err
		}
		var why []string
		for _, p := range problems {
			why = append(why, p.Detail)
		}
		return nil, "a reply to the digest of " + r.agent.Address + ": commands not applied: " + strings.Join(why, "; "), nil
	}
	var names []string
	for _, id := range tickets {
		names = append(names, d.tags.Tag(id))
	}
	return ns, "a reply to the digest of " + r.agent.Address + ": commands applied to " + strings.Join(names, ", "), nil
}
