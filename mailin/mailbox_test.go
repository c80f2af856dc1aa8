package mailin

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestMailboxValidate(t *testing.T) {
	t.Parallel()
	ok := Mailbox{Name: "desk", Addr: "imap.example.com:993", Username: "u", Password: "p"}
	tests := []struct {
		name   string
		change func(*Mailbox)
		want   string // substring of the error; "" for none
	}{
		{"defaults", func(*Mailbox) {}, ""},
		{"starttls", func(m *Mailbox) { m.TLS = TLSStartTLS }, ""},
		{"plain loopback v4", func(m *Mailbox) { m.TLS, m.Addr = TLSPlain, "127.0.0.1:143" }, ""},
		{"plain loopback v6", func(m *Mailbox) { m.TLS, m.Addr = TLSPlain, "[::1]:143" }, ""},
		{"plain localhost", func(m *Mailbox) { m.TLS, m.Addr = TLSPlain, "localhost:143" }, ""},
		{"plain remote", func(m *Mailbox) { m.TLS, m.Addr = TLSPlain, "imap.example.com:143" }, "only for loopback"},
		{"plain remote ip", func(m *Mailbox) { m.TLS, m.Addr = TLSPlain, "10.0.0.1:143" }, "only for loopback"},
		{"unknown tls", func(m *Mailbox) { m.TLS = "ssl" }, "unknown tls mode"},
		{"no name", func(m *Mailbox) { m.Name = "" }, "name is empty"},
		{"no port", func(m *Mailbox) { m.Addr = "imap.example.com" }, "address"},
		{"no user", func(m *Mailbox) { m.Username = "" }, "username"},
		{"both secrets", func(m *Mailbox) { m.OAuth2Token = "t" }, "exactly one"},
		{"no secret", func(m *Mailbox) { m.Password = "" }, "exactly one"},
		{"token only", func(m *Mailbox) { m.Password, m.OAuth2Token = "", "t" }, ""},
		{"idle refresh", func(m *Mailbox) { m.IdleRefresh = 29 * time.Minute }, "idle refresh"},
		{"move to self", func(m *Mailbox) { m.MoveTo = "inbox" }, "synced folder"},
		{"mark none", func(m *Mailbox) { m.MarkNone = true }, ""},
		{"mark none and move", func(m *Mailbox) { m.MarkNone, m.MoveTo = true, "Done" }, "mark none"},
		{"bad keyword", func(m *Mailbox) { m.MarkKeyword = "two words" }, "not an IMAP atom"},
	}
	for _, tt := range tests {
		mb := ok
		tt.change(&mb)
		err := mb.Validate()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: Validate() = %v, want nil", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: Validate() = %v, want an error containing %q", tt.name, err, tt.want)
		case err != nil && !strings.HasPrefix(err.Error(), "mailin: "):
			t.Errorf("%s: Validate() = %v, want the prefix \"mailin: \"", tt.name, err)
		}
	}
}

func TestMailboxDefaults(t *testing.T) {
	t.Parallel()
	mb := Mailbox{}.withDefaults()
	if mb.MarkKeyword != DefaultMarkKeyword || mb.Folder != "INBOX" || mb.TLS != TLSImplicit || mb.BatchSize != 200 ||
		mb.LeaseTTL != 10*time.Second || mb.MaxMessageSize != 25<<20 {
		t.Errorf("Mailbox{}.withDefaults() = %+v, want the documented defaults", mb)
	}
	if got := (Mailbox{MarkNone: true}).withDefaults().MarkKeyword; got != "" {
		t.Errorf("Mailbox{MarkNone: true}.withDefaults().MarkKeyword = %q, want \"\"", got)
	}
	if got := (Mailbox{MoveTo: "Done"}).withDefaults().MarkKeyword; got != "" {
		t.Errorf("Mailbox{MoveTo: \"Done\"}.withDefaults().MarkKeyword = %q, want \"\" (move only)", got)
	}
}

// TestRunRefusesPlainRemote checks that Run fails at once, rather than
// retrying, on a plain-text connection to a remote host.
func TestRunRefusesPlainRemote(t *testing.T) {
	t.Parallel()
	mb := Mailbox{Name: "desk", Addr: "imap.example.com:143", TLS: TLSPlain, Username: "u", Password: "p"}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := NewSyncer(nil, mb, "me", nil, nil, nil).Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("Run(plain to imap.example.com) = %v, want an error about loopback hosts", err)
	}
}
