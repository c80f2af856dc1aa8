package mailout

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/deskgate/deskgate/internal/smtpmem"
	"github.com/deskgate/deskgate/ticketing"
)

// smtpState reads the recorded SMTP state.
func (e *env) smtpState() SMTPState {
	e.t.Helper()
	st, err := ReadSMTPState(context.Background(), e.pool)
	if err != nil {
		e.t.Fatalf("ReadSMTPState() = %v", err)
	}
	return st
}

func TestLoginRejectedPausesAndIsRecorded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{Users: map[string]string{"desk": "secret"}})
	// The last is near smtp.max_age: waiting for a login must not fail it.
	ids := e.insert(row{}, row{}, row{}, row{createdAt: time.Now().Add(-47 * time.Hour)})
	cfg := e.config()
	cfg.SMTP.Auth, cfg.SMTP.Username, cfg.SMTP.Password = AuthPlain, "desk", "wrong"
	cfg.RetryBase, cfg.RetryMax = time.Hour, time.Hour // one pause for the whole test
	_, stop := e.start(cfg)
	e.waitRow(ids[0], 10*time.Second, "a reply", func(r outboxRow) bool { return r.Reply != "" && r.LeaseOwner == nil })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if r := e.row(id); r.Status != ticketing.OutboxQueued || r.Attempts != 0 || time.Until(r.NextAttemptAt) < 10*time.Minute {
			t.Errorf("row %d = %+v, want queued, not charged an attempt, due when the pause (15m, its cap) ends", id, r)
		}
	}
	if n := e.logs.count(slog.LevelError, "mailout: SMTP login rejected"); n < 1 || n > cfg.Workers {
		t.Errorf("%d errors about the rejected login, want one per worker that tried (at most %d), then a pause", n, cfg.Workers)
	}
	if n := e.logs.count(slog.LevelWarn, ""); n != 0 {
		t.Errorf("%d warnings logged, want none (a rejected login is an error)", n)
	}
	if !strings.Contains(e.text.String(), "535 5.7.8") {
		t.Errorf("log = %q, want the server's reply", e.text.String())
	}
	st := e.smtpState()
	if !st.AuthFailed || !strings.Contains(st.LastError, "535 5.7.8") || st.LastErrorAt.IsZero() || !st.LastOK.IsZero() {
		t.Errorf("SMTP state = %+v, want a rejected login with the reply and its time, no success", st)
	}
	if len(e.srv.Messages()) != 0 {
		t.Errorf("server received %d messages, want none", len(e.srv.Messages()))
	}
}

func TestSuccessAndBreakerRecorded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	auto := e.insert(row{automatic: true}, row{automatic: true}, row{automatic: true})
	manual := e.insert(row{})
	cfg := e.config()
	cfg.Breaker = Breaker{Window: time.Hour, Max: 2, Pause: time.Hour}
	e.start(cfg)
	e.waitStatus(manual[0], ticketing.OutboxSent, 10*time.Second)
	st := e.smtpState()
	if st.LastOK.IsZero() || st.LastError != "" || !st.BreakerOpen || st.BreakerSince.IsZero() || st.BreakerUntil.IsZero() {
		t.Errorf("SMTP state = %+v, want a success and the breaker open since a time, until a time", st)
	}
	for _, id := range auto {
		if r := e.row(id); r.Status != ticketing.OutboxQueued {
			t.Errorf("automatic row %d = %+v, want held back", id, r)
		}
	}
}

// TestLoginFixedSendsWaitingMail: mail that waited through a refused login
// goes out, charged one attempt, once the credentials are right.
func TestLoginFixedSendsWaitingMail(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{Users: map[string]string{"desk": "secret"}})
	id := e.insert(row{})[0]
	cfg := e.config()
	cfg.SMTP.Auth, cfg.SMTP.Username, cfg.SMTP.Password = AuthPlain, "desk", "wrong"
	_, stop := e.start(cfg)
	e.waitRow(id, 10*time.Second, "a reply", func(r outboxRow) bool { return r.Reply != "" && r.LeaseOwner == nil })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	cfg.SMTP.Password = "secret"
	e.start(cfg)
	if r := e.waitStatus(id, ticketing.OutboxSent, 10*time.Second); r.Attempts != 1 {
		t.Errorf("row = %+v, want sent at its first charged attempt", r)
	}
	if st := e.smtpState(); st.LastOK.IsZero() || st.LastOK.Before(st.LastErrorAt) {
		t.Errorf("SMTP state = %+v, want a success after the failure", st)
	}
}
