package main

import (
	"bytes"
	"context"
	"fmt"
	"net/mail"
	"testing"
)

// TestOutOfOfficeLoopEndToEnd runs the loop of issue 10 through IMAP, serve
// and SMTP with the default limits: the requester's and the agent's
// out-of-office replies, without automatic headers and in words the content
// score does not know, each answer every mail the desk sends them. The
// conversation is paused and the team (Maja alone) is told once.
func TestOutOfOfficeLoopEndToEnd(t *testing.T) {
	pool := useDatabase(t)
	ctx := context.Background()
	imap, out, served := startDesk(t, pool)
	deliver := deliverer(t, pool, imap, served)
	bots := map[string]string{"karin@kund.example": "Karin Ek", "maja@desk.example": "Maja Lind"}
	deliver("From: Karin Ek <karin@kund.example>\r\nTo: help@desk.example\r\nSubject: Printer on floor 2\r\n" +
		"Message-ID: <req-1@kund.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe printer on floor 2 does not print.\r\n")
	seen, rounds, n := 0, 0, 0
	for ; rounds < 60; rounds++ {
		var replies []string
		sent := out.Messages()
		for _, m := range sent[seen:] {
			name, bot := bots[m.To[0]]
			if !bot {
				continue
			}
			msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
			if err != nil {
				t.Fatal(err)
			}
			replies = append(replies, fmt.Sprintf("From: %s <%s>\r\nTo: %s\r\nSubject: Away\r\nMessage-ID: <ooo-%d@mail.example>\r\n"+
				"In-Reply-To: %s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBack on Monday.\r\n",
				name, m.To[0], msg.Header.Get("Reply-To"), n, msg.Header.Get("Message-ID")))
			n++
		}
		seen = len(sent)
		if len(replies) == 0 {
			break
		}
		for _, r := range replies {
			deliver(r)
		}
	}
	if rounds == 60 {
		t.Fatalf("the out-of-office replies were still looping after %d rounds", rounds)
	}
	var between, paused, events int
	err := pool.QueryRow(ctx, `SELECT
		count(*) FILTER (WHERE status <> 'suppressed' AND least(sender, recipient) = 'karin@kund.example' AND greatest(sender, recipient) = 'maja@desk.example'),
		count(*) FILTER (WHERE status = 'sent' AND event = 'conversation-paused'),
		(SELECT count(*) FROM events WHERE kind = 'conversation.paused')
		FROM outbox`).Scan(&between, &paused, &events)
	if err != nil {
		t.Fatal(err)
	}
	if between > 20 || paused != 1 || events != 1 {
		t.Errorf("after %d rounds: %d mails between Karin and Maja, %d conversation-paused mails, %d events; want at most 20, 1, 1",
			rounds, between, paused, events)
	}
}
