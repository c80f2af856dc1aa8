package quote

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/microcosm-cc/bluemonday"
)

const (
	marker    = "## Reply above this line (ref 7F3K) ##"
	oldMarker = "## Reply above this line (ref 2B9Q) ##"
)

// markers are deskgate's markers in the languages it writes.
var markers = []string{
	"##- Please type your reply above this line -##",
	"##- Skriv ditt svar ovanför den här raden -##",
	"##- Skriv dit svar over denne linje -##",
	"##- 请在此行上方输入您的回复 -##",
}

var textTests = []struct {
	name string
	body string
	opts Options
	want string
}{
	// Clients.
	{
		name: "gmail top-posted",
		body: "Thanks, that fixed it.\n\nOn Fri, Jan 5, 2024 at 10:00 AM Acme Support <support@acme.example> wrote:\n\n" +
			"> Hi Anna,\n>\n> Please try restarting the router.\n",
		want: "Thanks, that fixed it.",
	},
	{
		name: "gmail attribution wrapped over two lines",
		body: "Works now.\n\nOn Fri, Jan 5, 2024 at 10:00 AM Acme Support Team <\nsupport@acme.example> wrote:\n\n> Please try again.\n",
		want: "Works now.",
	},
	{
		name: "gmail attribution without quote prefixes",
		body: "Done.\n\nOn Fri, Jan 5, 2024 at 10:00 AM Acme Support <support@acme.example> wrote:\nPlease confirm.\n",
		want: "Done.",
	},
	{
		name: "thunderbird text with signature",
		body: "Hi,\n\nthe log file is attached.\n\n-- \nAnna Svensson\nExempel AB\n\n" +
			"On 05/01/2024 10:00, Acme Support wrote:\n> Could you send us the log file?\n",
		want: "Hi,\n\nthe log file is attached.",
	},
	{
		name: "outlook plain text header block",
		body: "Hi,\r\n\r\nThe invoice is attached.\r\n\r\nRegards,\r\nBob\r\n\r\n________________________________\r\n" +
			"From: Acme Support <support@acme.example>\r\nSent: Friday, January 5, 2024 10:00 AM\r\n" +
			"To: Bob Jones <bob@example.com>\r\nSubject: RE: Invoice\r\n\r\nHi Bob, could you send the invoice?\r\n",
		want: "Hi,\n\nThe invoice is attached.\n\nRegards,\nBob",
	},
	{
		name: "outlook original message",
		body: "Please close the ticket.\n\n-----Original Message-----\nFrom: Acme Support [mailto:support@acme.example]\n" +
			"Sent: Friday, January 05, 2024 10:00 AM\nTo: Bob\nSubject: Ticket\n\nIs the problem solved?\n",
		want: "Please close the ticket.",
	},
	{
		name: "outlook express original message",
		body: "Sounds good.\n\n----- Original Message ----- \nFrom: \"Acme Support\" <support@acme.example>\nTo: <bob@example.com>\n" +
			"Sent: Friday, January 05, 2024 10:00 AM\nSubject: Meeting\n\n> Meet on Tuesday?\n",
		want: "Sounds good.",
	},
	{
		name: "owa bold header labels",
		body: "Approved.\n\n________________________________\n*From:* Acme Support <support@acme.example>\n*Sent:* Friday, January 5, 2024 10:00\n" +
			"*To:* Bob\n*Subject:* Approval\n\nPlease approve.\n",
		want: "Approved.",
	},
	{
		name: "iphone",
		body: "Yes please.\n\nSent from my iPhone\n\n> On 5 Jan 2024, at 10:00, Acme Support <support@acme.example> wrote:\n>\n> Shall we schedule a call?\n",
		want: "Yes please.",
	},
	{
		name: "ipad in swedish",
		body: "Ja tack.\n\nSkickat från min iPad\n\n> 5 jan. 2024 kl. 10:00 skrev Acme Support <support@acme.example>:\n>\n> Ska vi boka ett möte?\n",
		want: "Ja tack.",
	},
	{
		name: "android gmail app",
		body: "Ok\n\nOn Fri, 5 Jan 2024, 10:00 Acme Support, <support@acme.example> wrote:\n\n> Did that help?\n",
		want: "Ok",
	},
	{
		name: "android samsung",
		body: "Ok, thanks\n\n\n\nSent from my Galaxy\n\n\n-------- Original message --------\nFrom: Acme Support <support@acme.example>\n" +
			"Date: 05/01/2024 10:00 (GMT+01:00)\nTo: bob@example.com\nSubject: Update\n\nDid that help?\n",
		want: "Ok, thanks",
	},
	{
		name: "yahoo text",
		body: "Please cancel my order.\n\n    On Friday, January 5, 2024, 10:00:00 AM GMT+1, Acme Support <support@acme.example> wrote:\n\n Your order has shipped.\n",
		want: "Please cancel my order.",
	},
	{
		name: "mutt bottom-posted",
		body: "* Acme Support <support@acme.example> [2024-01-05 10:00]:\n> Which version are you running?\n\n" +
			"Version 4.2.1 on Debian 12.\n\n-- \nDan\n",
		want: "Version 4.2.1 on Debian 12.",
	},
	{
		name: "gnus writes",
		body: "Acme Support <support@acme.example> writes:\n\n> Which version?\n\n4.2.1\n",
		want: "4.2.1",
	},
	{
		name: "horde quoting",
		body: "Fixed.\n\nQuoting Acme Support <support@acme.example>:\n\n> Is it fixed?\n",
		want: "Fixed.",
	},
	{
		name: "thunderbird short attribution",
		body: "Acme Support wrote:\n> Is it fixed?\n\nYes.\n",
		want: "Yes.",
	},
	{
		name: "spanish outlook header block",
		body: "Gracias.\n\nDe: Acme Support <support@acme.example>\nEnviado el: sábado, 20 de febrero de 2016 20:42\nPara: Hotel\nAsunto: Reserva\n\nTexto\n",
		want: "Gracias.",
	},
	{
		name: "interleaved",
		body: "On Fri, Jan 5, 2024 at 10:00 AM Acme Support <support@acme.example> wrote:\n> Which version are you running?\n\n4.2.1\n\n" +
			"> Does it happen every time?\n\nOnly after a reboot.\n\n> Kind regards,\n> Acme Support\n",
		want: "4.2.1\n\nOnly after a reboot.",
	},
	{
		name: "interleaved with signature after",
		body: "Hi,\n\n> Which version?\n4.2.1\n> And the OS?\nDebian 12\n\n-- \nDan\n",
		want: "Hi,\n\n4.2.1\nDebian 12",
	},
	{
		name: "nested quotes",
		body: "Agreed.\n\n> > Earlier text\n> Later text\n>> more\n",
		want: "Agreed.",
	},

	// Attribution languages.
	{
		name: "swedish",
		body: "Tack!\n\nDen 5 jan. 2024 kl. 10:00 skrev Acme Support <support@acme.example>:\n\n> Ärendet är löst.\n",
		want: "Tack!",
	},
	{
		name: "danish",
		body: "Tak!\n\nDen fre. 5. jan. 2024 kl. 10.00 skrev Acme Support <support@acme.example>:\n\n> Sagen er løst.\n",
		want: "Tak!",
	},
	{
		name: "german",
		body: "Danke!\n\nAm Fr., 5. Jan. 2024 um 10:00 Uhr schrieb Acme Support <support@acme.example>:\n\n> Der Fall ist gelöst.\n",
		want: "Danke!",
	},
	{
		name: "german thunderbird",
		body: "Danke!\n\nAcme Support schrieb am 05.01.2024 um 10:00:\n> Der Fall ist gelöst.\n",
		want: "Danke!",
	},
	{
		name: "french with no-break space",
		body: "Merci !\n\nLe ven. 5 janv. 2024 à 10:00, Acme Support <support@acme.example> a écrit\u00a0:\n\n> Le dossier est clos.\n",
		want: "Merci !",
	},
	{
		name: "spanish",
		body: "¡Gracias!\n\nEl vie, 5 ene 2024 a las 10:00, Acme Support (<support@acme.example>) escribió:\n\n> El caso está resuelto.\n",
		want: "¡Gracias!",
	},
	{
		name: "dutch",
		body: "Bedankt!\n\nOp vr 5 jan 2024 om 10:00 schreef Acme Support <support@acme.example>:\n\n> De zaak is opgelost.\n",
		want: "Bedankt!",
	},
	{
		name: "dutch apple mail",
		body: "Bedankt!\n\nOp 5 jan. 2024 om 10:00 heeft Acme Support <support@acme.example> het volgende geschreven:\n\n> De zaak is opgelost.\n",
		want: "Bedankt!",
	},
	{
		name: "chinese",
		body: "谢谢！\n\n在 2024年1月5日 星期五 10:00，Acme Support <support@acme.example> 写道：\n\n> 问题已解决。\n",
		want: "谢谢！",
	},
	{
		name: "chinese gmail",
		body: "谢谢！\n\nAcme Support <support@acme.example> 于2024年1月5日周五 10:00写道:\n\n> 问题已解决。\n",
		want: "谢谢！",
	},
	{
		name: "traditional chinese gmail",
		body: "謝謝！\n\nAcme Support <support@acme.example> 於 2024年1月5日 週五 上午10:00寫道：\n\n> 問題已解決。\n",
		want: "謝謝！",
	},

	// Localised separators and header blocks.
	{
		name: "german header block",
		body: "Danke.\n\nVon: Acme Support <support@acme.example>\nGesendet: Freitag, 5. Januar 2024 10:00\nAn: Hans Müller\nBetreff: Lieferung\n\nIhre Lieferung ist unterwegs.\n",
		want: "Danke.",
	},
	{
		name: "swedish header block",
		body: "Tack.\n\nFrån: Acme Support <support@acme.example>\nSkickat: den 5 januari 2024 10:00\nTill: Anna\nÄmne: Leverans\n\nDin leverans är på väg.\n",
		want: "Tack.",
	},
	{
		name: "danish header block",
		body: "Tak.\n\nFra: Acme Support <support@acme.example>\nSendt: 5. januar 2024 10:00\nTil: Anders\nEmne: Levering\n\nDin levering er på vej.\n",
		want: "Tak.",
	},
	{
		name: "french header block",
		body: "Merci.\n\nDe : Acme Support <support@acme.example>\nEnvoyé : vendredi 5 janvier 2024 10:00\nÀ : Jean\nObjet : Livraison\n\nVotre colis est en route.\n",
		want: "Merci.",
	},
	{
		name: "spanish header block",
		body: "Gracias.\n\nDe: Acme Support <support@acme.example>\nEnviado: viernes, 5 de enero de 2024 10:00\nPara: Juan\nAsunto: Envío\n\nSu paquete está en camino.\n",
		want: "Gracias.",
	},
	{
		name: "chinese header block",
		body: "谢谢。\n\n发件人: Acme Support <support@acme.example>\n发送时间: 2024年1月5日 10:00\n收件人: 张三\n主题: 发货\n\n您的包裹已发出。\n",
		want: "谢谢。",
	},
	{name: "german separator", body: "Danke.\n\n-----Ursprüngliche Nachricht-----\nVon: Acme\n\nText\n", want: "Danke."},
	{name: "french separator", body: "Merci.\n\n-----Message d'origine-----\nDe : Acme\n\nTexte\n", want: "Merci."},
	{name: "spanish separator", body: "Gracias.\n\n-----Mensaje original-----\nDe: Acme\n\nTexto\n", want: "Gracias."},
	{name: "swedish separator", body: "Tack.\n\n-----Ursprungligt meddelande-----\nFrån: Acme\n\nText\n", want: "Tack."},
	{name: "danish separator", body: "Tak.\n\n-----Oprindelig meddelelse-----\nFra: Acme\n\nTekst\n", want: "Tak."},
	{name: "chinese separator", body: "谢谢。\n\n-----原始邮件-----\n发件人: Acme\n\n正文\n", want: "谢谢。"},
	{name: "foxmail separator", body: "谢谢。\n\n------------------ 原始邮件 ------------------\n发件人: Acme\n\n正文\n", want: "谢谢。"},

	// Signatures.
	{
		name: "signature separator",
		body: "See you then.\n\n-- \nBob Jones\nExample Ltd\n+44 20 7946 0000\n",
		want: "See you then.",
	},
	{
		name: "short signature after bare dashes",
		body: "See you then.\n--\nBob\n",
		want: "See you then.",
	},
	{
		name: "bare dashes before long text stay",
		body: "Part one.\n--\n" + strings.Repeat("More detail.\n", 11),
		want: "Part one.\n--\n" + strings.TrimSuffix(strings.Repeat("More detail.\n", 11), "\n"),
	},
	{name: "sent from mail for windows", body: "Fine.\n\nSent from Mail for Windows\n", want: "Fine."},
	{name: "danish iphone", body: "Fint.\n\nSendt fra min iPhone\n", want: "Fint."},
	{name: "german iphone", body: "Gut.\n\nVon meinem iPhone gesendet\n", want: "Gut."},
	{name: "french iphone", body: "Bien.\n\nEnvoyé de mon iPhone\n", want: "Bien."},
	{name: "spanish iphone", body: "Bien.\n\nEnviado desde mi iPhone\n", want: "Bien."},
	{name: "chinese iphone", body: "好的。\n\n发自我的iPhone\n", want: "好的。"},
	{name: "outlook mobile", body: "Sure.\n\nGet Outlook for Android<https://aka.ms/ghei36>\n", want: "Sure."},
	{name: "outlook ios", body: "Sure.\n\nGet Outlook for iOS\n________________________________\nFrom: Acme\nSent: today\nTo: me\n\nHi", want: "Sure."},

	// deskgate's marker.
	{
		name: "marker",
		body: "Thanks!\n\n" + marker + "\nHi Anna, your ticket was updated.\n",
		opts: Options{Markers: []string{marker}},
		want: "Thanks!",
	},
	{
		name: "marker quoted with older marker further down",
		body: "Great.\n\nOn Fri, Jan 5, 2024 at 10:00 AM Acme Support <support@acme.example> wrote:\n> " + marker +
			"\n> Your ticket was updated.\n>\n> On Thu, Jan 4, 2024 at 9:00 AM Anna <anna@example.com> wrote:\n>> " + oldMarker + "\n",
		opts: Options{Markers: []string{marker}},
		want: "Great.",
	},
	{
		name: "older marker only",
		body: "Still broken.\n\n" + oldMarker + "\nHi Anna, your ticket was updated.\n",
		opts: Options{Markers: []string{marker}},
		want: "Still broken.\n\n" + oldMarker + "\nHi Anna, your ticket was updated.",
	},
	{
		name: "marker before any quote",
		body: "Answer here.\n" + marker + "\nHi Anna,\n\nPlease reply.\n\n" +
			"On Thu, Jan 4, 2024 at 9:00 AM Anna <anna@example.com> wrote:\n> Interleaved?\nNo.\n",
		opts: Options{Markers: []string{marker}},
		want: "Answer here.",
	},
	{
		name: "marker wins over interleaved quote above it",
		body: "> question\nanswer\n\n" + marker + "\nmore\n",
		opts: Options{Markers: []string{marker}},
		want: "answer",
	},
	{
		name: "marker with extra spaces",
		body: "Ok.\n\n##  Reply above this line (ref 7F3K)  ##\nHi\n",
		opts: Options{Markers: []string{marker}},
		want: "Ok.",
	},

	// deskgate's markers in several languages.
	{
		name: "english marker of several",
		body: "Thanks, it works now.\n\n" + markers[0] + "\n\nHi Anna, your ticket [#1234] was updated.\n",
		opts: Options{Markers: markers},
		want: "Thanks, it works now.",
	},
	{
		name: "swedish marker",
		body: "Tack, nu fungerar det.\n\n" + markers[1] + "\nHej Anna, ditt ärende [#1234] har uppdaterats.\n",
		opts: Options{Markers: markers},
		want: "Tack, nu fungerar det.",
	},
	{
		name: "danish marker with no-break and doubled spaces",
		body: "Tak, det virker nu.\r\n\r\n##-  Skriv dit svar\u00a0over denne linje -##\r\nHej Søren, din sag er opdateret.\r\n",
		opts: Options{Markers: markers},
		want: "Tak, det virker nu.",
	},
	{
		name: "chinese marker",
		body: "谢谢，问题已经解决了。\n\n" + markers[3] + "\n您好，您的工单已更新。\n",
		opts: Options{Markers: markers},
		want: "谢谢，问题已经解决了。",
	},
	{
		name: "chinese marker with ideographic space",
		body: "好的。\n##-\u3000请在此行上方输入您的回复\u3000-##\n您好\n",
		opts: Options{Markers: markers},
		want: "好的。",
	},
	{
		name: "first marker of any language cuts",
		body: "Fixed.\n\n" + markers[1] + "\nHej!\n\n> " + markers[0] + "\n> Hi!\n",
		opts: Options{Markers: markers},
		want: "Fixed.",
	},
	{
		name: "marker quoted by the client",
		body: "Still broken.\n\nOn Tue, Jan 7, 2025 at 10:00 AM Support <support@desk.example> wrote:\n> " + markers[0] +
			"\n> Hi Anna, your ticket was updated.\n",
		opts: Options{Markers: markers},
		want: "Still broken.",
	},
	{
		name: "marker of a language not listed is text",
		body: "Done.\n\n" + markers[2] + "\nHej\n",
		opts: Options{Markers: markers[:2]},
		want: "Done.\n\n" + markers[2] + "\nHej",
	},
	{
		name: "empty markers are ignored",
		body: "a\n\n \nb\n",
		opts: Options{Markers: []string{"", " \t"}},
		want: "a\n\n \nb",
	},

	// Never empty.
	{name: "only quote", body: "> quoted\n> text\n", want: "> quoted\n> text"},
	{name: "only signature", body: "\n\n-- \nBob\n\n", want: "-- \nBob"},
	{name: "marker first", body: marker + "\nHi\n", opts: Options{Markers: []string{marker}}, want: marker + "\nHi"},
	{name: "only mobile signature", body: "Sent from my iPhone", want: "Sent from my iPhone"},
	{name: "empty", body: "", want: ""},
	{name: "white space", body: " \n\t\n", want: ""},

	// Formatting.
	{
		name: "internal formatting kept",
		body: "\n\nSteps:\n\n\n  1. open\n  2. close\n\nBob   \n\n\n",
		want: "Steps:\n\n\n  1. open\n  2. close\n\nBob",
	},

	// False positives.
	{
		name: "from line in prose",
		body: "Hi,\n\nFrom: the accounting team\nWe need the figures by Friday.\nTo: do this, open the report.\n",
		want: "Hi,\n\nFrom: the accounting team\nWe need the figures by Friday.\nTo: do this, open the report.",
	},
	{
		name: "wrote in prose",
		body: "As the customer wrote: the export fails.\nOn Monday he wrote:\nit fails again.\n",
		want: "As the customer wrote: the export fails.\nOn Monday he wrote:\nit fails again.",
	},
	{
		name: "colon line above quote without attribution shape",
		body: "Here is the error message:\n> disk full\n",
		want: "Here is the error message:",
	},
	{
		name: "address above quote without attribution shape",
		body: "Please forward this to support@acme.example:\n> Error 42\n",
		want: "Please forward this to support@acme.example:",
	},
	{
		name: "rewrote is no attribution verb",
		body: "I rewrote the config as follows:\n> listen 8080\n",
		want: "I rewrote the config as follows:",
	},
	{
		name: "sent from in the middle",
		body: "Sent from my iPhone\nbut the mail never arrived.\n",
		want: "Sent from my iPhone\nbut the mail never arrived.",
	},
	{
		name: "date and to lines without from",
		body: "Date: 2024-01-05\nTo: all staff\nSubject: outage\n",
		want: "Date: 2024-01-05\nTo: all staff\nSubject: outage",
	},
	{
		name: "leave request with from and to",
		body: "Leave request\nFrom: 5 January\nTo: 12 January\nReason: holiday\n",
		want: "Leave request\nFrom: 5 January\nTo: 12 January\nReason: holiday",
	},
	{
		name: "dashes in text",
		body: "a -- b\n---\nc\n",
		want: "a -- b\n---\nc",
	},
}

func TestText(t *testing.T) {
	for _, tt := range textTests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text(tt.body, tt.opts); got != tt.want {
				t.Errorf("Text(%q, %+v) = %q, want %q", tt.body, tt.opts, got, tt.want)
			}
		})
	}
}

var htmlTests = []struct {
	name string
	file string // in testdata; used when body is empty
	body string
	opts Options
	want string
}{
	{name: "gmail", file: "gmail.html", want: "Thanks, the reset worked.\n\nAnna"},
	{name: "gmail with marker", file: "gmail.html", opts: Options{Markers: []string{marker}}, want: "Thanks, the reset worked.\n\nAnna"},
	{name: "gmail signature", file: "gmail_signature.html", want: "Ich habe das Formular ausgefüllt."},
	{name: "apple mail", file: "apple.html", want: "Yes, Tuesday works.\n\nErik"},
	{name: "thunderbird", file: "thunderbird.html", want: "Hi,\n\nthe log file is attached."},
	{name: "thunderbird interleaved", file: "thunderbird_interleaved.html", want: "4.2.1\n\nOnly after a reboot."},
	{name: "outlook desktop", file: "outlook_desktop.html", want: "Hi,\n\nPlease find the report attached.\n\nKind regards,\nBob"},
	{name: "outlook divRplyFwdMsg", file: "outlook_rplyfwd.html", want: "Thanks, received.\n\nBob Jones | Example Ltd"},
	{name: "owa sanitised german", file: "owa_sanitized.html", want: "Danke, das hat geholfen!"},
	{name: "yahoo", file: "yahoo.html", want: "Please cancel my order.\n\nMaria"},
	{
		name: "marker in html",
		body: `<div>Fixed, thanks.</div><div><br></div><div style="color:#999">` + marker + `</div><div>Hi Anna, ticket updated.</div>`,
		opts: Options{Markers: []string{marker}},
		want: "Fixed, thanks.",
	},
	{
		name: "older marker in html quote",
		body: `<p>Still broken.</p><blockquote><p>` + oldMarker + `</p><p>Ticket updated.</p></blockquote><p>Anna</p>`,
		opts: Options{Markers: []string{marker}},
		want: "Still broken.\n\nAnna",
	},
	{
		name: "swedish marker in a plain blockquote",
		body: `<div>Tack, nu fungerar det.</div><blockquote style="margin:0 0 0 .8ex;border-left:1px #ccc solid;padding-left:1ex">` +
			`<div>` + markers[1] + `</div><div>Hej Anna, ditt ärende har uppdaterats.</div><div>Support</div></blockquote><div>Anna</div>`,
		opts: Options{Markers: markers},
		want: "Tack, nu fungerar det.",
	},
	{
		name: "danish marker in a gmail quote",
		body: `<div dir="ltr">Tak, det virker nu.<div><br></div><div>Søren</div></div><br><div class="gmail_quote">` +
			`<div dir="ltr" class="gmail_attr">Den tirs. 7. jan. 2025 kl. 10.00 skrev Support &lt;<a href="mailto:support@desk.example">` +
			`support@desk.example</a>&gt;:<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid ` +
			`rgb(204,204,204);padding-left:1ex"><div>` + markers[2] + `</div><div>Hej Søren, din sag [#1234] er blevet opdateret.</div>` +
			`</blockquote></div>`,
		opts: Options{Markers: markers},
		want: "Tak, det virker nu.\n\nSøren",
	},
	{
		name: "danish marker in a sanitised gmail quote",
		body: `<div>Tak, det virker nu.<div><br></div><div>Søren</div></div><br><div><div>Den tirs. 7. jan. 2025 kl. 10.00 skrev ` +
			`Support &lt;<a href="mailto:support@desk.example">support@desk.example</a>&gt;:<br></div><blockquote><div>` + markers[2] +
			`</div><div>Hej Søren, din sag [#1234] er blevet opdateret.</div></blockquote></div>`,
		opts: Options{Markers: markers},
		want: "Tak, det virker nu.\n\nSøren",
	},
	{
		name: "chinese marker with nbsp in html",
		body: `<p>谢谢，已经好了。</p><p>##-&nbsp;请在此行上方输入您的回复&nbsp;-##</p><p>您好，您的工单已更新。</p>`,
		opts: Options{Markers: markers},
		want: "谢谢，已经好了。",
	},
	{
		name: "english marker split by inline formatting",
		body: `<p>Done.</p><p><span>##- Please type your reply</span> <b>above this line -##</b></p><p>Hi Anna</p>`,
		opts: Options{Markers: markers},
		want: "Done.",
	},
	{
		name: "blockquote cite attribute only",
		body: `<p>Agreed.</p><blockquote TYPE="CITE"><p>Shall we?</p></blockquote>`,
		want: "Agreed.",
	},
	{
		name: "indent blockquote kept",
		body: `<div>Please run:</div><blockquote style="margin:0 0 0 40px;border:none;padding:0px"><div>sudo systemctl restart app</div></blockquote>`,
		want: "Please run:\n\n    sudo systemctl restart app",
	},
	{
		name: "from in prose",
		body: `<p><b>From:</b> the accounting team</p><p>We need the figures.</p>`,
		want: "From: the accounting team\n\nWe need the figures.",
	},
	{
		name: "pre kept",
		body: "<pre>line 1\n  line 2</pre>",
		want: "line 1\n  line 2",
	},
	{name: "only quote", body: `<div class="gmail_quote">Quoted only</div>`, want: "Quoted only"},
	{name: "no text", body: `<img src="cid:logo">`, want: ""},
	{name: "script and style ignored", body: `<style>p{}</style><script>x()</script><p>Hi &amp; bye</p>`, want: "Hi & bye"},
}

func TestHTML(t *testing.T) {
	for _, tt := range htmlTests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.body
			if tt.file != "" {
				body = readSample(t, tt.file)
			}
			if got := HTML(body, tt.opts); got != tt.want {
				t.Errorf("HTML(%s, %+v) = %q, want %q", tt.name, tt.opts, got, tt.want)
			}
		})
	}
}

// TestHTMLSanitised checks the client samples after bluemonday's UGC
// policy, which drops class, id, style and type attributes: the text rules
// must still find the quotes.
func TestHTMLSanitised(t *testing.T) {
	policy := bluemonday.UGCPolicy()
	for _, tt := range []struct{ file, want string }{
		{"gmail.html", "Thanks, the reset worked.\n\nAnna"},
		{"apple.html", "Yes, Tuesday works.\n\nErik"},
		{"thunderbird.html", "Hi,\n\nthe log file is attached."},
		{"thunderbird_interleaved.html", "4.2.1\n\nOnly after a reboot."},
		{"outlook_desktop.html", "Hi,\n\nPlease find the report attached.\n\nKind regards,\nBob"},
		{"outlook_rplyfwd.html", "Thanks, received.\n\nBob Jones | Example Ltd"},
		{"yahoo.html", "Please cancel my order.\n\nMaria"},
	} {
		body := policy.Sanitize(readSample(t, tt.file))
		if got := HTML(body, Options{}); got != tt.want {
			t.Errorf("HTML(sanitised %s) = %q, want %q", tt.file, got, tt.want)
		}
	}
}

func readSample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
