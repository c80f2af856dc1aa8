package mailout

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"syscall"
	"testing"

	gomail "github.com/wneessen/go-mail"

	"github.com/deskgate/deskgate/ticketing"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	reply := func(code int, msg string) error { return &textproto.Error{Code: code, Msg: msg} }
	tests := []struct {
		name   string
		err    error
		result string
		reply  string
	}{
		{"550 user unknown", reply(550, "5.1.1 no such user"), ticketing.ResultFailed, "550 5.1.1 no such user"},
		{"554 rejected", fmt.Errorf("data: %w", reply(554, "5.7.1 spam")), ticketing.ResultFailed, "data: 554 5.7.1 spam"},
		{"552 too big", reply(552, "5.3.4 too big"), ticketing.ResultFailed, "552 5.3.4 too big"},
		{"451 try later", reply(451, "4.3.0 try later"), ticketing.ResultRetry, "451 4.3.0 try later"},
		{"421 closing", reply(421, "4.4.2 bye"), ticketing.ResultRetry, "421 4.4.2 bye"},
		{"530 auth required", reply(530, "5.7.0 Authentication required"), ticketing.ResultRetry, "530 5.7.0 Authentication required"},
		{"multi-line", reply(550, "5.7.1 first\nsecond"), ticketing.ResultFailed, "550 5.7.1 first second"},
		{"535 while connecting", &setupError{addr: "h:587", err: fmt.Errorf("SMTP AUTH failed: %w", reply(535, "5.7.8 bad"))},
			ticketing.ResultRetry, "connecting to h:587: SMTP AUTH failed: 535 5.7.8 bad"},
		{"over SIZE", &sizeError{size: 20, limit: 10}, ticketing.ResultFailed, "message of 20 bytes exceeds the server's SIZE limit of 10 bytes"},
		{"EOF", io.EOF, ticketing.ResultRetry, "EOF"},
		{"reset", &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, ticketing.ResultRetry, "read tcp: read: connection reset by peer"},
		{"timeout", os.ErrDeadlineExceeded, ticketing.ResultRetry, "i/o timeout"},
		{"context", context.DeadlineExceeded, ticketing.ResultRetry, "context deadline exceeded"},
		{"TLS", &tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, ticketing.ResultRetry, "tls: first record does not look like a TLS handshake"},
		// go-mail's SendError without a reply code (a network error) says
		// IsTemp() == false; it is retried all the same.
		{"go-mail SendError without code", &gomail.SendError{Reason: gomail.ErrSMTPData}, ticketing.ResultRetry, "sending SMTP DATA command"},
	}
	for _, tt := range tests {
		result, reply := classify(tt.err)
		if result != tt.result || reply != tt.reply {
			t.Errorf("classify(%s) = %q, %q; want %q, %q", tt.name, result, reply, tt.result, tt.reply)
		}
	}
	if ge := (&gomail.SendError{Reason: gomail.ErrSMTPData}); ge.IsTemp() {
		t.Logf("go-mail now reports IsTemp() for errors without a reply code")
	}
}

func TestTooManyRecipients(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code int
		msg  string
		want bool
	}{
		{452, "4.5.3 Error: too many recipients", true},
		{452, "Too many recipients", true},
		{451, "4.5.3 Too many recipients", true},
		{552, "5.5.3 Too many recipients", true},
		{452, "4.2.2 Mailbox full", false},
		{450, "4.2.1 busy", false},
		{550, "5.1.1 no such user", false},
	} {
		if got := tooManyRecipients(&textproto.Error{Code: tc.code, Msg: tc.msg}); got != tc.want {
			t.Errorf("tooManyRecipients(%d %s) = %v, want %v", tc.code, tc.msg, got, tc.want)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST": true, "127.0.0.1": true, "127.1.2.3": true, "::1": true, "[::1]": true,
		"10.0.0.1": false, "smtp.example.com": false, "localhost.example.com": false, "": false,
	} {
		if got := isLoopback(host); got != want {
			t.Errorf("isLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"minimal", Config{Host: "smtp.example.com"}, true},
		{"no host", Config{}, false},
		{"bad port", Config{Host: "h", Port: 70000}, false},
		{"unknown auth", Config{Host: "h", Auth: "cram-md5", Username: "u"}, false},
		{"plain without user", Config{Host: "h", Auth: AuthPlain}, false},
		{"xoauth2 without token", Config{Host: "h", Auth: AuthXOAuth2, Username: "u"}, false},
		{"xoauth2", Config{Host: "h", Username: "u", OAuth2Token: "t"}, true},
		{"HELO with CRLF", Config{Host: "h", HELO: "a\r\nMAIL FROM:<x>"}, false},
	}
	for _, tt := range tests {
		err := tt.cfg.withDefaults().validate()
		if (err == nil) != tt.ok {
			t.Errorf("validate(%s) = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
	if got := (Config{Host: "h", TLS: TLSImplicit}).withDefaults().Port; got != 465 {
		t.Errorf("default implicit port = %d, want 465", got)
	}
	if got := (Config{Host: "h", TLS: TLSPlain}).withDefaults().Port; got != 25 {
		t.Errorf("default plain port = %d, want 25", got)
	}
	if got := (Config{Host: "h", Username: "u", OAuth2Token: "t", Password: "p"}).withDefaults().Auth; got != AuthXOAuth2 {
		t.Errorf("default auth with a token = %q, want xoauth2", got)
	}
}
