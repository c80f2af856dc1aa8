package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// loadWarnings loads yaml from a private file and returns its warnings.
func loadWarnings(t *testing.T, yaml string) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "deskgate.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, env(map[string]string{"IMAP_PASSWORD": "pw", "SMTP_PASSWORD": "pw",
		"SECRET": "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"}))
	if err != nil {
		t.Fatalf("Load = %v", err)
	}
	return c.Warnings()
}

// served is minimal with a team serving its mailbox's queue.
const served = minimal + "teams: [{name: support}]\n"

const secrets = "  secrets: [{id: 1, secret: \"${SECRET}\"}]\n"

func TestUnworkableWarnings(t *testing.T) {
	withSecrets := strings.Replace(served, "  address: help@example.com\n", "  address: help@example.com\n"+secrets, 1)
	for _, tc := range []struct {
		name, yaml string
		want       string // a substring of the one warning, "" for none
	}{
		{"a team serves the queue", served, ""},
		{"no team serves the queue", minimal,
			`mailboxes[0] (line 6): mailbox support feeds queue "support", which no team serves, but new-ticket mail goes to the team (notifications.events.new_ticket.to): nobody is told of its new tickets; add a team named "support"`},
		{"no team, but new-ticket mail to an address", minimal + "notifications: {events: {new_ticket: {to: [dispatch@example.net]}}}\n", ""},
		{"no team, new-ticket mail off", minimal + "notifications: {events: {new_ticket: {enabled: false}}}\n", ""},
		{"queue named, no team serves it", strings.Replace(served, "    password: ${IMAP_PASSWORD}\n", "    password: ${IMAP_PASSWORD}\n    queue: sales\n", 1),
			`mailboxes[0].queue (line 10): mailbox support feeds queue "sales", which no team serves`},
		{"agents without desk.secrets", served + "agents: [{name: Ann, addresses: [ann@example.com], teams: [support]}]\n",
			"agents (line 11): agents are configured but desk.secrets is empty: deskgate's mail carries no reply tokens, so no agent's reply is ever verified"},
		{"agents with desk.secrets", withSecrets + "agents: [{name: Ann, addresses: [ann@example.com], teams: [support]}]\n", ""},
		{"a calendar nobody uses", served + "calendars: [{name: office, mon: 08:00-17:00}, {name: spare, mon: 09:00-17:00}]\n",
			"calendars[1] (line 11): calendar spare is used by no SLA policy and no team"},
		{"a calendar a team uses", strings.Replace(served, "teams: [{name: support}]", "teams: [{name: support, calendar: spare}]", 1) +
			"calendars: [{name: office, mon: 08:00-17:00}, {name: spare, mon: 09:00-17:00}]\n", ""},
		{"a secret written out", strings.Replace(served, `password: "${SMTP_PASSWORD}"`, `password: "hunter2"`, 1),
			"deskgate.yaml writes out secrets: smtp.password (line 4); write them as ${VAR} references"},
	} {
		got := loadWarnings(t, tc.yaml)
		switch {
		case tc.want == "" && len(got) != 0:
			t.Errorf("%s: Warnings() = %q, want none", tc.name, got)
		case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)):
			t.Errorf("%s: Warnings() = %q, want one with %q", tc.name, got, tc.want)
		}
	}
}

func TestExampleFileWarnsOfNothing(t *testing.T) {
	c, err := Load("../deskgate.example.yaml", env(map[string]string{"IMAP_PASSWORD": "pw", "M365_TOKEN": "tok", "M365_CLIENT_SECRET": "s", "SMTP_PASSWORD": "pw",
		"CRM_WEBHOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		"DESKGATE_SECRET_1":  "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"}))
	if err != nil {
		t.Fatal(err)
	}
	var unworkable []string
	for _, w := range c.Warnings() {
		if !strings.Contains(w, "readable by every user") { // the checkout's mode decides that one
			unworkable = append(unworkable, w)
		}
	}
	if len(unworkable) != 0 {
		t.Errorf("Load(../deskgate.example.yaml) warns %q, want nothing", unworkable)
	}
}
