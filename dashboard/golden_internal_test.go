package dashboard

import (
	"encoding/json"
	"flag"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// samplePages are each page's data, fixed, for the golden files.
func samplePages() map[string]page {
	at := time.Date(2026, 1, 9, 14, 0, 0, 0, time.UTC)
	f := func(v float64) *float64 { return &v }
	day := report.Day{Date: "2026-01-09", Opened: 3, Mail: map[string]int{"human": 5, "auto_reply": 1, "bounce": 0, "list": 0, "loop": 0},
		AgentReplies: 2, Sent: 4, Suppressed: map[string]int{}, Quarantined: 1}
	vol := &report.Volume{From: "2026-01-08", To: "2026-01-09", Days: []report.Day{
		{Date: "2026-01-08", Opened: 1, Mail: map[string]int{"human": 2}, Suppressed: map[string]int{}}, day}}
	s := &report.SLA{From: "2026-01-08", To: "2026-01-09", By: "team", Groups: []report.SLAGroup{
		{Group: "support", Tickets: 3, FirstResponseMedian: f(1.5), FirstResponseP90: f(3.4), RespondedWithinTarget: f(66.7),
			ResolvedWithinTarget: f(33.3), Breaches: report.Breaches{Response: 1, Resolution: 2}}},
		Total: report.SLAGroup{Tickets: 3, FirstResponseMedian: f(1.5), FirstResponseP90: f(3.4), RespondedWithinTarget: f(66.7)}}
	bl := &report.Backlog{At: at, BusinessBuckets: []string{"0-4h", "4-8h", "8-24h", "24-40h", "40h+"}, WallBuckets: []string{"0-1d", "1-3d", "3-7d", "7-30d", "30d+"},
		Total: report.BacklogGroup{Open: 2, AtRisk: 1, ByStatus: map[string]report.AgeCount{
			"new": {Business: []int{1, 0, 0, 0, 0}, Wall: []int{1, 0, 0, 0, 0}}, "open": {Business: []int{0, 0, 1, 0, 0}, Wall: []int{0, 1, 0, 0, 0}},
			"pending": {Business: make([]int, 5), Wall: make([]int, 5)}}}}
	rp := Reports{From: "2026-01-08", To: "2026-01-09", Volume: vol, SLA: s, Backlog: bl,
		Agents: &report.Agents{Agents: []report.Agent{{Agent: "maja@desk.example", Replies: 2, Resolved: 1, FirstContact: 1,
			FirstContactResolution: f(100), ReopenRate: f(0)}}}}
	rp.Charts.Volume, rp.Charts.SLA, rp.Charts.Backlog = volumeChart(vol), slaChart(s), backlogChart(bl)
	due := at.Add(time.Hour)
	t := &ticketing.Ticket{TicketSummary: ticketing.TicketSummary{Number: 7, Subject: "VPN <drops>", Status: "open",
		Priority: "High", Queue: "support", Requester: ticketing.Address{Address: "anna@example.com"}, Team: "support"},
		Clocks:        []ticketing.Clock{{Kind: "response", Target: "1h0m0s", Running: true, Due: &due, Used: "0s"}},
		Notifications: []ticketing.Notice{{Event: "ticket-received", To: "anna@example.com", Status: "sent", QueuedAt: at}},
		Thread: []ticketing.Message{{ID: 1, Direction: "in", From: ticketing.Address{Address: "anna@example.com"}, Class: "human",
			Visibility: "public", NewText: "It drops.", Attachments: []ticketing.AttachmentInfo{{Filename: "log.txt",
				ContentType: "text/plain", Size: 12, SHA256: "ab12"}}}}}
	tp := TicketPage{Ticket: t, Explain: map[string]string{"response": "due 15:00 = created 14:00 + 1 business hour"},
		Messages: []ShownMessage{{Message: t.Thread[0], SafeHTML: `<p>It <b>drops</b> &amp; "quotes"</p>`}},
		Timeline: []Entry{{Event: ticketing.Event{At: at, Actor: "deskgate", Kind: "ticket.created", Detail: json.RawMessage(`{}`)},
			Detail: "why: new message"}}}
	return map[string]page{
		"signin": {Title: "Sign in"},
		"sent":   {Title: "Check your mail", Data: "maja@desk.example"},
		"link":   {Title: "Sign in", Data: "TOKEN"},
		"error":  {Title: "Not Found", Data: "no such page"},
		"overview": {Title: "Overview", Agent: "maja@desk.example", Nav: "overview", Data: Overview{Queues: []string{"support"},
			Priorities: []string{"High"}, Open: map[string]map[string]int{"support": {"High": 2}},
			Soon: []Due{{Ticket: 7, Subject: "VPN", Clock: "response", Due: due, Left: "1h0m0s of business time left"}}, Today: day}},
		"tickets": {Title: "Tickets", Agent: "maja@desk.example", Nav: "tickets", Data: TicketList{Filter: TicketFilter{Status: "open", Q: "vpn"},
			Statuses: ticketing.TicketStatuses(), Tickets: []ListedTicket{{Number: 7, Subject: "VPN <drops>", Status: "open",
				Priority: "High", Queue: "support", Requester: "anna@example.com", Updated: at}}}},
		"ticket":  {Title: "#7 VPN <drops>", Agent: "maja@desk.example", Nav: "tickets", Data: tp},
		"reports": {Title: "Reports", Agent: "maja@desk.example", Nav: "reports", Data: rp},
	}
}

// TestPagesGolden renders every page from fixed data and compares it with
// testdata/golden/<page>.html (go test ./dashboard -run Golden -update
// rewrites them; read the diff).
func TestPagesGolden(t *testing.T) {
	d, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	pages := samplePages()
	if len(pages) != len(d.pages) {
		t.Errorf("sample data for %d pages, want one for each of the %d", len(pages), len(d.pages))
	}
	for name, p := range pages {
		w := httptest.NewRecorder()
		d.render(w, httptest.NewRequest("GET", "/", nil), 200, name, p)
		if w.Code != 200 {
			t.Errorf("render(%s) = %d %s", name, w.Code, w.Body)
			continue
		}
		path := filepath.Join("testdata", "golden", name+".html")
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, w.Body.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test ./dashboard -run Golden -update writes it)", err)
		}
		if w.Body.String() != string(want) {
			t.Errorf("render(%s) differs from %s:\n%s", name, path, w.Body)
		}
	}
}
