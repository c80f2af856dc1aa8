package ticketing

import (
	"context"
	"strings"
	"testing"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/ticketing/search"
)

// TestVectorsSentInBinaryReadAsWritten: PostgreSQL reads a vector sent in
// tsvector's binary form (as messages are written) as the vector its text
// form gives, for words PostgreSQL's text form must quote or escape, in
// any script, at the limits of a word's length and positions, and for
// text without a word (the empty tsvector, not NULL). The binary input
// checks less than the text input: it sorts words but does not merge
// repeated ones, and it refuses positions out of order; FuzzVector checks
// that Vector gives neither.
func TestVectorsSentInBinaryReadAsWritten(t *testing.T) {
	pool := dbtest.Pool(t)
	for _, tc := range []struct{ subject, text string }{
		{"Subject", `it's C:\dir\'x' "quoted" 'single' alice.smith@example.com 3.14 ERR-1234`},
		{"Subject", "Skrivaren på plan 3 är trasig. Ελλάδα, Россия; 打印机坏了 プリンター 프린터 नमस्ते 😀"},
		{"Subject", strings.Repeat("y", 2046) + " " + strings.Repeat("z", 2047) + " " + strings.Repeat("ä", 1023) + "y ok"},
		{"Subject", strings.Repeat("log ", 17000) + strings.Repeat("www.example.com ", 300) + "late"},
		{"", "-- :) --"},
	} {
		v := search.Vector(tc.subject, tc.text)
		var sent, written *string
		err := pool.QueryRow(context.Background(), `SELECT $1::tsvector::text, $2::tsvector::text`, tsvector{v}, v.String()).Scan(&sent, &written)
		if err != nil {
			t.Fatalf("%.40q: %v", tc.text, err)
		}
		if sent == nil || written == nil || *sent != *written || *written != v.String() {
			t.Errorf("vector of %.40q:\nsent in binary: %.200q\nas text:        %.200q\nVector:         %.200q", tc.text, orNull(sent), orNull(written), v.String())
		}
	}
}

func orNull(s *string) string {
	if s == nil {
		return "NULL"
	}
	return *s
}

// BenchmarkWriteVectors writes 200 messages' search vectors (of about 2 KB
// of text each, as a batch's new messages carry them) in their text form,
// as deskgate did, and in the binary form it sends. Each op is one
// statement of 200; ns/op is mostly PostgreSQL reading the vectors.
func BenchmarkWriteVectors(b *testing.B) {
	pool := dbtest.Pool(b)
	ctx := context.Background()
	words := strings.Fields(`the printer on floor three stopped working after the update yesterday and nobody
		can print invoices please help urgently we tried restarting it twice but error 0x80070005 keeps showing
		contact alice@example.com or call 555-1234 about ERR-1234 version 3.14 server mail.example.org network
		cable switch port vlan router firewall laptop docking station monitor keyboard mouse password reset
		account locked outlook calendar meeting invite sharepoint sync conflict permission denied`)
	var texts []string
	var vectors []tsvector
	for i := range 200 {
		var body strings.Builder
		for k := range 300 {
			body.WriteString(words[(i*7+k*13+k*k)%len(words)] + " ")
		}
		v := search.Vector("Printer on floor 3", body.String())
		texts, vectors = append(texts, v.String()), append(vectors, tsvector{v})
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `CREATE TEMP TABLE vectors (v tsvector)`); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name, sql string
		arg       any
	}{
		{"text", `INSERT INTO vectors SELECT v::tsvector FROM unnest($1::text[]) AS v`, texts},
		{"binary", `INSERT INTO vectors SELECT v FROM unnest($1::tsvector[]) AS v`, vectors},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := conn.Exec(ctx, bc.sql, bc.arg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
