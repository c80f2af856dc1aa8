package api_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/deskgate/deskgate/api"
	"github.com/deskgate/deskgate/internal/smtpmem"
	"github.com/deskgate/deskgate/mailout"
)

// TestReplyReachesSMTPThreaded posts a reply through the API and sends
// the outbox to an in-process SMTP server: the requester gets it from the
// agent via the desk, in the thread of their own mail, with the file.
func TestReplyReachesSMTPThreaded(t *testing.T) {
	t.Parallel()
	r := newRig(t, 0)
	n := r.mail("support", "asa@example.se", "VPN down", "It does not connect.")
	var requesterMsgID string
	if err := r.pool.QueryRow(context.Background(), `SELECT message_id FROM messages WHERE ticket_id = $1`, n).Scan(&requesterMsgID); err != nil {
		t.Fatal(err)
	}
	srv, err := smtpmem.Start(smtpmem.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ada := r.token("ada@desk.example", api.ScopeWrite, 0)
	r.want(http.StatusCreated, ada, "POST", fmt.Sprintf("/tickets/%d/reply", n), map[string]any{"text": "Restart the client, please.",
		"attachments": []map[string]any{{"filename": "steps.txt", "content_type": "text/plain", "content": []byte("1. quit\n")}}}, nil)

	s := mailout.NewSender(quiet, r.pool, mailout.SenderConfig{
		SMTP:    mailout.Config{Host: "127.0.0.1", Port: srv.Port(), TLS: mailout.TLSPlain, Timeout: 5 * time.Second},
		Workers: 1, Owner: "api-test", Poll: 20 * time.Millisecond, RetryBase: 10 * time.Millisecond, RetryMax: 100 * time.Millisecond,
		Render: r.desk.RenderClaimed})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	wctx, wcancel := context.WithTimeout(context.Background(), time.Minute)
	msgs, err := srv.Wait(wctx, 1)
	wcancel()
	cancel()
	if err != nil {
		t.Fatalf("no mail reached the SMTP server: %v", err)
	}
	if err := <-done; err != nil {
		t.Errorf("Sender.Run = %v", err)
	}
	m, err := mail.ReadMessage(bytes.NewReader(msgs[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	h := m.Header
	if to := h.Get("To"); !strings.Contains(to, "asa@example.se") {
		t.Errorf("To: %s, want the requester", to)
	}
	if from := h.Get("From"); !strings.Contains(from, "Ada via Desk") {
		t.Errorf("From: %s, want Ada via the desk", from)
	}
	if irt := h.Get("In-Reply-To"); irt != "<"+requesterMsgID+">" {
		t.Errorf("In-Reply-To: %s, want <%s>", irt, requesterMsgID)
	}
	if refs := h.Get("References"); !strings.Contains(refs, requesterMsgID) {
		t.Errorf("References: %s, want %s in it", refs, requesterMsgID)
	}
	body := string(msgs[0].Data)
	if !strings.Contains(body, "Restart the client") || !strings.Contains(body, "steps.txt") {
		t.Errorf("the mail lacks the reply or its file:\n%s", body)
	}
}
