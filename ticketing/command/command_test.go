package command

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func cmd(name string, line int, raw string, args ...string) Command {
	return Command{Name: name, Args: args, Line: line, Raw: raw}
}

func TestParseCommands(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		text string
		want Command
	}{
		{"#status open", cmd("status", 1, "#status open", "open")},
		{"#status pending", cmd("status", 1, "#status pending", "pending")},
		{"#status resolved", cmd("status", 1, "#status resolved", "resolved")},
		{"#status closed", cmd("status", 1, "#status closed", "closed")},
		{"#status Resolved", cmd("status", 1, "#status Resolved", "resolved")},
		{"#status resolve", cmd("status", 1, "#status resolve", "resolved")},
		{"#status close", cmd("status", 1, "#status close", "closed")},
		{"#status new", cmd("status", 1, "#status new", "new")}, // the caller says which statuses exist
		{"#STATUS closed", cmd("status", 1, "#STATUS closed", "closed")},
		{"#status: resolved", cmd("status", 1, "#status: resolved", "resolved")},
		{"#status:resolved", cmd("status", 1, "#status:resolved", "resolved")},
		{"#open", cmd("status", 1, "#open", "open")},
		{"#pending", cmd("status", 1, "#pending", "pending")},
		{"#resolve", cmd("status", 1, "#resolve", "resolved")},
		{"#resolved", cmd("status", 1, "#resolved", "resolved")},
		{"#close", cmd("status", 1, "#close", "closed")},
		{"#closed", cmd("status", 1, "#closed", "closed")},
		{"#Resolve", cmd("status", 1, "#Resolve", "resolved")},
		{"#priority High", cmd("priority", 1, "#priority High", "High")},
		{"#priority  very   high ", cmd("priority", 1, "#priority  very   high", "very high")},
		{"#impact Medium", cmd("impact", 1, "#impact Medium", "Medium")},
		{"#urgency Urgent", cmd("urgency", 1, "#urgency Urgent", "Urgent")},
		{"#category Billing", cmd("category", 1, "#category Billing", "Billing")},
		{"#category Factory systems", cmd("category", 1, "#category Factory systems", "Factory systems")},
		{"#assign ann@example.com", cmd("assign", 1, "#assign ann@example.com", "ann@example.com")},
		{"#assign <Ann@Example.com>", cmd("assign", 1, "#assign <Ann@Example.com>", "Ann@Example.com")},
		{"#assign me", cmd("assign", 1, "#assign me", "me")},
		{"#assign team:support", cmd("assign", 1, "#assign team:support", "team:support")},
		{"#assign Team:hr", cmd("assign", 1, "#assign Team:hr", "team:hr")},
		{"#assign team: hr", cmd("assign", 1, "#assign team: hr", "team:hr")},
		{"#take", cmd("take", 1, "#take")},
		{"#tag +vip -printer", cmd("tag", 1, "#tag +vip -printer", "+vip", "-printer")},
		{"#tag vip", cmd("tag", 1, "#tag vip", "+vip")},
		{"#tag +vip, -old-printer, floor:3", cmd("tag", 1, "#tag +vip, -old-printer, floor:3", "+vip", "-old-printer", "+floor:3")},
		{"#tag +åtgärd", cmd("tag", 1, "#tag +åtgärd", "+åtgärd")},
		{"#cc +boss@example.com -old@example.com", cmd("cc", 1, "#cc +boss@example.com -old@example.com", "+boss@example.com", "-old@example.com")},
		{"#cc boss@example.com", cmd("cc", 1, "#cc boss@example.com", "+boss@example.com")},
		{"#cc +<boss@example.com>", cmd("cc", 1, "#cc +<boss@example.com>", "+boss@example.com")},
		{"#accept", cmd("accept", 1, "#accept")},
		{"#Accept <ann@example.com>, bo@example.com", cmd("accept", 1, "#Accept <ann@example.com>, bo@example.com", "ann@example.com", "bo@example.com")},
		{"#merge 1234", cmd("merge", 1, "#merge 1234", "1234")},
		{"#merge #1234", cmd("merge", 1, "#merge #1234", "1234")},
		{"#merge 007", cmd("merge", 1, "#merge 007", "7")},
		{"#note", cmd("note", 1, "#note")},
		{"#fwd", cmd("fwd", 1, "#fwd")},
		{"  \t#take  ", cmd("take", 1, "#take")},
		{"\ufeff#take", cmd("take", 1, "#take")},
		{"\n\n  \n#take", cmd("take", 4, "#take")},
	} {
		got := Parse(tc.text)
		want := Parsed{Commands: []Command{tc.want}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Parse(%q) = %+v, want %+v", tc.text, got, want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		text, msg string
	}{
		{"#stauts resolved", "unknown command #stauts; did you mean #status?"},
		{"#staus resolved", "unknown command #staus; did you mean #status?"},
		{"#resovle", "unknown command #resovle; did you mean #resolve?"},
		{"#tga +vip", "unknown command #tga; did you mean #tag?"},
		{"#assing me", "unknown command #assing; did you mean #assign?"},
		{"#hello", "unknown command #hello"},
		{"#x", "unknown command #x"},
		{"#status", "#status: missing argument; usage: #status open|pending|resolved|closed"},
		{"#status resolved now", `#status: unexpected argument "now"; usage: #status open|pending|resolved|closed`},
		{"#resolve now", `#resolve: unexpected argument "now"; usage: #resolve`},
		{"#close it", `#close: unexpected argument "it"; usage: #close`},
		{"#take it", `#take: unexpected argument "it"; usage: #take`},
		{"#fwd please", `#fwd: unexpected argument "please"; usage: #fwd`},
		{"#priority", "#priority: missing argument; usage: #priority <name>"},
		{"#impact", "#impact: missing argument; usage: #impact <level>"},
		{"#urgency  ", "#urgency: missing argument; usage: #urgency <level>"},
		{"#category", "#category: missing argument; usage: #category <name>"},
		{"#assign", "#assign: missing argument; usage: #assign <agent address>|me|team:<name>"},
		{"#assign ann@example.com bob@example.com", `#assign: unexpected argument "bob@example.com"; usage: #assign <agent address>|me|team:<name>`},
		{"#assign team:", "#assign: missing team name after team:; usage: #assign <agent address>|me|team:<name>"},
		{"#tag", "#tag: missing argument; usage: #tag +name -name …"},
		{"#tag +", `#tag: bad tag "+" (a name is letters, digits and - _ . : /, with + or - before it); usage: #tag +name -name …`},
		{"#tag --old", `#tag: bad tag "--old" (a name is letters, digits and - _ . : /, with + or - before it); usage: #tag +name -name …`},
		{"#tag +a -b! c", `#tag: bad tag "-b!" (a name is letters, digits and - _ . : /, with + or - before it); usage: #tag +name -name …`},
		{"#cc", "#cc: missing argument; usage: #cc +address -address …"},
		{"#cc +bob@", `#cc: bad address "+bob@"; usage: #cc +address -address …`},
		{"#accept bob@", `#accept: bad address "bob@"; usage: #accept [address …]`},
		{"#cc +Bob<bob@example.com>", `#cc: bad address "+Bob<bob@example.com>"; usage: #cc +address -address …`},
		{"#merge", "#merge: missing argument; usage: #merge <ticket number>"},
		{"#merge abc", `#merge: bad ticket number "abc"; usage: #merge <ticket number>`},
		{"#merge 0", `#merge: bad ticket number "0"; usage: #merge <ticket number>`},
		{"#merge -5", `#merge: bad ticket number "-5"; usage: #merge <ticket number>`},
		{"#merge +5", `#merge: bad ticket number "+5"; usage: #merge <ticket number>`},
		{"#merge ##5", `#merge: bad ticket number "##5"; usage: #merge <ticket number>`},
		{"#merge 99999999999999999999", `#merge: bad ticket number "99999999999999999999"; usage: #merge <ticket number>`},
		{"#merge 12 13", `#merge: unexpected argument "13"; usage: #merge <ticket number>`},
	} {
		got := Parse(tc.text)
		want := Parsed{Errors: []Error{{Line: 1, Raw: strings.TrimSpace(tc.text), Msg: tc.msg}}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Parse(%q) = %+v, want %+v", tc.text, got, want)
		}
	}
}

func TestParseBlock(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, text string
		want       Parsed
	}{{
		name: "no commands",
		text: "\n\nThanks, it works now.\n\n",
		want: Parsed{Text: "Thanks, it works now."},
	}, {
		name: "empty",
		text: "",
		want: Parsed{},
	}, {
		name: "commands then text",
		text: "#status resolved\n#priority low\n\nThe driver is reinstalled.\n\nAnn\n",
		want: Parsed{
			Commands: []Command{cmd("status", 1, "#status resolved", "resolved"), cmd("priority", 2, "#priority low", "low")},
			Text:     "The driver is reinstalled.\n\nAnn",
		},
	}, {
		name: "text right below the commands",
		text: "#take\nI'll look at it.",
		want: Parsed{Commands: []Command{cmd("take", 1, "#take")}, Text: "I'll look at it."},
	}, {
		name: "blank lines between commands",
		text: "#take\n\n#tag +vip\n\nDone.",
		want: Parsed{Commands: []Command{cmd("take", 1, "#take"), cmd("tag", 3, "#tag +vip", "+vip")}, Text: "Done."},
	}, {
		name: "a command below the text is text",
		text: "#take\nHello,\n#status closed\n",
		want: Parsed{Commands: []Command{cmd("take", 1, "#take")}, Text: "Hello,\n#status closed"},
	}, {
		name: "a number after # ends the block",
		text: "#take\n#1 printer is broken\n#2 scanner too\n#status closed",
		want: Parsed{Commands: []Command{cmd("take", 1, "#take")}, Text: "#1 printer is broken\n#2 scanner too\n#status closed"},
	}, {
		name: "a blank after # ends the block",
		text: "# Heading\n#status closed",
		want: Parsed{Text: "# Heading\n#status closed"},
	}, {
		name: "a lone # ends the block",
		text: "#\n#take",
		want: Parsed{Text: "#\n#take"},
	}, {
		name: "## is text",
		text: "## Steps\n1. reboot",
		want: Parsed{Text: "## Steps\n1. reboot"},
	}, {
		name: "an unknown command does not end the block",
		text: "#stauts resolved\n#take\nHi",
		want: Parsed{
			Commands: []Command{cmd("take", 2, "#take")},
			Text:     "Hi",
			Errors:   []Error{{Line: 1, Raw: "#stauts resolved", Msg: "unknown command #stauts; did you mean #status?"}},
		},
	}, {
		name: "only commands",
		text: "#status pending\n#assign me\n\n\n",
		want: Parsed{Commands: []Command{cmd("status", 1, "#status pending", "pending"), cmd("assign", 2, "#assign me", "me")}},
	}, {
		name: "fwd first",
		text: "#fwd\n#category Billing\n\n---------- Forwarded message ---------\nFrom: A <a@example.com>",
		want: Parsed{
			Commands: []Command{cmd("fwd", 1, "#fwd"), cmd("category", 2, "#category Billing", "Billing")},
			Text:     "---------- Forwarded message ---------\nFrom: A <a@example.com>",
		},
	}, {
		name: "fwd not first",
		text: "#take\n#fwd\nHi",
		want: Parsed{
			Commands: []Command{cmd("take", 1, "#take")},
			Text:     "Hi",
			Errors:   []Error{{Line: 2, Raw: "#fwd", Msg: "#fwd: must be the first command line of the mail; usage: #fwd"}},
		},
	}, {
		name: "fwd after an invalid command",
		text: "#stauts\n#fwd",
		want: Parsed{Errors: []Error{
			{Line: 1, Raw: "#stauts", Msg: "unknown command #stauts; did you mean #status?"},
			{Line: 2, Raw: "#fwd", Msg: "#fwd: must be the first command line of the mail; usage: #fwd"},
		}},
	}, {
		name: "windows line endings",
		text: "#status resolved\r\n#tag +vip\r\n\r\nLine one\r\nLine two\r\n",
		want: Parsed{
			Commands: []Command{cmd("status", 1, "#status resolved", "resolved"), cmd("tag", 2, "#tag +vip", "+vip")},
			Text:     "Line one\nLine two",
		},
	}, {
		name: "old Mac line endings",
		text: "#take\rHello\r",
		want: Parsed{Commands: []Command{cmd("take", 1, "#take")}, Text: "Hello"},
	}, {
		name: "indented text keeps its inner lines",
		text: "#take\n\n   code:\n     x = 1\n",
		want: Parsed{Commands: []Command{cmd("take", 1, "#take")}, Text: "code:\n     x = 1"},
	}, {
		name: "non-breaking space before a command",
		text: "\u00a0#take\n",
		want: Parsed{Commands: []Command{cmd("take", 1, "#take")}},
	}} {
		if got := Parse(tc.text); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: Parse(%q) = %+v, want %+v", tc.name, tc.text, got, tc.want)
		}
	}
}

func TestParseNote(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, text string
		want       Parsed
	}{{
		name: "note alone",
		text: "#note\nThe customer called twice.\n",
		want: Parsed{Commands: []Command{cmd("note", 1, "#note")}, Note: "The customer called twice."},
	}, {
		name: "rest of the line belongs to the note",
		text: "#note called back, no answer\nwill try tomorrow\n",
		want: Parsed{Commands: []Command{cmd("note", 1, "#note called back, no answer")}, Note: "called back, no answer\nwill try tomorrow"},
	}, {
		name: "colon after note",
		text: "#Note: VIP customer",
		want: Parsed{Commands: []Command{cmd("note", 1, "#Note: VIP customer")}, Note: "VIP customer"},
	}, {
		name: "commands then note; commands below the note are note text",
		text: "#status pending\n#note\n\n#status closed\nwaiting for the vendor\n\n",
		want: Parsed{
			Commands: []Command{cmd("status", 1, "#status pending", "pending"), cmd("note", 2, "#note")},
			Note:     "#status closed\nwaiting for the vendor",
		},
	}, {
		name: "note with nothing after it",
		text: "#take\n#note   \n\n",
		want: Parsed{Commands: []Command{cmd("take", 1, "#take"), cmd("note", 2, "#note")}},
	}, {
		name: "note below the public text",
		text: "#status resolved\n\nThe printer works again.\n\n#note replaced the fuser, invoice follows\n",
		want: Parsed{
			Commands: []Command{cmd("status", 1, "#status resolved", "resolved"), cmd("note", 5, "#note replaced the fuser, invoice follows")},
			Text:     "The printer works again.",
			Note:     "replaced the fuser, invoice follows",
		},
	}, {
		name: "note below text without commands",
		text: "Hello,\nfixed.\n  #NOTE\r\nsecret\r\n",
		want: Parsed{Commands: []Command{cmd("note", 3, "#NOTE")}, Text: "Hello,\nfixed.", Note: "secret"},
	}, {
		name: "notes is not note",
		text: "Hello\n#notes are below",
		want: Parsed{Text: "Hello\n#notes are below"},
	}, {
		name: "trailing blanks on the note line",
		text: "#note  x  \t\n",
		want: Parsed{Commands: []Command{cmd("note", 1, "#note  x")}, Note: "x"},
	}} {
		if got := Parse(tc.text); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: Parse(%q) = %+v, want %+v", tc.name, tc.text, got, tc.want)
		}
	}
}

// TestParseOutlookReply is an agent's reply from Outlook after quote
// stripping: CRLF line endings and a blank line after the command.
func TestParseOutlookReply(t *testing.T) {
	t.Parallel()
	text := "#status resolved\r\n\r\nThe driver is reinstalled.\r\n"
	want := Parsed{Commands: []Command{cmd("status", 1, "#status resolved", "resolved")}, Text: "The driver is reinstalled."}
	if got := Parse(text); !reflect.DeepEqual(got, want) {
		t.Errorf("Parse(%q) = %+v, want %+v", text, got, want)
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	h := Help()
	for _, s := range specs {
		found := false
		for _, line := range h {
			found = found || strings.Contains(line, "#"+s.word)
		}
		if !found {
			t.Errorf("Help() = %q, want a line naming #%s", h, s.word)
		}
	}
	h[0] = "changed"
	if Help()[0] == "changed" {
		t.Error("Help() returns its own slice, want a copy")
	}
}

// checkParsed checks the invariants of Parse's result for text.
func checkParsed(t *testing.T, text string, p Parsed) {
	t.Helper()
	norm := normalize(text)
	nLines := strings.Count(norm, "\n") + 1
	if !strings.Contains(norm, p.Text) {
		t.Errorf("Parse(%q).Text = %q, want a substring of the input", text, p.Text)
	}
	if !strings.Contains(norm, p.Note) {
		t.Errorf("Parse(%q).Note = %q, want a substring of the input", text, p.Note)
	}
	if strings.TrimSpace(p.Text) != p.Text || strings.TrimSpace(p.Note) != p.Note {
		t.Errorf("Parse(%q) = Text %q, Note %q, want them trimmed", text, p.Text, p.Note)
	}
	if strings.ContainsRune(p.Text+p.Note, '\r') {
		t.Errorf("Parse(%q) = Text %q, Note %q, want no CR", text, p.Text, p.Note)
	}
	names := map[string]bool{}
	for _, s := range specs {
		names[s.name] = true
	}
	last := 0
	for _, c := range p.Commands {
		if !names[c.Name] || c.Line <= last || c.Line > nLines || !strings.HasPrefix(c.Raw, "#") {
			t.Errorf("Parse(%q) command %+v: bad name, line or raw", text, c)
		}
		last = c.Line
		for _, a := range c.Args {
			if a == "" {
				t.Errorf("Parse(%q) command %+v: empty argument", text, c)
			}
		}
	}
	for _, e := range p.Errors {
		if e.Msg == "" || e.Line < 1 || e.Line > nLines || !utf8.ValidString(e.Msg) && utf8.ValidString(text) {
			t.Errorf("Parse(%q) error %+v: bad line or message", text, e)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"#status resolved\r\n\r\nThe driver is reinstalled.\r\n",
		"#take\n#tag +a -b c\n#cc +x@example.com\n#merge #12\n\nhi\n#note secret",
		"#note: x\n#status closed",
		"#stauts\n#fwd\n#1 item\n",
		"\ufeff\u00a0#assign team: hr\rtext",
		"#",
		"#é",
	} {
		f.Add(s)
	}
	f.Add("#take 123\n#status #7 pending\n#assign 9 team: hr\n\n> digest")
	f.Fuzz(func(t *testing.T, text string) {
		checkParsed(t, text, Parse(text))
		d := ParseDigest(text)
		checkParsed(t, text, d)
		for _, c := range d.Commands {
			if c.Ticket <= 0 || c.Name == "note" || c.Name == "fwd" {
				t.Errorf("ParseDigest(%q) command %+v: want a ticket number, and no #note or #fwd", text, c)
			}
		}
		if d.Note != "" {
			t.Errorf("ParseDigest(%q).Note = %q, want none", text, d.Note)
		}
	})
}

func TestFullwidthNumberSign(t *testing.T) {
	p := Parse("＃status resolved\n\n已修复。\n＃note 内部备注")
	if len(p.Commands) != 2 || p.Commands[0].Name != "status" || p.Text != "已修复。" || p.Note != "内部备注" {
		t.Errorf("Parse(fullwidth #) = %+v, want a status command, the text and an internal note", p)
	}
}
