package ticketing_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/templates"
	"github.com/deskgate/deskgate/ticketing"
)

// retentionAfter is the retention period of these tests; aged tickets were
// closed longer ago.
const retentionAfter = 90 * 24 * time.Hour

// closeLongAgo closes ticket id as if more than retentionAfter ago.
func closeLongAgo(t *testing.T, pool *pgxpool.Pool, id int64) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), `UPDATE tickets SET status = 'closed', closed_at = now() - interval '100 days'
		WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
}

// claimFiles claims every due notification as mailout does and reads each
// one's files (LoadAttachments, just before sending): "event to: file
// content" for each file, and the claims.
func claimFiles(t *testing.T, pool *pgxpool.Pool) ([]string, []ticketing.Notification) {
	t.Helper()
	ctx := context.Background()
	ns, err := ticketing.ClaimNotifications(ctx, pool, "test-sender", time.Minute, 50, true)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for i := range ns {
		if err := ns[i].LoadAttachments(ctx, pool); err != nil {
			t.Fatal(err)
		}
		for _, a := range ns[i].Attachments {
			files = append(files, ns[i].Event+" "+ns[i].Recipient+": "+a.Filename+" "+string(a.Data))
		}
	}
	slices.Sort(files)
	return files, ns
}

// retentionState is what retention left of ticket id: whether it is marked
// retained, its captured mail's raw bytes (total length) and its files'
// content (total length).
func retentionState(t *testing.T, pool *pgxpool.Pool, id int64) (retained bool, raw, files int) {
	t.Helper()
	err := pool.QueryRow(context.Background(), `
		SELECT (SELECT retained_at IS NOT NULL FROM tickets WHERE id = $1),
		       (SELECT coalesce(sum(length(i.raw)), 0) FROM inbound i JOIN messages m ON m.inbound_id = i.id WHERE m.ticket_id = $1),
		       (SELECT coalesce(sum(length(b.data)), 0) FROM blobs b
		        WHERE b.sha256 IN (SELECT a.sha256 FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.ticket_id = $1))`,
		id).Scan(&retained, &raw, &files)
	if err != nil {
		t.Fatal(err)
	}
	return retained, raw, files
}

// TestRetentionKeepsFilesOfQueuedMail: a ticket closed longer than the
// retention period whose mail still waits in the outbox with files (the
// new-ticket mail to agents with the requester's screenshot, an agent's
// relayed reply with a VPN profile: the SMTP server was away) keeps its
// raw mail and files, so the sender reads them whole; once that mail is
// sent or given up, a later run removes them.
func TestRetentionKeepsFilesOfQueuedMail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	desk := agentDesk(t, ticketing.VerifyConfig{})
	in := human(capture(t, pool, "support", 1), "req-1@example.se", "VPN down")
	in.Attachments = []ticketing.Attachment{{Filename: "error.png", ContentType: "image/png", Data: []byte("png: the VPN client's error")}}
	id := receiveWith(t, pool, desk, in)[0].TicketID
	var msgID, replyTo string
	for _, r := range outbox(t, pool) {
		if r.Event == templates.NewTicket && r.Recipient == "ada@desk.example" {
			msgID, replyTo = r.MessageID, r.ReplyTo
		}
	}
	reply := human(capture(t, pool, "support", 2), "ada-1@desk.example", "Re: VPN down")
	reply.From = ticketing.Address{Name: "Ada", Address: "ada@desk.example"}
	reply.To, reply.InReplyTo = []ticketing.Address{{Address: replyTo}}, []string{msgID}
	reply.Text, reply.NewText = "Here is the new VPN profile.", "Here is the new VPN profile."
	reply.Attachments = []ticketing.Attachment{{Filename: "vpn.ovpn", ContentType: "application/x-openvpn-profile", Data: []byte("client\nremote vpn.example 1194\n")}}
	receiveWith(t, pool, desk, reply)
	closeLongAgo(t, pool, id)

	got, err := ticketing.Retain(ctx, pool, retentionAfter)
	if err != nil {
		t.Fatal(err)
	}
	if got != (ticketing.Retained{}) {
		t.Errorf("Retain with the ticket's mail still queued = %+v, want nothing done", got)
	}
	if retained, raw, files := retentionState(t, pool, id); retained || raw == 0 || files == 0 {
		t.Errorf("ticket with queued mail: retained %v, %d raw bytes, %d bytes of files; want not retained, all kept", retained, raw, files)
	}
	files, ns := claimFiles(t, pool)
	want := []string{
		"agent-reply asa@example.se: vpn.ovpn client\nremote vpn.example 1194\n",
		"new-ticket ada@desk.example: error.png png: the VPN client's error",
		"new-ticket bo@desk.example: error.png png: the VPN client's error",
	}
	if !slices.Equal(files, want) {
		t.Errorf("files the sender read after retention = %q, want %q", files, want)
	}

	// The relayed reply is sent, the rest given up: nothing waits any more.
	var rs []ticketing.SendResult
	for _, n := range ns {
		r := ticketing.SendResult{ID: n.ID, Attempt: n.Attempts, Result: ticketing.ResultFailed, Reply: "gave up"}
		if n.Event == templates.AgentReply {
			r.Result, r.Reply, r.Delivered = ticketing.ResultSent, "250 ok", true
		}
		rs = append(rs, r)
	}
	if err := ticketing.RecordResults(ctx, pool, "test-sender", rs, 0); err != nil {
		t.Fatal(err)
	}
	got, err = ticketing.Retain(ctx, pool, retentionAfter)
	if err != nil {
		t.Fatal(err)
	}
	if got.Tickets != 1 || got.RawMessages != 2 || got.Attachments != 2 {
		t.Errorf("Retain once the mail is settled = %+v, want 1 ticket, 2 raw messages and 2 attachments", got)
	}
	if retained, raw, files := retentionState(t, pool, id); !retained || raw != 0 || files != 0 {
		t.Errorf("ticket with settled mail: retained %v, %d raw bytes, %d bytes of files; want retained, all removed", retained, raw, files)
	}
}

// settleAll records every claimed notification as sent.
func settleAll(t *testing.T, pool *pgxpool.Pool, ns []ticketing.Notification) {
	t.Helper()
	var rs []ticketing.SendResult
	for _, n := range ns {
		rs = append(rs, ticketing.SendResult{ID: n.ID, Attempt: n.Attempts, Result: ticketing.ResultSent, Reply: "250 ok", Delivered: true})
	}
	if err := ticketing.RecordResults(context.Background(), pool, "test-sender", rs, 0); err != nil {
		t.Fatal(err)
	}
}

// TestRetentionWaitsForMailOfMergedTicket: mail queued about a ticket that
// was then merged carries files that moved with its messages to the
// ticket it was merged into (and on, when that one is merged too), so
// neither is retained until that mail is settled.
func TestRetentionWaitsForMailOfMergedTicket(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	desk := agentDesk(t, ticketing.VerifyConfig{})
	var ids []int64
	for i, subject := range []string{"VPN down", "VPN still down", "No VPN"} {
		in := human(capture(t, pool, "support", i+1), "req-"+itoa(int64(i))+"@example.se", subject)
		ids = append(ids, receiveWith(t, pool, desk, in)[0].TicketID)
	}
	// Everything so far is sent; then the first ticket's requester sends
	// a screenshot, which waits in the outbox for the agents.
	_, ns := claimFiles(t, pool)
	settleAll(t, pool, ns)
	in := human(capture(t, pool, "support", 4), "req-4@example.se", "Re: VPN down")
	in.InReplyTo = []string{"req-0@example.se"}
	in.Attachments = []ticketing.Attachment{{Filename: "error.png", ContentType: "image/png", Data: []byte("png: the VPN client's error")}}
	if out := receiveWith(t, pool, desk, in); out[0].TicketID != ids[0] {
		t.Fatalf("the screenshot joined ticket %d, want %d", out[0].TicketID, ids[0])
	}
	// Merged: first into second, second into third; all closed long ago.
	for i := range 2 {
		if err := desk.Merge(ctx, pool, ids[i], ids[i+1], "ada@desk.example", "the same VPN"); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range ids {
		closeLongAgo(t, pool, id)
	}

	got, err := ticketing.Retain(ctx, pool, retentionAfter)
	if err != nil {
		t.Fatal(err)
	}
	if got != (ticketing.Retained{}) {
		t.Errorf("Retain with the merged ticket's mail still queued = %+v, want nothing done", got)
	}
	if retained, raw, files := retentionState(t, pool, ids[2]); retained || raw == 0 || files == 0 {
		t.Errorf("ticket holding the queued mail's files: retained %v, %d raw bytes, %d bytes of files; want not retained, all kept",
			retained, raw, files)
	}
	files, ns := claimFiles(t, pool)
	want := []string{
		"requester-replied ada@desk.example: error.png png: the VPN client's error",
		"requester-replied bo@desk.example: error.png png: the VPN client's error",
	}
	if !slices.Equal(files, want) {
		t.Errorf("files the sender read after retention = %q, want %q", files, want)
	}

	settleAll(t, pool, ns)
	got, err = ticketing.Retain(ctx, pool, retentionAfter)
	if err != nil {
		t.Fatal(err)
	}
	if got.Tickets != 3 || got.RawMessages != 4 || got.Attachments != 1 {
		t.Errorf("Retain once the mail is settled = %+v, want 3 tickets, 4 raw messages and 1 attachment", got)
	}
	if retained, raw, files := retentionState(t, pool, ids[2]); !retained || raw != 0 || files != 0 {
		t.Errorf("ticket with settled mail: retained %v, %d raw bytes, %d bytes of files; want retained, all removed", retained, raw, files)
	}
}

// TestRetentionWaitsForReplyToClosedTicket: a closed ticket is never
// reopened, but its agents may still write to it; their reply is relayed
// with its files, which stay until it is sent.
func TestRetentionWaitsForReplyToClosedTicket(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	desk := agentDesk(t, ticketing.VerifyConfig{})
	in := human(capture(t, pool, "support", 1), "req-1@example.se", "VPN down")
	id := receiveWith(t, pool, desk, in)[0].TicketID
	_, ns := claimFiles(t, pool)
	settleAll(t, pool, ns)
	closeLongAgo(t, pool, id)
	if _, err := desk.Post(ctx, pool, id, "ada@desk.example", "For the record, the profile we used.", false,
		[]ticketing.Attachment{{Filename: "vpn.ovpn", ContentType: "application/x-openvpn-profile", Data: []byte("client\nremote vpn.example 1194\n")}}); err != nil {
		t.Fatal(err)
	}

	got, err := ticketing.Retain(ctx, pool, retentionAfter)
	if err != nil {
		t.Fatal(err)
	}
	if got != (ticketing.Retained{}) {
		t.Errorf("Retain with the agent's reply still queued = %+v, want nothing done", got)
	}
	files, ns := claimFiles(t, pool)
	want := []string{"agent-reply asa@example.se: vpn.ovpn client\nremote vpn.example 1194\n"}
	if !slices.Equal(files, want) {
		t.Errorf("files the sender read after retention = %q, want %q", files, want)
	}

	settleAll(t, pool, ns)
	if got, err := ticketing.Retain(ctx, pool, retentionAfter); err != nil || got.Tickets != 1 || got.Attachments != 1 {
		t.Errorf("Retain once the reply is sent = %+v, %v, want 1 ticket and 1 attachment", got, err)
	}
}

// TestRetentionRetainsMailAddedLater: a ticket retention already handled
// can still get mail (an agent writes to the closed ticket); that mail's
// raw bytes and files go too, once it is sent, in a later run, and are
// not kept for ever.
func TestRetentionRetainsMailAddedLater(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	desk := agentDesk(t, ticketing.VerifyConfig{})
	id := receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "req-1@example.se", "VPN down"))[0].TicketID
	_, ns := claimFiles(t, pool)
	settleAll(t, pool, ns)
	closeLongAgo(t, pool, id)
	if got, err := ticketing.Retain(ctx, pool, retentionAfter); err != nil || got.Tickets != 1 {
		t.Fatalf("Retain = %+v, %v, want the closed ticket", got, err)
	}

	if _, err := desk.Post(ctx, pool, id, "ada@desk.example", "For the record, the profile we used.", false,
		[]ticketing.Attachment{{Filename: "vpn.ovpn", ContentType: "application/x-openvpn-profile", Data: []byte("client\nremote vpn.example 1194\n")}}); err != nil {
		t.Fatal(err)
	}
	_, ns = claimFiles(t, pool)
	settleAll(t, pool, ns)
	got, err := ticketing.Retain(ctx, pool, retentionAfter)
	if err != nil {
		t.Fatal(err)
	}
	if got.Tickets != 1 || got.Attachments != 1 {
		t.Errorf("Retain after an agent wrote to the retained ticket = %+v, want the ticket again with the reply's file", got)
	}
	if retained, _, files := retentionState(t, pool, id); !retained || files != 0 {
		t.Errorf("after it: retained %v, %d bytes of files, want retained and none", retained, files)
	}
}
