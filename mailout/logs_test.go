package mailout

import (
	"strings"
	"testing"
	"time"

	"github.com/deskgate/deskgate/internal/smtpmem"
	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/token"
)

// TestTokensNotLogged: the Message-ID of a notification carries its reply
// token, a bearer credential; no log line of a send, a refusal, a deferral
// or a failure prints it whole, even when the server's reply quotes it.
func TestTokensNotLogged(t *testing.T) {
	t.Parallel()
	keys, err := token.NewKeys(1, map[byte][]byte{1: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	var toks []string
	mid := func(ticket uint64) string {
		c := token.Claims{Ticket: ticket, Recipient: 1, Nonce: 2}
		toks = append(toks, keys.Sign(c))
		return keys.MessageID(c, "desk.example")
	}
	e := newEnv(t, smtpmem.Options{})
	sent, failed, deferred := mid(1), mid(2), mid(3)
	e.srv.AddFault(smtpmem.Fault{Stage: smtpmem.StageRcpt, Addr: "gone@example.com", Code: 550, Enhanced: "5.1.1", Message: "no such user"})
	e.srv.AddFault(smtpmem.Fault{Stage: smtpmem.StageData, Addr: "bad@example.com", Code: 554, Enhanced: "5.7.1",
		Message: "message <" + failed + "> rejected"})
	e.srv.AddFault(smtpmem.Fault{Stage: smtpmem.StageData, Addr: "later@example.com", Code: 451, Enhanced: "4.3.0",
		Message: "<" + deferred + "> try later", Times: 1})
	ids := e.insert(
		row{messageID: sent, to: []ticketing.Address{{Address: "ok@example.com"}}, cc: []ticketing.Address{{Address: "gone@example.com"}}},
		row{messageID: failed, to: []ticketing.Address{{Address: "bad@example.com"}}},
		row{messageID: deferred, to: []ticketing.Address{{Address: "later@example.com"}}},
	)
	_, stop := e.start(e.config())
	e.waitStatus(ids[0], ticketing.OutboxSent, 10*time.Second)
	e.waitStatus(ids[1], ticketing.OutboxFailed, 10*time.Second)
	e.waitStatus(ids[2], ticketing.OutboxSent, 10*time.Second)
	stop() // the deferred deliveries' summary is written at the latest then

	out := e.text.String()
	for _, want := range []string{"mailout: sent", "mailout: recipients refused", "mailout: notification failed", "deliveries deferred"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q; want every kind of line checked:\n%s", want, out)
		}
	}
	for _, tok := range toks {
		if strings.Contains(out, tok) {
			t.Errorf("log prints the token %q in full:\n%s", tok, out)
		}
		if !strings.Contains(out, "dg."+tok[:8]+"…@desk.example") {
			t.Errorf("log lacks the token's short form %q:\n%s", "dg."+tok[:8]+"…", out)
		}
	}
}
