package mailin

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/deskgate/deskgate/internal/imapmem"
	"github.com/deskgate/deskgate/internal/tlstest"
)

// TestTLS syncs over implicit TLS and over STARTTLS against a server with
// a certificate of a test authority, and refuses a server it cannot
// verify.
func TestTLS(t *testing.T) {
	t.Parallel()
	pair, err := tlstest.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		implicit bool
		mode     TLSMode
	}{
		{"implicit", true, TLSImplicit},
		{"starttls", false, TLSStartTLS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, imapmem.Options{TLS: pair.Server, ImplicitTLS: tc.implicit})
			e.mb.TLS, e.mb.TLSConfig = tc.mode, &tls.Config{RootCAs: pair.Roots, ServerName: "localhost"}
			e.append("INBOX", message(1, ""))
			e.start(e.syncer("a"))
			e.waitCount(1, 10*time.Second)
		})
	}
	t.Run("untrusted certificate", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, imapmem.Options{TLS: pair.Server, ImplicitTLS: true})
		e.mb.TLS, e.mb.TLSConfig = TLSImplicit, &tls.Config{RootCAs: x509.NewCertPool(), ServerName: "localhost"}
		e.append("INBOX", message(1, ""))
		e.start(e.syncer("a"))
		eventually(t, 10*time.Second, func() error {
			if msgs := e.logs.find("certificate"); len(msgs) == 0 {
				return errors.New("no certificate error logged yet")
			}
			return nil
		})
		if n := e.count(); n != 0 {
			t.Errorf("captured %d messages from a server whose certificate cannot be verified, want 0", n)
		}
	})
}
