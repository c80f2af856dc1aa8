package command

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseForward(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, text string
		want       Forward
	}{{
		name: "Gmail, English",
		text: "#fwd\n\n---------- Forwarded message ---------\nFrom: Alice Example <alice@example.com>\n" +
			"Date: Mon, Jan 6, 2025 at 9:12 AM\nSubject: Printer on 3rd floor\nTo: Ann Agent <ann@desk.example>\n\n\n" +
			"Hi Ann,\n\nthe printer is jammed again.\n\nAlice\n",
		want: Forward{"Alice Example", "alice@example.com", "Printer on 3rd floor", "Hi Ann,\n\nthe printer is jammed again.\n\nAlice"},
	}, {
		name: "Gmail, Swedish",
		text: "#fwd\r\n\r\n---------- Vidarebefordrat meddelande ---------\r\nFrån: Åsa Öberg <asa.oberg@example.se>\r\n" +
			"Date: mån 6 jan. 2025 kl. 09:12\r\nSubject: Fakturan\r\nTo: Ann <ann@desk.example>\r\n\r\n\r\nHej!\r\nFakturan är fel.\r\n",
		want: Forward{"Åsa Öberg", "asa.oberg@example.se", "Fakturan", "Hej!\nFakturan är fel."},
	}, {
		name: "Gmail, Danish",
		text: "#fwd\n---------- Videresendt besked ----------\nFra: Søren Jensen <soren@example.dk>\n" +
			"Date: man. 6. jan. 2025 kl. 09.12\nSubject: Løn\nTo: Ann <ann@desk.example>\n\nHej, min løn mangler.\n",
		want: Forward{"Søren Jensen", "soren@example.dk", "Løn", "Hej, min løn mangler."},
	}, {
		name: "Gmail, Chinese",
		text: "#fwd\n\n---------- Forwarded message ---------\n发件人： 张伟 <zhang.wei@example.cn>\n" +
			"Date: 2025年1月6日周一 09:12\nSubject: 账户无法登录\nTo: Ann <ann@desk.example>\n\n\n你好，我的账户还是无法登录。\n",
		want: Forward{"张伟", "zhang.wei@example.cn", "账户无法登录", "你好，我的账户还是无法登录。"},
	}, {
		name: "Outlook, English",
		text: "#fwd\r\n#category Billing\r\n\r\n________________________________\r\nFrom: Alice Example <alice@example.com>\r\n" +
			"Sent: Monday, January 6, 2025 9:12 AM\r\nTo: Ann Agent <ann@desk.example>\r\nSubject: Invoice 2025-001\r\n\r\n" +
			"Hello,\r\nthe invoice is wrong.\r\n",
		want: Forward{"Alice Example", "alice@example.com", "Invoice 2025-001", "Hello,\nthe invoice is wrong."},
	}, {
		name: "Outlook, Original Message and mailto",
		text: "#fwd\n\n-----Original Message-----\nFrom: Alice Example [mailto:alice@example.com]\n" +
			"Sent: Monday, January 6, 2025 9:12 AM\nTo: Ann Agent\nCc: Bob <bob@example.com>\nSubject: RE: VPN\n\nStill broken.\n",
		want: Forward{"Alice Example", "alice@example.com", "RE: VPN", "Still broken."},
	}, {
		name: "Outlook, rendered from HTML with mailto links and bold labels",
		text: "#fwd\n\n*From:* Lindqvist, Anna <anna.lindqvist@contoso.com<mailto:anna.lindqvist@contoso.com>>\n" +
			"*Sent:* Monday, January 6, 2025 9:12 AM\n*To:* Ann <ann@desk.example<mailto:ann@desk.example>>\n*Subject:* Access\n\nPlease unlock.\n",
		want: Forward{"Lindqvist, Anna", "anna.lindqvist@contoso.com", "Access", "Please unlock."},
	}, {
		name: "Outlook, Swedish",
		text: "#fwd\n\nFrån: Lindqvist, Anna <anna.lindqvist@contoso.com>\nSkickat: den 6 januari 2025 09:12\n" +
			"Till: Ann <ann@desk.example>\nÄmne: Fråga om fakturan\n\nJag har fått en faktura.\n",
		want: Forward{"Lindqvist, Anna", "anna.lindqvist@contoso.com", "Fråga om fakturan", "Jag har fått en faktura."},
	}, {
		name: "Outlook, Danish",
		text: "#fwd\n\nFra: Søren Jensen <soren@example.dk>\nSendt: 6. januar 2025 09:12\nTil: Ann <ann@desk.example>\n" +
			"Emne: Levering af pakke\n\nPakken er ikke kommet.\n",
		want: Forward{"Søren Jensen", "soren@example.dk", "Levering af pakke", "Pakken er ikke kommet."},
	}, {
		name: "Outlook, Chinese",
		text: "#fwd\n\n发件人: 张伟 <zhang.wei@example.cn>\n发送时间: 2025年1月6日 9:12\n收件人: Ann <ann@desk.example>\n" +
			"抄送: 李娜 <li.na@example.cn>\n主题: 关于发票的问题\n\n发票金额不对。\n",
		want: Forward{"张伟", "zhang.wei@example.cn", "关于发票的问题", "发票金额不对。"},
	}, {
		name: "Apple Mail, English",
		text: "#fwd\n\nBegin forwarded message:\n\nFrom: Alice Example <alice@example.com>\nSubject: Laptop battery\n" +
			"Date: 6 January 2025 at 09:12:00 CET\nTo: Ann <ann@desk.example>\n\nMy MacBook battery drains in two hours.\n\n",
		want: Forward{"Alice Example", "alice@example.com", "Laptop battery", "My MacBook battery drains in two hours."},
	}, {
		name: "Apple Mail, quoted",
		text: "#fwd\n\nBegin forwarded message:\n\n> From: \"Example, Alice\" <alice@example.com>\n> Subject: Laptop battery\n" +
			"> Date: 6 January 2025 at 09:12:00 CET\n> To: Ann <ann@desk.example>\n> \n> My battery drains.\n> > older quote\n> \n> Alice\n",
		want: Forward{"Example, Alice", "alice@example.com", "Laptop battery", "My battery drains.\n> older quote\n\nAlice"},
	}, {
		name: "Apple Mail, Swedish",
		text: "#fwd\n\nVidarebefordrat brev:\n\nFrån: Åsa Öberg <asa@example.se>\nÄmne: Fakturan\n" +
			"Datum: 6 januari 2025 09:12:00 CET\nTill: Ann <ann@desk.example>\n\nHej!\n",
		want: Forward{"Åsa Öberg", "asa@example.se", "Fakturan", "Hej!"},
	}, {
		name: "Apple Mail, Chinese",
		text: "#fwd\n\n转发的邮件：\n\n发件人: 张伟 <zhang.wei@example.cn>\n主题: 账户无法登录\n" +
			"日期: 2025年1月6日 GMT+8 09:12:00\n收件人: Ann <ann@desk.example>\n\n请帮忙。\n",
		want: Forward{"张伟", "zhang.wei@example.cn", "账户无法登录", "请帮忙。"},
	}, {
		name: "Thunderbird, English",
		text: "#fwd\n\n\n-------- Forwarded Message --------\nSubject: \tdisk full on build server\n" +
			"Date: \tMon, 6 Jan 2025 09:12:00 +0100\nFrom: \tBob Builder <bob@example.org>\nTo: \tAnn <ann@desk.example>\n\n\n\n" +
			"/var on build01 is at 100%.\n",
		want: Forward{"Bob Builder", "bob@example.org", "disk full on build server", "/var on build01 is at 100%."},
	}, {
		name: "Thunderbird, Danish",
		text: "#fwd\n\n-------- Videresendt meddelelse --------\nEmne: \tLøn\nDato: \tMon, 6 Jan 2025 09:12:00 +0100\n" +
			"Fra: \tSøren Jensen <soren@example.dk>\nTil: \tAnn <ann@desk.example>\n\nHej.\n",
		want: Forward{"Søren Jensen", "soren@example.dk", "Løn", "Hej."},
	}, {
		name: "Thunderbird, Chinese",
		text: "#fwd\n\n-------- 转发的消息 --------\n主题：\t账户无法登录\n日期：\tMon, 6 Jan 2025 09:12:00 +0800\n" +
			"发件人：\t张伟 <zhang.wei@example.cn>\n收件人：\tAnn <ann@desk.example>\n\n请帮忙。\n",
		want: Forward{"张伟", "zhang.wei@example.cn", "账户无法登录", "请帮忙。"},
	}, {
		name: "bare address, no subject",
		text: "#fwd\nFrom: alice@example.com\nTo: ann@desk.example\n\nhi",
		want: Forward{"", "alice@example.com", "", "hi"},
	}, {
		name: "text before the block, no #fwd line",
		text: "Please handle this.\nNote: customer is VIP\n\n---------- Forwarded message ---------\n" +
			"From: <alice@example.com>\nDate: Mon, Jan 6, 2025\nSubject: x\nTo: <ann@desk.example>\n\nbody",
		want: Forward{"", "alice@example.com", "x", "body"},
	}, {
		name: "the first block counts",
		text: "#fwd\nFrom: Alice <alice@example.com>\nSent: today\nSubject: Re: x\n\nyes\n\n" +
			"From: Bob <bob@example.com>\nSent: yesterday\nSubject: x\n\nquestion",
		want: Forward{"Alice", "alice@example.com", "Re: x", "yes\n\nFrom: Bob <bob@example.com>\nSent: yesterday\nSubject: x\n\nquestion"},
	}} {
		got, ok := ParseForward(tc.text)
		if !ok || got != tc.want {
			t.Errorf("%s: ParseForward(%q) = %+v, %v, want %+v, true", tc.name, tc.text, got, ok, tc.want)
		}
	}
}

func TestParseForwardNone(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, text string }{
		{"empty", ""},
		{"no block", "#fwd\n\nPlease look at this.\n"},
		{"a reply, not a forward", "#fwd\nOn Mon, Jan 6, 2025 at 9:12 AM Alice <alice@example.com> wrote:\n> hi"},
		{"From alone", "#fwd\nFrom: Alice <alice@example.com>\n\nhi"},
		{"Exchange sender without address", "#fwd\nFrom: Alice Example\nSent: Monday\nTo: Ann Agent\nSubject: x\n\nhi"},
		{"labels in the #fwd line only", "#fwd From: a@example.com"},
	} {
		if got, ok := ParseForward(tc.text); ok {
			t.Errorf("%s: ParseForward(%q) = %+v, true, want false", tc.name, tc.text, got)
		}
	}
}

func FuzzParseForward(f *testing.F) {
	f.Add("#fwd\n\n---------- Forwarded message ---------\nFrom: A <a@example.com>\nDate: x\nSubject: s\nTo: b@example.com\n\nbody")
	f.Add("> > 发件人：\t张伟 <z@example.cn>\n> > 主题：\tx\n> > body")
	f.Add("*From:* Anna <anna@contoso.com<mailto:anna@contoso.com>>\n*Sent:* x\r\n\r\nhi")
	f.Add("From: Alice [mailto:alice@example.com]\nSent: x\n")
	f.Fuzz(func(t *testing.T, text string) {
		fw, ok := ParseForward(text)
		if !ok {
			if fw != (Forward{}) {
				t.Errorf("ParseForward(%q) = %+v, false, want a zero Forward", text, fw)
			}
			return
		}
		if !strings.Contains(fw.FromAddress, "@") {
			t.Errorf("ParseForward(%q).FromAddress = %q, want an address", text, fw.FromAddress)
		}
		if strings.TrimSpace(fw.Body) != fw.Body || strings.ContainsRune(fw.Body, '\r') {
			t.Errorf("ParseForward(%q).Body = %q, want it trimmed, without CR", text, fw.Body)
		}
		if utf8.ValidString(text) && !utf8.ValidString(fw.FromName+fw.FromAddress+fw.Subject+fw.Body) {
			t.Errorf("ParseForward(%q) = %+v, want valid UTF-8", text, fw)
		}
	})
}
