package mailout

import (
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/deskgate/deskgate/internal/smtpmem"
	"github.com/deskgate/deskgate/internal/tlstest"
	"github.com/deskgate/deskgate/ticketing"
)

// TestTLSSends sends over STARTTLS and implicit TLS, with authentication,
// to a server whose certificate a test authority signed.
func TestTLSSends(t *testing.T) {
	t.Parallel()
	pair, err := tlstest.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{TLSStartTLS, TLSImplicit} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, smtpmem.Options{Users: map[string]string{"desk": "secret"}, TLS: pair.Server, ImplicitTLS: mode == TLSImplicit})
			id := e.insert(row{messageID: "tls." + mode + "@desk.example"})[0]
			cfg := e.config()
			cfg.SMTP.TLS, cfg.SMTP.Auth, cfg.SMTP.Username, cfg.SMTP.Password = mode, AuthPlain, "desk", "secret"
			cfg.SMTP.TLSConfig = &tls.Config{RootCAs: pair.Roots}
			e.start(cfg)
			r := e.waitStatus(id, ticketing.OutboxSent, 10*time.Second)
			if !strings.HasPrefix(r.Reply, "250 ") {
				t.Errorf("reply = %q, want 250", r.Reply)
			}
			if msgs := e.wait(1, time.Second); messageID(msgs[0].Data) != "tls."+mode+"@desk.example" {
				t.Errorf("the server received %q", messageID(msgs[0].Data))
			}
		})
	}
}
