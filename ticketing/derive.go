package ticketing

import (
	"crypto/sha256"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/deskgate/deskgate/ticketing/search"
)

// derived is what Receive computes from a message alone, without the
// database: the SHA-256 of each attachment and the search vector.
type derived struct {
	sums   [][32]byte // of Attachments, in order; nil: not derived
	vector search.Vec
	// subject and text are what vector was computed from; "" and
	// vectored false: not derived.
	subject, text string
	vectored      bool
	// blobsStored: StoreBlobs stored the attachments' content.
	blobsStored bool
}

// Derive computes ahead what Receive would compute from in alone: its
// attachments' checksums and its search vector. Receive applies a batch in
// one transaction, in order, so work there delays every message behind
// it; a caller that parses in parallel (mailin) derives there instead.
// Receive computes the search vector again when the subject or text no
// longer match (an agent's #fwd replaces them); attachments must not change
// after Derive (nor after StoreBlobs, which Derive would forget). Each
// Inbound may be derived in its own goroutine.
func (in *Inbound) Derive() {
	in.derived = derived{sums: sumAttachments(in.Attachments), subject: in.Subject, text: addedText(in), vectored: true}
	in.derived.vector = search.Vector(in.derived.subject, in.derived.text)
}

// sumAttachments hashes each attachment; never nil.
func sumAttachments(as []Attachment) [][32]byte {
	sums := make([][32]byte, len(as))
	for i, a := range as {
		sums[i] = sha256.Sum256(a.Data)
	}
	return sums
}

// attachmentSums is the checksum of each of in's attachments, as derived,
// or hashed now (and kept) when not derived.
func (in *Inbound) attachmentSums() [][32]byte {
	if d := in.derived.sums; d == nil || len(d) != len(in.Attachments) {
		in.derived.sums = sumAttachments(in.Attachments)
	}
	return in.derived.sums
}

// attachmentSums is the attachments' checksums of each message of a batch.
func attachmentSums(ins []Inbound) [][][32]byte {
	sums := make([][][32]byte, len(ins))
	for i := range ins {
		sums[i] = ins[i].attachmentSums()
	}
	return sums
}

// vectorOf is the search vector of in's message: the words of its subject
// and of what it adds (messages.search), as derived when that still
// matches.
func vectorOf(in *Inbound) search.Vec {
	text := addedText(in)
	if d := &in.derived; d.vectored && d.subject == in.Subject && d.text == text {
		return d.vector
	}
	return search.Vector(in.Subject, text)
}

// tsvector sends a search vector to PostgreSQL in tsvector's binary form,
// which it reads in a quarter to a third of the time the text form takes
// (BenchmarkWriteVectors), in the transaction that applies a batch. It is
// a struct so that a vector without words is sent as the empty tsvector:
// pgx sends a nil slice as NULL, and messages.search is NOT NULL.
type tsvector struct{ v search.Vec }

// TSVectorValue implements pgtype.TSVectorValuer.
func (t tsvector) TSVectorValue() (pgtype.TSVector, error) {
	n := 0
	for _, l := range t.v {
		n += len(l.Positions)
	}
	lexemes := make([]pgtype.TSVectorLexeme, len(t.v))
	positions := make([]pgtype.TSVectorPosition, n)
	for i, l := range t.v {
		ps := positions[:len(l.Positions):len(l.Positions)]
		positions = positions[len(l.Positions):]
		for j, p := range l.Positions {
			ps[j].Position = p
		}
		lexemes[i] = pgtype.TSVectorLexeme{Word: l.Word, Positions: ps}
	}
	return pgtype.TSVector{Lexemes: lexemes, Valid: true}, nil
}
