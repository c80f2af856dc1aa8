package command

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseDigest(t *testing.T) {
	t.Parallel()
	tc := func(name string, ticket int64, line int, raw string, args ...string) Command {
		c := cmd(name, line, raw, args...)
		c.Ticket = ticket
		return c
	}
	p := ParseDigest("#take 123\n\n#status #124 pending\n#Resolve 7\n#assign 9 team: hr\n#priority 12 very  high\n#tag 5 +vpn -old\n#merge 12 #34\n\nThanks\n> digest")
	want := []Command{
		tc("take", 123, 1, "#take 123"),
		tc("status", 124, 3, "#status #124 pending", "pending"),
		tc("status", 7, 4, "#Resolve 7", "resolved"),
		tc("assign", 9, 5, "#assign 9 team: hr", "team:hr"),
		tc("priority", 12, 6, "#priority 12 very  high", "very high"),
		tc("tag", 5, 7, "#tag 5 +vpn -old", "+vpn", "-old"),
		tc("merge", 12, 8, "#merge 12 #34", "34"),
	}
	if !reflect.DeepEqual(p.Commands, want) || len(p.Errors) != 0 || p.Text != "Thanks\n> digest" || p.Note != "" {
		t.Errorf("ParseDigest = %+v\nwant commands %+v and the text", p, want)
	}
	for _, c := range Parse("#take\n#status pending").Commands {
		if c.Ticket != 0 {
			t.Errorf("Parse(...) command %+v: Ticket %d, want 0 in a reply about one ticket", c, c.Ticket)
		}
	}
}

func TestParseDigestErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ text, msg string }{
		{"#take", "#take: missing argument: the ticket number; usage: #take <ticket number>"},
		{"#status pending", `#status: bad ticket number "pending"; usage: #status <ticket number> open|pending|resolved|closed`},
		{"#status 12", "#status: missing argument; usage: #status <ticket number> open|pending|resolved|closed"},
		{"#take 12 13", `#take: unexpected argument "13"; usage: #take <ticket number>`},
		{"#take 0", `#take: bad ticket number "0"; usage: #take <ticket number>`},
		{"#take x12", `#take: bad ticket number "x12"; usage: #take <ticket number>`},
		{"#note 12", "#note: not in a reply to a digest: reply to a mail about the ticket to write a note"},
		{"#fwd", "#fwd: not in a reply to a digest: forward the mail to the desk with #fwd on top"},
		{"#stauts 12 open", "unknown command #stauts; did you mean #status?"},
	} {
		p := ParseDigest(tc.text)
		if len(p.Commands) != 0 || len(p.Errors) != 1 || p.Errors[0].Msg != tc.msg || p.Errors[0].Line != 1 {
			t.Errorf("ParseDigest(%q) = %+v, want one error %q", tc.text, p, tc.msg)
		}
	}
	// A #note further down is text like any other: nothing is relayed
	// from a reply to a digest.
	if p := ParseDigest("#take 1\n\nok\n#note x"); p.Note != "" || len(p.Commands) != 1 || !strings.HasSuffix(p.Text, "#note x") {
		t.Errorf("ParseDigest with a #note below the text = %+v, want it part of the text", p)
	}
}
