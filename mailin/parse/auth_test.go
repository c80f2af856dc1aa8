package parse

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-msgauth/authres"

	"github.com/deskgate/deskgate/ticketing"
)

func ar(servID, dmarc, from string, dkim ...string) ticketing.AuthResult {
	return ticketing.AuthResult{ServID: servID, DMARC: dmarc, DMARCFrom: from, DKIMPass: dkim}
}

func TestAuthResultsFixtures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file, subject string
		want          []ticketing.AuthResult
	}{{
		// Received by Gmail: header.i only, a quoted header.b, comments;
		// ARC-Authentication-Results is another field and not read.
		file: "auth-gmail.eml", subject: "Printer on 3rd floor",
		want: []ticketing.AuthResult{ar("mx.google.com", "pass", "example.com", "example.com")},
	}, {
		// Received by Microsoft 365: no authserv-id, ";" without a blank.
		file: "auth-m365.eml", subject: "VPN access locked",
		want: []ticketing.AuthResult{ar("", "pass", "contoso.com", "contoso.com")},
	}, {
		// The sender put a field claiming our server below the one our
		// server added; both are kept, ours first.
		file: "auth-forged-below.eml", subject: "Re: [#1234] Printer on 3rd floor",
		want: []ticketing.AuthResult{
			ar("mx.desk.example", "fail", "desk.example", "evil.example"),
			ar("mx.desk.example", "pass", "desk.example", "desk.example"),
		},
	}, {
		// A spoofed From: dmarc=fail; only the passing signature counts.
		file: "auth-dmarc-fail.eml", subject: "Your account is limited",
		want: []ticketing.AuthResult{ar("mx.google.com", "fail", "paypal.example", "mailer.evil.example")},
	}, {
		// An empty field and an unsupported version are skipped; blanks
		// around "=", a method version, a bad arc result, a stray word, a
		// ")" quoted inside a comment and an unterminated comment do not
		// lose the rest.
		file: "auth-malformed.eml", subject: "Odd authentication results",
		want: []ticketing.AuthResult{
			ar("mx.desk.example", "pass", "example.org", "example.org"),
			ar("mx.third.example", "", "", "example.org"),
			ar("mx.fourth.example", "", ""),
		},
	}} {
		raw, err := os.ReadFile(filepath.Join("testdata", "eml", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		in, err := Message(raw, Options{DeskAddresses: []string{"support@desk.example"}})
		if err != nil {
			t.Errorf("Message(%s) error = %v", tc.file, err)
			continue
		}
		if !reflect.DeepEqual(in.AuthResults, tc.want) {
			t.Errorf("Message(%s).AuthResults = %+v, want %+v", tc.file, in.AuthResults, tc.want)
		}
		if in.Class != ticketing.ClassHuman || in.Subject != tc.subject || strings.TrimSpace(in.Text) == "" {
			t.Errorf("Message(%s) = class %s, subject %q, text %q; want human, %q, some text", tc.file, in.Class, in.Subject, in.Text, tc.subject)
		}
		if bad := invalidStrings(in); bad != "" {
			t.Errorf("Message(%s): %s", tc.file, bad)
		}
		if bad := badAuthResults(in.AuthResults); bad != "" {
			t.Errorf("Message(%s): %s", tc.file, bad)
		}
	}
}

func TestAuthResult(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		value string
		want  ticketing.AuthResult
		ok    bool
	}{
		{"mx.example.com; dmarc=pass header.from=example.com; dkim=pass header.d=example.com", ar("mx.example.com", "pass", "example.com", "example.com"), true},
		{"MX.Example.COM 1; DMARC=PASS header.from=EXAMPLE.com", ar("mx.example.com", "pass", "example.com"), true},
		{`"mx.example.com"; dmarc=pass header.from=example.com`, ar("mx.example.com", "pass", "example.com"), true},
		{"mx.example.com (our MTA) 1 (v1); dmarc=none header.from=example.com", ar("mx.example.com", "none", "example.com"), true},
		{"mx.example.com; none", ar("mx.example.com", "", ""), true},
		{"mx.example.com", ar("mx.example.com", "", ""), true},
		// Microsoft 365 writes no authserv-id.
		{"spf=pass (sender IP is 1.2.3.4) smtp.mailfrom=example.com; dkim=pass (signature was verified) header.d=example.com;dmarc=pass action=none header.from=example.com;compauth=pass reason=100",
			ar("", "pass", "example.com", "example.com"), true},
		{"dkim=none (message not signed) header.d=none;dmarc=none action=none header.from=example.com;",
			ar("", "none", "example.com"), true},
		{"dmarc=fail;dkim=pass header.d=example.com", ar("", "fail", "", "example.com"), true},
		{"; dmarc=pass header.from=example.com", ar("", "pass", "example.com"), true},
		// Gmail names the signer by header.i only.
		{"mx.google.com; dkim=pass header.i=@Example.com header.s=s header.b=abc", ar("mx.google.com", "", "", "example.com"), true},
		{"mx; dkim=pass header.i=user@sub.example.com", ar("mx", "", "", "sub.example.com"), true},
		{"mx; dkim=pass header.d=a.example header.i=@sub.b.example", ar("mx", "", "", "a.example"), true},
		{"mx; dkim=pass header.s=s", ar("mx", "", ""), true},
		{"mx; dkim=pass header.d=a.example; dkim=pass header.d=A.example; dkim=fail header.d=c.example; dkim=neutral header.d=d.example; dkim=pass header.d=b.example",
			ar("mx", "", "", "a.example", "b.example"), true},
		// Several dmarc results: a later one contradicting a pass counts.
		{"mx; dmarc=pass header.from=a.example; dmarc=fail header.from=b.example", ar("mx", "fail", "b.example"), true},
		{"mx; dmarc=fail header.from=a.example; dmarc=pass header.from=b.example", ar("mx", "fail", "a.example"), true},
		{"mx; dmarc=pass header.from=a.example; dmarc=pass header.from=b.example", ar("mx", "pass", "a.example"), true},
		// What the sender controls inside comments and quoted strings
		// never becomes a result.
		{`mx.google.com; spf=pass (google.com: domain of "x; dmarc=pass header.from=bank.example"@evil.example designates 1.2.3.4 as permitted sender) smtp.mailfrom="x; dmarc=pass header.from=bank.example"@evil.example; dmarc=fail (p=REJECT) header.from=bank.example`,
			ar("mx.google.com", "fail", "bank.example"), true},
		{`mx; spf=pass (domain of "a) ; dmarc=pass header.from=bank.example ; x=("@evil.example) smtp.mailfrom=a@evil.example; dmarc=fail header.from=bank.example`,
			ar("mx", "fail", "bank.example"), true},
		{`mx; dkim=pass (good (nested; dmarc=pass) comment) header.d=a.example; dmarc=fail header.from=a.example`,
			ar("mx", "fail", "a.example", "a.example"), true},
		{`mx; dkim=pass reason="ok; dkim=pass header.d=bank.example" header.d=a.example`, ar("mx", "", "", "a.example"), true},
		{`mx; dkim=pass header.d=a.example (comment \) dmarc=pass) ; dmarc=fail`, ar("mx", "fail", "", "a.example"), true},
		// What authres cannot read on its own.
		{"mx; dmarc = pass header.from = Example.org", ar("mx", "pass", "example.org"), true},
		{"mx; dkim/1=pass header.d=example.org", ar("mx", "", "", "example.org"), true},
		{"mx; arc=pass header.oldest-pass=0; dmarc=pass header.from=example.org", ar("mx", "pass", "example.org"), true},
		{"mx; garbage; dmarc=pass header.from=example.org", ar("mx", "pass", "example.org"), true},
		{"mx; dkim=pass header.d=example.org; dmarc=pass (unterminated header.from=x", ar("mx", "pass", "", "example.org"), true},
		{"mx; dmarc=pass header.from=\"unterminated", ar("mx", "pass", ""), true},
		// Skipped fields.
		{"", ticketing.AuthResult{}, false},
		{"   ", ticketing.AuthResult{}, false},
		{"(only a comment)", ticketing.AuthResult{}, false},
		{"mx.example.com 2; dmarc=pass header.from=example.com", ticketing.AuthResult{}, false},
		{"mx.example.com garbage; dmarc=pass", ticketing.AuthResult{}, false},
		{"mx\x00.example.com; dmarc=pass", ticketing.AuthResult{}, false},
		// Bytes that are not UTF-8 or are control characters are replaced.
		{"mx.\xffexample; dmarc=pass header.from=a\x01b", ar("mx.\ufffdexample", "pass", "a"), true},
	} {
		got, ok := authResult(tc.value)
		if ok != tc.ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("authResult(%q) = %+v, %v, want %+v, %v", tc.value, got, ok, tc.want, tc.ok)
		}
	}
}

// TestAuthresQuirks pins down the go-msgauth v0.7.0 behaviour authResult
// works around; if authres changes, the workarounds may be revisited.
func TestAuthresQuirks(t *testing.T) {
	t.Parallel()
	// Microsoft 365's field: the first result is taken for the
	// authserv-id, and its properties for an unsupported version.
	m365 := "spf=pass (sender IP is 1.2.3.4) smtp.mailfrom=example.com; dmarc=pass action=none header.from=example.com"
	if id, res, err := authres.Parse(m365); err == nil || len(res) != 0 {
		t.Errorf("authres.Parse(%q) = %q, %d results, %v; want an error and no results", m365, id, len(res), err)
	}
	// Semicolons in comments split results: text from the sender
	// becomes a dmarc=pass.
	forged := `mx; spf=pass (domain of "x; dmarc=pass header.from=bank.example"@evil.example) smtp.mailfrom=x; dmarc=fail header.from=bank.example`
	_, res, _ := authres.Parse(forged)
	if len(res) < 2 {
		t.Fatalf("authres.Parse(%q) = %d results, want the injected one", forged, len(res))
	}
	if d, ok := res[1].(*authres.DMARCResult); !ok || d.Value != authres.ResultPass {
		t.Errorf("authres.Parse(%q) result 1 = %#v, want the injected dmarc=pass", forged, res[1])
	}
	// One unreadable result ends the parse.
	_, res, err := authres.Parse("mx; garbage; dmarc=pass header.from=example.org")
	if err == nil || len(res) != 0 {
		t.Errorf("authres.Parse(garbage first) = %d results, %v; want an error and no results", len(res), err)
	}
}

func TestAuthResultsOrderAndLimit(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := range 20 {
		fmt.Fprintf(&b, "Authentication-Results: mx%d.example;\r\n dmarc=pass header.from=example.com\r\n", i)
		if i == 3 {
			b.WriteString("Received: from somewhere\r\nAuthentication-Results: mx.example 9; dmarc=pass\r\n")
		}
	}
	b.WriteString("From: a@example.com\r\nSubject: many\r\n\r\nbody\r\n")
	in, err := Message([]byte(b.String()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range in.AuthResults {
		ids = append(ids, r.ServID)
	}
	var want []string
	for i := range maxAuthFields {
		want = append(want, fmt.Sprintf("mx%d.example", i))
	}
	if !reflect.DeepEqual(ids, want) {
		t.Errorf("Message(20 fields).AuthResults servids = %q, want %q", ids, want)
	}
	in, err = Message([]byte("From: a@example.com\r\nSubject: none\r\n\r\nbody\r\n"), Options{})
	if err != nil || in.AuthResults != nil {
		t.Errorf("Message(no fields).AuthResults = %+v, %v, want nil", in.AuthResults, err)
	}
}

// badAuthResults describes the first AuthResult that breaks the
// invariants (at most maxAuthFields, lower case, valid UTF-8 without
// control characters, no empty DKIM domain), or returns "".
func badAuthResults(rs []ticketing.AuthResult) string {
	if len(rs) > maxAuthFields {
		return fmt.Sprintf("%d AuthResults, want at most %d", len(rs), maxAuthFields)
	}
	for i, r := range rs {
		ss := append([]string{r.ServID, r.DMARC, r.DMARCFrom}, r.DKIMPass...)
		for j, s := range ss {
			bad := !utf8.ValidString(s) || s != strings.ToLower(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 ||
				strings.TrimSpace(s) != s || j >= 3 && s == ""
			if bad {
				return fmt.Sprintf("AuthResults[%d] = %+v: %q is not clean lower-case text", i, r, s)
			}
		}
		if len(r.DKIMPass) > maxDKIMPass {
			return fmt.Sprintf("AuthResults[%d] has %d DKIM domains, want at most %d", i, len(r.DKIMPass), maxDKIMPass)
		}
	}
	return ""
}

func FuzzAuthResult(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "eml", "auth-*.eml"))
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		in, _ := splitHeader(raw)
		for _, v := range in.Values("Authentication-Results") {
			f.Add(v)
		}
	}
	f.Add(`mx; spf=pass (domain of "a) ; dmarc=pass ; x=("@e.example) smtp.mailfrom=a; dkim/1 = pass header.i=@x`)
	f.Fuzz(func(t *testing.T, value string) {
		r, ok := authResult(value)
		if !ok && !reflect.DeepEqual(r, ticketing.AuthResult{}) {
			t.Errorf("authResult(%q) = %+v, false, want a zero AuthResult", value, r)
		}
		if bad := badAuthResults([]ticketing.AuthResult{r}); bad != "" {
			t.Errorf("authResult(%q): %s", value, bad)
		}
	})
}
