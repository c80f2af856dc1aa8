// Package demo holds the sample mail that `deskgate demo` delivers: a
// handful of messages from different mail clients, in several languages and
// charsets, with an out-of-office reply, a bounce and one broken message.
package demo

import (
	"embed"
	"io/fs"
	"sort"
)

//go:embed mail/*.eml
var mail embed.FS

// Message is one sample email.
type Message struct {
	Name string // file name, e.g. 02-apple-sv.eml
	Raw  []byte
}

// Messages returns the sample mail in delivery order.
func Messages() []Message {
	names, _ := fs.Glob(mail, "mail/*.eml") // the pattern is constant
	sort.Strings(names)
	out := make([]Message, 0, len(names))
	for _, n := range names {
		raw, _ := mail.ReadFile(n) // embedded: cannot fail
		out = append(out, Message{Name: n[len("mail/"):], Raw: raw})
	}
	return out
}

// Late is a message that arrives while deskgate is already running, to
// show that IDLE picks new mail up at once.
var Late = []byte("From: Claire Dubois <claire.dubois@societe.example>\r\n" +
	"To: help@desk.example\r\n" +
	"Subject: =?UTF-8?Q?Acc=C3=A8s_refus=C3=A9_=C3=A0_l'intranet?=\r\n" +
	"Date: Mon, 23 Nov 2026 11:02:00 +0100\r\n" +
	"Message-ID: <late-1@societe.example>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: 8bit\r\n\r\n" +
	"Bonjour,\r\n\r\nDepuis ce matin, l'intranet affiche « accès refusé ». Merci de votre aide.\r\n\r\nClaire\r\n")
