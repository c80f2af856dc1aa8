// Package mailgen generates realistic, deterministic email for benchmarks
// and load tests: mixed sizes, languages and charsets, some with large
// attachments, each message unique.
package mailgen

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"mime"
	"mime/quotedprintable"
	"strings"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Options shape a generated backlog.
type Options struct {
	Seed uint64
	// AttachmentEvery gives every n-th message an attachment of
	// AttachmentSize bytes (default every 10th, 200 KB).
	AttachmentEvery int
	AttachmentSize  int
	To              string // default help@desk.example
}

type language struct {
	tag      string
	charset  string
	enc      encoding.Encoding // nil for UTF-8
	names    []string
	subjects []string
	lines    []string
}

var languages = []language{
	{"en", "utf-8", nil, []string{"Alice Johnson", "Mark O'Neill", "Priya Patel"},
		[]string{"Printer jams on every job", "Cannot connect to VPN", "Laptop will not boot", "Password reset needed"},
		[]string{"Since this morning nothing works as it should.", "I have tried restarting twice already.", "Several colleagues on my floor see the same.", "Could you please take a look as soon as possible?"}},
	{"sv", "iso-8859-1", charmap.ISO8859_1, []string{"Åsa Lindström", "Göran Öberg"},
		[]string{"Skrivaren på plan 3 fungerar inte", "Kan inte logga in på VPN", "Lösenordet har gått ut"},
		[]string{"Sedan i morse får jag ett felmeddelande.", "Jag har startat om datorn två gånger.", "Det gäller hela avdelningen på våning två."}},
	{"da", "windows-1252", charmap.Windows1252, []string{"Søren Møller", "Ærø Hansen"},
		[]string{"Min computer starter ikke – hjælp", "Printeren virker ikke", "Adgang til “Økonomi” mangler"},
		[]string{"Skærmen bliver sort efter logoet.", "Jeg har et møde kl. 13 og har brug for den – tak!", "Det koster 500 € om dagen, når vi ikke kan arbejde."}},
	{"de", "utf-8", nil, []string{"Jürgen Weiß", "Änne Köhler"},
		[]string{"Fehlermeldung beim Öffnen von SAP", "Drucker im 2. Stock defekt"},
		[]string{"Beim Öffnen erscheint eine Fehlermeldung.", "Ich kann keine Aufträge mehr buchen.", "Mit freundlichen Grüßen"}},
	{"zh", "gb18030", simplifiedchinese.GB18030, []string{"王伟", "李娜"},
		[]string{"无法访问共享文件夹", "打印机无法使用", "邮箱登录失败"},
		[]string{"从今天早上开始，我无法访问财务部的共享文件夹。", "提示“拒绝访问”。", "请尽快帮忙处理，谢谢！"}},
	{"ja", "iso-2022-jp", japanese.ISO2022JP, []string{"山田太郎", "佐藤花子"},
		[]string{"プリンターが動きません", "VPNに接続できません"},
		[]string{"今朝から印刷できません。", "再起動しても直りません。", "よろしくお願いいたします。"}},
	{"ru", "koi8-r", charmap.KOI8R, []string{"Иван Петров", "Ольга Смирнова"},
		[]string{"Не работает принтер", "Не могу войти в почту"},
		[]string{"С утра принтер не печатает.", "Перезагрузка не помогла.", "Спасибо заранее."}},
}

// Generator produces messages one at a time.
type Generator struct {
	opts Options
	att  []byte
	base time.Time
}

// New returns a generator; the same options yield the same messages.
func New(opts Options) *Generator {
	if opts.AttachmentEvery <= 0 {
		opts.AttachmentEvery = 10
	}
	if opts.AttachmentSize <= 0 {
		opts.AttachmentSize = 200 << 10
	}
	if opts.To == "" {
		opts.To = "help@desk.example"
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x6465736b67617465))
	att := make([]byte, opts.AttachmentSize)
	for i := range att {
		att[i] = byte(rng.Uint32())
	}
	return &Generator{opts: opts, att: att, base: time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)}
}

// Message returns the i-th message (i counts from 0).
func (g *Generator) Message(i int) []byte {
	lang, name, from, subject, r := g.sender(i)
	// Bodies from ~300 bytes to ~40 KB, skewed small as real mail is.
	lines := 3 + int(r.ExpFloat64()*40)
	var body strings.Builder
	for l := range min(lines, 600) {
		body.WriteString(lang.lines[(i+l)%len(lang.lines)])
		body.WriteString("\n")
	}
	var b bytes.Buffer
	g.header(&b, i, lang, name, from, subject)
	b.WriteString("MIME-Version: 1.0\r\n")
	text := encodeText(lang, body.String())
	if i%g.opts.AttachmentEvery != g.opts.AttachmentEvery-1 {
		b.WriteString(text)
		return b.Bytes()
	}
	boundary := fmt.Sprintf("gen-%d", i)
	fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=%q\r\n\r\n--%s\r\n", boundary, boundary)
	b.WriteString(text)
	fmt.Fprintf(&b, "\r\n--%s\r\nContent-Type: application/pdf; name=\"report-%d.pdf\"\r\n", boundary, i)
	fmt.Fprintf(&b, "Content-Disposition: attachment; filename=\"report-%d.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", i)
	att := g.att
	att[0], att[1], att[2], att[3] = byte(i), byte(i>>8), byte(i>>16), byte(i>>24) // unique content
	enc := base64.StdEncoding.EncodeToString(att)
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteString("\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	fmt.Fprintf(&b, "\r\n--%s--\r\n", boundary)
	return b.Bytes()
}

// Reply returns message i as a reply to message parent (a lower number):
// from parent's sender, with "Re: " and parent's subject, In-Reply-To and
// References naming parent's Message-ID, and a short text above the quoted
// start of the original. A conversation is a message and its replies.
func (g *Generator) Reply(i, parent int) []byte {
	lang, name, from, subject, _ := g.sender(parent)
	var b bytes.Buffer
	g.header(&b, i, lang, name, from, "Re: "+subject)
	fmt.Fprintf(&b, "In-Reply-To: %s\r\nReferences: %s\r\nMIME-Version: 1.0\r\n", g.MessageID(parent), g.MessageID(parent))
	body := fmt.Sprintf("%s\n\n> %s\n", lang.lines[i%len(lang.lines)], lang.lines[parent%len(lang.lines)])
	b.WriteString(encodeText(lang, body))
	return b.Bytes()
}

// MessageID returns the Message-ID of the i-th message, in angle brackets.
func (g *Generator) MessageID(i int) string {
	return fmt.Sprintf("<gen.%d.%d@%s.example>", g.opts.Seed, i, languages[i%len(languages)].tag)
}

// sender returns the language, sender and subject of the i-th message and
// the random source its body continues from.
func (g *Generator) sender(i int) (lang language, name, from, subject string, r *rand.Rand) {
	lang = languages[i%len(languages)]
	r = rand.New(rand.NewPCG(g.opts.Seed, uint64(i)))
	name = lang.names[r.IntN(len(lang.names))]
	subject = fmt.Sprintf("%s (%d)", lang.subjects[r.IntN(len(lang.subjects))], i)
	from = fmt.Sprintf("user%d@%s.example", i%997, lang.tag)
	return lang, name, from, subject, r
}

// header writes the i-th message's trace, address, subject, date,
// Message-ID and language fields.
func (g *Generator) header(b *bytes.Buffer, i int, lang language, name, from, subject string) {
	date := g.base.Add(time.Duration(i) * time.Second)
	fmt.Fprintf(b, "Return-Path: <%s>\r\n", from)
	fmt.Fprintf(b, "Received: from mx.%s.example by imap.desk.example; %s\r\n", lang.tag, date.Format(time.RFC1123Z))
	fmt.Fprintf(b, "From: %s <%s>\r\n", mime.BEncoding.Encode("utf-8", name), from)
	fmt.Fprintf(b, "To: %s\r\n", g.opts.To)
	fmt.Fprintf(b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", subject))
	fmt.Fprintf(b, "Date: %s\r\n", date.Format(time.RFC1123Z))
	fmt.Fprintf(b, "Message-ID: %s\r\n", g.MessageID(i))
	fmt.Fprintf(b, "Content-Language: %s\r\n", lang.tag)
}

// encodeText renders the Content-Type header, a blank line and the body,
// in the language's charset.
func encodeText(lang language, s string) string {
	s = strings.ReplaceAll(s, "\n", "\r\n")
	if lang.enc == nil {
		var qp bytes.Buffer
		w := quotedprintable.NewWriter(&qp)
		w.Write([]byte(s))
		w.Close()
		return "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + qp.String()
	}
	encoded, err := lang.enc.NewEncoder().String(s)
	if err != nil {
		panic(fmt.Sprintf("mailgen: %s cannot encode its own sample text: %v", lang.charset, err))
	}
	if lang.charset == "iso-2022-jp" {
		return "Content-Type: text/plain; charset=iso-2022-jp\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" + encoded
	}
	b64 := base64.StdEncoding.EncodeToString([]byte(encoded))
	var out strings.Builder
	fmt.Fprintf(&out, "Content-Type: text/plain; charset=%s\r\nContent-Transfer-Encoding: base64\r\n\r\n", lang.charset)
	for len(b64) > 76 {
		out.WriteString(b64[:76] + "\r\n")
		b64 = b64[76:]
	}
	out.WriteString(b64 + "\r\n")
	return out.String()
}

// Sample returns the body text the i-th message starts with, decoded, for
// asserting that a charset survived the round trip.
func Sample(i int) string {
	lang := languages[i%len(languages)]
	return lang.lines[i%len(lang.lines)]
}
