package metrics

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestReplyLabels(t *testing.T) {
	for _, c := range []struct{ reply, class, code string }{
		{"250 2.0.0 Ok: queued as 4F1", "2xx", "2.0.0"},
		{"250 OK", "2xx", ""},
		{"550 5.1.1 <bob@example.com>: Recipient address rejected", "5xx", "5.1.1"},
		{"452 4.5.3 Too many recipients", "4xx", "4.5.3"},
		{"421-4.7.0 try again later", "4xx", "4.7.0"},
		{"550 4.1.1 mismatched class", "5xx", ""},
		{"550 5.1234.1 too long", "5xx", ""},
		{"550 bob@example.com unknown", "5xx", ""},
		{"", "network", ""},
		{"dial tcp 127.0.0.1:25: connection refused", "network", ""},
		{"2500 what", "network", ""},
		{"650 6.0.0 no such class", "network", ""},
	} {
		if class, code := ReplyLabels(c.reply); class != c.class || code != c.code {
			t.Errorf("ReplyLabels(%q) = %q, %q, want %q, %q", c.reply, class, code, c.class, c.code)
		}
	}
}

// TestSuppressedReasons: every reason ticketing writes maps to its label,
// and anything else to "other", never to the text itself.
func TestSuppressedReasons(t *testing.T) {
	s := New(prometheus.NewRegistry())
	for reason, label := range map[string]string{
		"rate limit: 5 automatic mails within 10m already":                    "rate_limit",
		"conversation paused: 21 mails between a@x and b@y within 10m, ...":   "conversation_paused",
		"automatic mail to this address is suppressed: 550 5.1.1 (until ...)": "address_suppressed",
		"never mail deskgate's own address":                                   "own_address",
		"the message that caused it is auto_reply (Auto-Submitted): ...":      "automatic_mail",
		"already told about this ticket within 1h":                            "once",
		"bob@example.com asked for it":                                        "other",
	} {
		before := testutil.ToFloat64(s.suppressed.WithLabelValues(label))
		s.Suppressed(reason)
		if got := testutil.ToFloat64(s.suppressed.WithLabelValues(label)); got != before+1 {
			t.Errorf("Suppressed(%q): %s{reason=%q} = %v, want %v", reason, "deskgate_notifications_suppressed_total", label, got, before+1)
		}
	}
	if n := testutil.CollectAndCount(s.suppressed); n != 7 {
		t.Errorf("deskgate_notifications_suppressed_total has %d series, want 7", n)
	}
}

// TestNilSet: code built without metrics moves nothing and does not panic.
func TestNilSet(t *testing.T) {
	var s *Set
	s.Captured("support", 1)
	s.Processed("human", "ticketed")
	s.Batch("process", 0)
	s.Parsed(0)
	s.Ticketed(0)
	s.IMAPConnected("support")
	s.IMAPFailed("support", true)
	s.IdleWakeup("support")
	s.SMTPReply("250 OK")
	s.Suppressed("rate limit")
	s.Escalated(true)
	s.RuleFired("r")
}

// TestDefs: every series registered has a Def, named deskgate_ with a
// unit or _total, and none twice.
func TestDefs(t *testing.T) {
	reg := prometheus.NewRegistry()
	New(reg)
	RegisterState(reg, time.Second, func(context.Context) (Snapshot, error) { return Snapshot{}, nil })
	seen := map[string]bool{}
	for _, d := range Defs() {
		if seen[d.Name] || !strings.HasPrefix(d.Name, "deskgate_") {
			t.Errorf("Def %s: twice or without the deskgate_ prefix", d.Name)
		}
		seen[d.Name] = true
		if d.Type == "counter" && !strings.HasSuffix(d.Name, "_total") {
			t.Errorf("counter %s does not end in _total", d.Name)
		}
	}
	ch := make(chan *prometheus.Desc, 100)
	reg.Describe(ch)
	close(ch)
	for d := range ch {
		name := strings.SplitN(d.String(), `"`, 3)[1] // Desc{fqName: "name", …}
		if !seen[name] {
			t.Errorf("registered %s has no Def", name)
		}
	}
}

// FuzzReplyLabels: whatever an SMTP server answers, the labels are one of
// four classes and an enhanced code of that class or "".
func FuzzReplyLabels(f *testing.F) {
	for _, s := range []string{"250 2.0.0 Ok", "550 5.1.1 <a@b>", "421-4.7.0 later", "", "dial tcp: refused", "5", "599 5.999.999 x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, reply string) {
		class, code := ReplyLabels(reply)
		switch class {
		case "2xx", "3xx", "4xx", "5xx", "network":
		default:
			t.Fatalf("ReplyLabels(%q) class = %q", reply, class)
		}
		if code != "" && (class == "network" || code[0] != class[0] || len(code) > 9 || !enhanced(code, class[0])) {
			t.Fatalf("ReplyLabels(%q) = %q, %q: code not of the class", reply, class, code)
		}
	})
}
