package ticketing_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/token"
)

// TestInvalidTokenNotLogged: the warning about a reply that carries a
// token we did not sign names the token by a short prefix only; a tampered
// token is one character from a genuine one, so it must not be printed whole.
func TestInvalidTokenNotLogged(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	keys, err := token.NewKeys(1, map[byte][]byte{1: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	desk := ticketing.NewDesk(log, ticketing.Config{DeskAddresses: []string{"help@desk.example"}, Domain: "desk.example", Tokens: keys})

	first := receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "t1@example.se", "Printer"))[0].TicketID
	claims := token.Claims{Ticket: uint64(first), Recipient: 3, Nonce: 5}
	tok := keys.Sign(claims)
	tampered := tok[:len(tok)-1] + map[bool]string{true: "b", false: "a"}[tok[len(tok)-1] == 'a']
	reply := human(capture(t, pool, "support", 2), "r1@example.se", "Re: Printer")
	reply.InReplyTo = []string{"dg." + tampered + "@desk.example"}
	reply.To = []ticketing.Address{addr("help+" + tampered + "@desk.example")}
	receiveWith(t, pool, desk, reply)

	out := buf.String()
	if !strings.Contains(out, "invalid token") {
		t.Fatalf("log = %q, want the invalid-token warning", out)
	}
	for _, s := range []string{tampered, tok} {
		if strings.Contains(out, s) {
			t.Errorf("log = %q, want no full token %q", out, s)
		}
	}
	if !strings.Contains(out, "dg."+tampered[:8]+"…@desk.example") {
		t.Errorf("log = %q, want the token named by its prefix %q", out, "dg."+tampered[:8]+"…")
	}
}
