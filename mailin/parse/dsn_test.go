package parse

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/deskgate/deskgate/ticketing"
)

// dl builds an expected Delivery.
func dl(recipient, action, status, diagnostic string) ticketing.Delivery {
	return ticketing.Delivery{Recipient: recipient, Action: action, Status: status, Diagnostic: diagnostic}
}

// TestDeliveries checks Deliveries for every bounce fixture.
func TestDeliveries(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		file string
		want []ticketing.Delivery
	}{
		{"dsn-postfix.eml", []ticketing.Delivery{dl("nobody@nowhere.example", "failed", "5.1.1", "")}},
		{"dsn-exchange.eml", []ticketing.Delivery{dl("nobody@nowhere.example", "failed", "5.1.10", "")}},
		{"dsn-gmail.eml", []ticketing.Delivery{dl("nobody@nowhere.example", "failed", "5.1.1", "")}},
		// A delay notice whose report says failed (Postfix gives up on a
		// 4.x.x status when the queue lifetime ends): the report decides.
		{"dsn-delay.eml", []ticketing.Delivery{dl("nobody@nowhere.example", "failed", "4.4.1", "")}},
		{"dsn-postfix-user-unknown.eml", []ticketing.Delivery{dl("alice.lost@example.org", "failed", "5.1.1",
			"550 5.1.1 <alice.lost@example.org>: Recipient address rejected: User unknown in virtual mailbox table")}},
		{"dsn-postfix-delayed.eml", []ticketing.Delivery{dl("bob@slow.example.com", "delayed", "4.4.7",
			"connect to mx.slow.example.com[203.0.113.9]:25: Connection timed out")}},
		{"dsn-office365.eml", []ticketing.Delivery{
			dl("john.doe@contoso.com", "failed", "5.1.10",
				"550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient john.doe@contoso.com not found by SMTP address lookup"),
			dl("jane.roe@contoso.com", "failed", "5.2.2",
				"554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded"),
		}},
		{"dsn-base64-no-blank-line.eml", []ticketing.Delivery{
			dl("henry@example.com", "failed", "5.7.1", "550 5.7.1 Message rejected due to content restrictions"),
			dl("ivy@example.com", "delayed", "4.2.2", "452 4.2.2 Mailbox full"),
		}},
		{"dsn-global-utf8.eml", []ticketing.Delivery{
			dl("用户@例子.广告", "failed", "5.1.1", "550 5.1.1 用户不存在 (user unknown)"),
			dl("josé@example.es", "failed", "5.2.1", ""),
		}},
		{"bounce-gmail-text.eml", []ticketing.Delivery{dl("carol@example.com", "failed", "5.1.1",
			"550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the "+
				"recipient's email address for typos or unnecessary spaces. Learn more at "+
				"https://support.google.com/mail/?p=NoSuchUser a1si123456wrb.12 - gsmtp")}},
		{"bounce-qmail-remote.eml", []ticketing.Delivery{
			dl("dave@example.com", "failed", "5.1.1", "550 5.1.1 <dave@example.com>: Recipient address rejected: User unknown"),
			dl("erin@example.net", "failed", "5.1.1", "Sorry, no mailbox here by that name. (#5.1.1)"),
		}},
		{"bounce-qmail.eml", []ticketing.Delivery{dl("nobody@example.com", "failed", "", "Sorry, no mailbox here by that name.")}},
		{"bounce-exim-text.eml", []ticketing.Delivery{
			dl("frank@example.org", "failed", "5.1.1",
				"550 5.1.1 <frank@example.org>: Recipient address rejected: User unknown in local recipient table"),
			dl("grace@unrouteable.example", "failed", "", "Unrouteable address"),
		}},
		{"bounce-exim-no-dsn.eml", []ticketing.Delivery{dl("gone@example.org", "failed", "", "")}},
		{"bounce-content-only.eml", []ticketing.Delivery{dl("nobody@corp.example", "failed", "", "User nobody not listed in Domino Directory")}},
	} {
		raw, err := os.ReadFile(filepath.Join("testdata", "eml", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		in, err := Message(raw, Options{})
		if err != nil || in.Class != ticketing.ClassBounce {
			t.Errorf("Message(%s) = class %s, %v; want a bounce", tt.file, in.Class, err)
			continue
		}
		if !slices.Equal(in.Deliveries, tt.want) {
			t.Errorf("Message(%s).Deliveries = %+v, want %+v", tt.file, in.Deliveries, tt.want)
		}
	}
}

func TestDeliveryStatus(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		body    string
		warning bool
		want    []ticketing.Delivery
	}{{
		name: "CRLF, folded, comments",
		body: "Reporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: RFC822; <A.User@Example.COM>\r\nAction: Failed (bad mailbox)\r\n" +
			"Status: 5.1.1 (user unknown)\r\nDiagnostic-Code: SMTP; 550 5.1.1\r\n\t<a.user@example.com>... User unknown\r\n",
		want: []ticketing.Delivery{dl("a.user@example.com", "failed", "5.1.1", "550 5.1.1 <a.user@example.com>... User unknown")},
	}, {
		name: "original recipient preferred, xtext decoded, plus-address kept",
		body: "Reporting-MTA: dns; mx\n\nOriginal-Recipient: rfc822;desk+2Babc=2Bx+2Bdef@example.com\nFinal-Recipient: rfc822; mailbox@internal.example\n" +
			"Action: failed\nStatus: 5.2.2\n\nOriginal-Recipient: rfc822;desk+abc@example.com\nFinal-Recipient: rfc822;desk@example.com\nAction: delivered\nStatus: 2.0.0\n",
		want: []ticketing.Delivery{dl("desk+abc=2bx+def@example.com", "failed", "5.2.2", ""), dl("desk+abc@example.com", "delivered", "2.0.0", "")},
	}, {
		name: "no blank lines at all",
		body: "Reporting-MTA: dns; mx\nFinal-Recipient: rfc822; a@example.com\nAction: failed\nStatus: 5.1.1\n" +
			"Final-Recipient: rfc822; b@example.com\nAction: delayed\nStatus: 4.4.1\n",
		want: []ticketing.Delivery{dl("a@example.com", "failed", "5.1.1", ""), dl("b@example.com", "delayed", "4.4.1", "")},
	}, {
		name: "original recipient of the next block without a blank line",
		body: "Final-Recipient: rfc822; a@example.com\nAction: failed\nStatus: 5.1.1\nOriginal-Recipient: rfc822; b@example.com\n" +
			"Final-Recipient: rfc822; b@example.com\nAction: failed\nStatus: 5.1.2\n",
		want: []ticketing.Delivery{dl("a@example.com", "failed", "5.1.1", ""), dl("b@example.com", "failed", "5.1.2", "")},
	}, {
		name: "action in the per-message block is ignored",
		body: "Reporting-MTA: dns; boxbe.com\nAction: failed\n\nFinal-Recipient: rfc822; c@example.net\nStatus: 4.7.0\n",
		want: []ticketing.Delivery{dl("c@example.net", "delayed", "4.7.0", "")},
	}, {
		name: "status from the diagnostic, action from the status",
		body: "Final-Recipient: rfc822; d@example.org\nDiagnostic-Code: smtp; 552 5.2.2 Mailbox full\n",
		want: []ticketing.Delivery{dl("d@example.org", "failed", "5.2.2", "552 5.2.2 Mailbox full")},
	}, {
		name: "basic reply code as status",
		body: "Final-Recipient: rfc822; e@example.org\nStatus: 550\n",
		want: []ticketing.Delivery{dl("e@example.org", "failed", "5.0.0", "")},
	}, {
		name:    "neither action nor status in a delay warning",
		body:    "Final-Recipient: rfc822; f@example.org\n",
		warning: true,
		want:    []ticketing.Delivery{dl("f@example.org", "delayed", "", "")},
	}, {
		name: "delayed never permanent",
		body: "Final-Recipient: rfc822; g@example.org\nAction: delayed\nStatus: 5.4.7\n",
		want: []ticketing.Delivery{dl("g@example.org", "delayed", "", "")},
	}, {
		name: "repeated address type",
		body: "Final-Recipient: rfc822; rfc822;fred.bloggs@example.net\nAction: failed\n",
		want: []ticketing.Delivery{dl("fred.bloggs@example.net", "failed", "", "")},
	}, {
		name: "utf-8 address type with escapes",
		body: "Final-Recipient: utf-8; \\x{5F20}\\x{4F1F}@example.cn\nAction: failed\nStatus: 5.1.1\n",
		want: []ticketing.Delivery{dl("张伟@example.cn", "failed", "5.1.1", "")},
	}, {
		name: "no recipient",
		body: "Reporting-MTA: dns; mx.example\nArrival-Date: Mon, 16 Dec 2019 14:12:15 +0100\n",
		want: nil,
	}, {
		name: "not an address",
		body: "Final-Recipient: X400; /C=SE/ADMD=x/\nAction: failed\nStatus: 5.1.1\n",
		want: []ticketing.Delivery{dl("", "failed", "5.1.1", "")},
	}} {
		if got := deliveryStatus([]byte(tt.body), tt.warning); !slices.Equal(got, tt.want) {
			t.Errorf("deliveryStatus(%s) = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// TestTextDeliveries covers the text forms of reports without a
// delivery-status part, and text that must not yield a recipient.
func TestTextDeliveries(t *testing.T) {
	t.Parallel()
	const head = "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\nTo: support@desk.example\r\n"
	for _, tt := range []struct {
		name, subject, body string
		want                []ticketing.Delivery
	}{{
		name:    "postfix text",
		subject: "Undelivered Mail Returned to Sender",
		body: "This is the mail system at host mx.example.net.\n\n<kim@example.org>: host mx.example.org[192.0.2.4] said: 450\n" +
			"    4.1.1 <kim@example.org>: Recipient address rejected: User unknown (in reply to RCPT TO command)\n",
		want: []ticketing.Delivery{dl("kim@example.org", "failed", "4.1.1",
			"450 4.1.1 <kim@example.org>: Recipient address rejected: User unknown (in reply to RCPT TO command)")},
	}, {
		name:    "basic reply code only",
		subject: "Undelivered Mail Returned to Sender",
		body:    "This is the mail system at host mx.example.net.\n\n<lee@example.org>: host mx.example.org[192.0.2.4] said: 550 No such user here\n",
		want:    []ticketing.Delivery{dl("lee@example.org", "failed", "5.0.0", "550 No such user here")},
	}, {
		name:    "exim delay warning",
		subject: "Warning: message 1tV3aB-000XyZ-0C delayed 24 hours",
		body: "This message was created automatically by mail delivery software.\nA message that you sent has not yet been delivered to one or more of its\n" +
			"recipients after more than 24 hours on the queue on mx.example.net.\n\nThe addresses to which the message has not yet been delivered are:\n\n" +
			"  max@example.com\n    Delay reason: SMTP error from remote mail server after RCPT TO:<max@example.com>:\n" +
			"    host mx.example.com [192.0.2.9]: 452 4.2.2 Over quota\n\nNo action is required on your part.\n",
		want: []ticketing.Delivery{dl("max@example.com", "delayed", "4.2.2", "452 4.2.2 Over quota")},
	}, {
		name:    "exchange 2003 text",
		subject: "Undeliverable: Printer",
		body: "Your message\n\n  To:      nina@example.com\n  Subject: Printer\n\ndid not reach the following recipient(s):\n\n" +
			"nina@example.com on 1/7/2025 10:00 AM\n    The e-mail account does not exist at the organization this message was sent to.\n" +
			"    <mx.example.com #5.1.1 smtp;550 5.1.1 User unknown>\n",
		want: []ticketing.Delivery{dl("nina@example.com", "failed", "5.1.1", "550 5.1.1 User unknown")},
	}, {
		name:    "own addresses and contacts are not recipients",
		subject: "Undelivered Mail Returned to Sender",
		body: "Your message to the following recipients could not be delivered:\n\nsupport@desk.example\npostmaster@mx.example.net\n\n" +
			"Please contact postmaster@mx.example.net for help, or send mail to helpdesk@isp.example.\n\n" +
			"For questions about this report, write to:\nnoc@isp.example\n",
		want: nil,
	}, {
		name:    "copy of the message is not read",
		subject: "failure notice",
		body: "Hi. This is the qmail-send program at mx.example.net.\n\n--- Below this line is a copy of the message.\n\n" +
			"To: <oscar@example.com>\n<oscar@example.com>:\n550 5.1.1 <oscar@example.com>... User unknown\n",
		want: nil,
	}} {
		raw := head + "Subject: " + tt.subject + "\r\n\r\n" + tt.body
		in, err := Message([]byte(raw), Options{})
		if err != nil || in.Class != ticketing.ClassBounce {
			t.Errorf("Message(%s) = class %s, %v; want a bounce", tt.name, in.Class, err)
			continue
		}
		if !slices.Equal(in.Deliveries, tt.want) {
			t.Errorf("Message(%s).Deliveries = %+v, want %+v", tt.name, in.Deliveries, tt.want)
		}
	}
}

func TestFindCodes(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		s, enhanced, reply string
	}{
		{"said: 550 5.1.1 <a@b>", "5.1.1", "550"},
		{"550-5.1.1 The email account", "5.1.1", "550"},
		{"Sorry, no mailbox here by that name. (#5.1.1)", "5.1.1", ""},
		{"host mx.example.org [192.0.2.80]", "", ""},
		{"client 10.5.1.1 rejected, port 25", "", ""},
		{"Exim 4.96 version 4.2.1.3", "", ""},
		{"Status: 4.4.7.", "4.4.7", ""},
		{"<<< 452 4.2.2 Over quota", "4.2.2", "452"},
		{"5.1.10 RESOLVER.ADR.RecipientNotFound", "5.1.10", ""},
		{"error 5500 and 55", "", ""},
	} {
		if got, _ := findEnhancedCode(tt.s); got != tt.enhanced {
			t.Errorf("findEnhancedCode(%q) = %q, want %q", tt.s, got, tt.enhanced)
		}
		if got, _ := findReplyCode(tt.s); got != tt.reply {
			t.Errorf("findReplyCode(%q) = %q, want %q", tt.s, got, tt.reply)
		}
	}
}

func FuzzDeliveryStatus(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "eml", "dsn-*.eml"))
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		if i := strings.Index(string(raw), "Reporting-MTA"); i >= 0 {
			f.Add(raw[i:], false)
		}
	}
	f.Add([]byte("Final-Recipient: utf-8; \\x{5F20}\\x{4F1F\nAction: failed\r\n\r\n\tStatus: 5.1.1\n"), true)
	f.Add([]byte("Original-Recipient: rfc822;a+2B+FF+00@b\nFinal-Recipient: rfc822;<a@b\nDiagnostic-Code: smtp;"), false)
	f.Fuzz(func(t *testing.T, body []byte, warning bool) {
		got := deliveryStatus(body, warning)
		if len(got) > maxDeliveries {
			t.Errorf("deliveryStatus(%q) returned %d reports, want at most %d", body, len(got), maxDeliveries)
		}
		for _, d := range got {
			if !slices.Contains(dsnActions, d.Action) || d.Recipient != strings.ToLower(d.Recipient) ||
				len(d.Diagnostic) > maxDiagnostic || d.Action == "delayed" && d.Permanent() {
				t.Errorf("deliveryStatus(%q) = %+v, want a valid action, a lower-case recipient, a short diagnostic "+
					"and no permanent delay", body, d)
			}
			if _, ok := enhancedCode(d.Status); d.Status != "" && !ok {
				t.Errorf("deliveryStatus(%q) = %+v, want an enhanced status code or none", body, d)
			}
			if bad := invalidStrings(ticketing.Inbound{Subject: d.Recipient + d.Diagnostic}); bad != "" {
				t.Errorf("deliveryStatus(%q): %s", body, bad)
			}
		}
	})
}
