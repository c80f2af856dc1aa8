package mailgen

import (
	"bytes"
	"fmt"
)

// Nested returns a message whose multiparts nest depth levels deep (at
// least 1): each multipart/mixed holds the next, and the last a short text
// part. It is the shape that makes a naive MIME parser quadratic.
func Nested(depth int) []byte {
	depth = max(depth, 1)
	var b bytes.Buffer
	b.Grow(depth * 72)
	fmt.Fprintf(&b, "From: Nested Sender <nested@example.org>\r\nTo: help@desk.example\r\nSubject: Nested %d levels\r\n"+
		"Message-ID: <nested-%d@example.org>\r\nDate: Mon, 2 Jun 2025 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n", depth, depth)
	for i := range depth - 1 {
		fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n", i, i+1)
	}
	fmt.Fprintf(&b, "--b%d\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe bottom of the nest.\r\n--b%d--\r\n", depth-1, depth-1)
	for i := depth - 2; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return b.Bytes()
}

// ManyParts returns a multipart/mixed message with parts text parts side
// by side.
func ManyParts(parts int) []byte {
	var b bytes.Buffer
	b.Grow(parts * 64)
	fmt.Fprintf(&b, "From: Many Parts <parts@example.org>\r\nTo: help@desk.example\r\nSubject: %d parts\r\n"+
		"Message-ID: <parts-%d@example.org>\r\nDate: Mon, 2 Jun 2025 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: multipart/mixed; boundary=\"p\"\r\n\r\n", parts, parts)
	for i := range parts {
		fmt.Fprintf(&b, "--p\r\nContent-Type: text/plain\r\n\r\nPart %d.\r\n", i)
	}
	b.WriteString("--p--\r\n")
	return b.Bytes()
}
