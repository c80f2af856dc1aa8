package oauth

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/deskgate/deskgate/internal/tokenmem"
)

// BenchmarkTokenHeld: what each SMTP message and IMAP login pays to ask
// for a token that is still fresh (the common case: no request is made).
func BenchmarkTokenHeld(b *testing.B) {
	srv := tokenmem.Start(tokenmem.Options{ClientID: "app", ClientSecret: "s", Lifetime: time.Hour})
	defer srv.Close()
	src, err := New(Config{Name: "smtp", Provider: Microsoft, Flow: ClientCredentials, Tenant: "t", ClientID: "app",
		ClientSecret: "s", TokenURL: srv.TokenURL}, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		if _, err := src.Token(ctx); err != nil {
			b.Fatal(err)
		}
	}
	if n := srv.Count("client_credentials"); n != 1 {
		b.Fatalf("tokens issued = %d, want 1", n)
	}
}
