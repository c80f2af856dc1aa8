package rules

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// benchRules returns n realistic rules, all on ticket.created, of which only
// a handful match benchFacts.
func benchRules(n int) []Rule {
	whens := []func(i int) string{
		func(i int) string { return fmt.Sprintf(`from.domain == "customer%d.example"`, i) },
		func(i int) string {
			return fmt.Sprintf(`from.domain endsWith ".gov%d.example" && class == "human"`, i)
		},
		func(i int) string { return fmt.Sprintf(`subject contains "order %d"`, i) },
		func(i int) string { return fmt.Sprintf(`lower(subject) contains "refund %d"`, i) },
		func(i int) string { return fmt.Sprintf(`subject matches "(?i)^(re: )?ticket-%d\\b"`, i) },
		func(i int) string { return fmt.Sprintf(`header("X-Customer-Id") == "C%d"`, i) },
		func(i int) string {
			return fmt.Sprintf(`any(attachments, .type == "application/x-%d") || len(attachments) > 50 + %d`, i, i)
		},
		func(i int) string {
			return fmt.Sprintf(`ticket.category == "cat%d" && ticket.priority in ["High", "Normal"]`, i)
		},
		func(i int) string {
			return fmt.Sprintf(`mailbox == "box%d" && !business_hours && hour >= 18`, i)
		},
		func(i int) string {
			return fmt.Sprintf(`"vip%d@customer.example" in cc || text contains "case %d"`, i, i)
		},
	}
	matching := []string{
		`from.domain == "acme.example"`,
		`subject contains "Invoice"`,
		`any(attachments, .type == "application/pdf")`,
		`header("x-priority") startsWith "1"`,
		`ticket.category == "billing" && known_requester`,
	}
	rs := make([]Rule, 0, n)
	for i := 0; len(rs) < n; i++ {
		when := whens[i%len(whens)](i)
		if i%40 == 39 {
			when = matching[(i/40)%len(matching)]
		}
		rs = append(rs, Rule{
			Name: fmt.Sprintf("rule %d", i),
			On:   OnCreated,
			When: when,
			Then: Then{Category: "billing", AddTags: []string{fmt.Sprintf("t%d", i)}},
		})
	}
	return rs
}

func benchFacts() Facts {
	text := strings.Repeat("Hello, our invoice 2024-113 shows the wrong amount for March. ", 10)
	return Facts{
		Event:    OnCreated,
		Mailbox:  "support",
		Queue:    "billing@desk.example",
		From:     Person{Address: "ann.berg@acme.example", Domain: "acme.example", Name: "Ann Berg"},
		To:       []string{"billing@desk.example"},
		Cc:       []string{"bob@acme.example", "carol@acme.example"},
		Subject:  "Re: Invoice 2024-113 overdue - please advise",
		Text:     text,
		FullText: text + strings.Repeat("> On Tue, Mar 4, 2025 at 10:12 the desk wrote:\n> earlier text\n", 20),
		Headers: map[string]string{
			"x-priority": "1 (Highest)", "importance": "high", "message-id": "<a1@acme.example>",
			"date": "Tue, 4 Mar 2025 10:12:00 +0100", "content-type": "multipart/mixed",
			"x-mailer": "Microsoft Outlook 16.0", "received": "from mx.acme.example",
			"user-agent": "Outlook", "mime-version": "1.0", "thread-index": "AdsXYZ",
		},
		Attachments:    []Attachment{{Name: "invoice-2024-113.pdf", Type: "application/pdf", Size: 84213}},
		Language:       "en",
		Class:          "human",
		KnownRequester: true,
		Now:            time.Date(2025, 3, 4, 10, 12, 0, 0, time.UTC),
		Hour:           11,
		Weekday:        "tue",
		BusinessHours:  true,
		Ticket:         Ticket{Number: 4711, Status: "new", Priority: "Medium", Impact: "Low", Urgency: "Normal", Language: "en"},
	}
}

// BenchmarkEvaluate evaluates 200 rules (all on the event evaluated, five
// matching) against one realistic message. evals/s is wall-clock throughput
// (serial: one goroutine; parallel: GOMAXPROCS goroutines); evals/cpu-s is
// per CPU-second of the whole process, garbage collection included, which
// other load on the machine does not distort.
func BenchmarkEvaluate(b *testing.B) {
	s, err := Compile(benchRules(200), Options{})
	if err != nil {
		b.Fatal(err)
	}
	f := benchFacts()
	if r := s.Evaluate(f); r.Trace.Len() != 200 || len(r.Trace.Fired()) != 5 {
		b.Fatalf("Evaluate(benchFacts) = %d rules considered, %d fired, want 200, 5", r.Trace.Len(), len(r.Trace.Fired()))
	}
	b.ReportAllocs()
	b.Run("serial", func(b *testing.B) {
		cpu := cpuTime()
		for b.Loop() {
			s.Evaluate(f)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "evals/s")
		b.ReportMetric(float64(b.N)/(cpuTime()-cpu).Seconds(), "evals/cpu-s")
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				s.Evaluate(f)
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "evals/s")
	})
}

// cpuTime returns the CPU time used by the process so far (user and system,
// all threads, the garbage collector included).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
