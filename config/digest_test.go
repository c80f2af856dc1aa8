package config

import (
	"testing"
	"time"
)

func TestDigestDefaults(t *testing.T) {
	c, err := Parse([]byte(minimal), "deskgate.yaml", testEnv)
	if err != nil {
		t.Fatal(err)
	}
	if c.Digest != (Digest{Time: "08:00", DueWithin: 4 * time.Hour}) {
		t.Errorf("Parse(minimal).Digest = %+v, want 08:00 and 4h", c.Digest)
	}
	yaml := minimal + "teams: [{name: it, digest: true}, {name: hr}]\n" +
		"agents:\n  - {name: A, addresses: [a@example.com], teams: [hr]}\n  - {name: B, addresses: [b@example.com], teams: [hr, it]}\n" +
		"  - {name: C, addresses: [c@example.com], digest: true}\n" +
		"digest: {time: \"07:30\", due_within: 2h}\n"
	c, err = Parse([]byte(yaml), "deskgate.yaml", testEnv)
	if err != nil {
		t.Fatal(err)
	}
	if c.Digest != (Digest{Time: "07:30", DueWithin: 2 * time.Hour}) {
		t.Errorf("Digest = %+v, want 07:30 and 2h", c.Digest)
	}
	for i, want := range []bool{false, true, true} {
		if got := c.DigestFor(&c.Agents[i]); got != want {
			t.Errorf("DigestFor(%s) = %v, want %v (on for the agent or one of their teams)", c.Agents[i].Name, got, want)
		}
	}
}

func TestDigestProblems(t *testing.T) {
	for _, tt := range []struct {
		name, yaml string
		want       []string
	}{
		{"time not HH:MM", "digest: {time: 8am}\n", []string{"10:16: digest.time: must be a local time HH:MM from 00:00 to 23:59, such as 08:00"}},
		{"time 24:00", "digest: {time: \"24:00\"}\n", []string{"10:16: digest.time: must be a local time HH:MM from 00:00 to 23:59, such as 08:00"}},
		{"empty time", "digest: {time: \"\"}\n", []string{"10:16: digest.time: must not be empty"}},
		{"due_within too short", "digest: {due_within: 30s}\n", []string{"10:22: digest.due_within: must be at least 1m"}},
		{"due_within too long", "digest: {due_within: 2000h}\n", []string{"10:22: digest.due_within: must be at most 720h"}},
		{"digest not a boolean", "teams: [{name: it, digest: yes please}]\n", []string{"10:28: teams[0].digest: must be true or false"}},
	} {
		t.Run(tt.name, func(t *testing.T) { checkProblems(t, minimal+tt.yaml, tt.want) })
	}
}
