package ticketing

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNoAgent is returned for a reply or note written without an agent.
var ErrNoAgent = errors.New("a reply or note is written by an agent: name one")

// Post adds agent's words to ticket number, as the agent's email reply
// would: a public reply (note false) is relayed to the requester and Cc
// with files attached and stops the response clocks; a note stays
// internal. It returns the stored message's id, ErrNotFound, or
// ErrForbidden for a ticket outside the agent's teams.
func (d *Desk) Post(ctx context.Context, db Beginner, number int64, agent, text string, note bool, files []Attachment) (int64, error) {
	if agent == "" {
		return 0, ErrNoAgent
	}
	who, err := d.actor(agent)
	if err != nil {
		return 0, err
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return 0, &InvalidError{Fields: []FieldError{{Field: "text", Message: "empty"}}}
	}
	var msgID int64
	err = pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		// As in Receive, whose statements these are: they look rows up by
		// key, putting back removed file content among them.
		if _, err := tx.Exec(ctx, KeyLookupsSQL); err != nil {
			return fmt.Errorf("ticketing: posting to ticket %d: %w", number, err)
		}
		if _, err := d.lockTicket(ctx, tx, number, who); err != nil {
			return err
		}
		var subject string
		if err := tx.QueryRow(ctx, `SELECT subject FROM tickets WHERE id = $1`, number).Scan(&subject); err != nil {
			return fmt.Errorf("ticketing: reading ticket %d: %w", number, err)
		}
		now := time.Now()
		in := &Inbound{From: who, Subject: "Re: " + subject, Text: text, NewText: text, Class: ClassHuman,
			Attachments: files, Date: now}
		ins := []Inbound{*in}
		sums := attachmentSums(ins)
		w := &writes{}
		var rows messageRows
		rows.add(w, number, in, fingerprint(in, sums[0]), "written by "+who.Address+" through the API or CLI", false)
		ids, err := rows.insert(ctx, tx)
		if err == nil {
			err = w.run(ctx, tx, nil)
		}
		if err != nil {
			return fmt.Errorf("ticketing: storing the message: %w", err)
		}
		msgID = ids[0]
		if err := storeAttachments(ctx, tx, ins, sums, []int64{msgID}); err != nil {
			return err
		}
		reply, kind := text, "reply"
		if note {
			reply, kind = "", "note"
		}
		ns, err := d.agentPost(ctx, tx, number, msgID, in, who, reply, note, []string{kind}, now)
		if err != nil {
			return err
		}
		return d.notify(ctx, tx, ns, nil)
	})
	return msgID, err
}
