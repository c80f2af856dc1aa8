// Package pgparams makes pgx encode large array parameters into a buffer
// sized once. pgx appends every parameter of a statement to one buffer,
// element by element, and a slice grows by a quarter at a time once it is
// large: a batch's 10 MB of message bodies was copied about five times
// over, and serve spent a tenth of its CPU in growslice and memmove.
package pgparams

import (
	"context"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

// register makes m's text[] and bytea[] encoders size their buffer once.
func register(m *pgtype.Map) {
	for _, oid := range []uint32{pgtype.TextArrayOID, pgtype.ByteaArrayOID} {
		t, ok := m.TypeForOID(oid)
		if !ok {
			continue
		}
		m.RegisterType(&pgtype.Type{Name: t.Name, OID: t.OID, Codec: sizedCodec{t.Codec}})
	}
}

// configure registers the encoders on each connection cfg opens.
func configure(cfg *pgxpool.Config) {
	after := cfg.AfterConnect
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		register(c.TypeMap())
		if after != nil {
			return after(ctx, c)
		}
		return nil
	}
}

// sizedCodec is an array codec whose encoding of []string and [][]byte
// first makes room for the whole array.
type sizedCodec struct{ pgtype.Codec }

func (c sizedCodec) PlanEncode(m *pgtype.Map, oid uint32, format int16, value any) pgtype.EncodePlan {
	if _, ok := value.([][]byte); ok {
		// pgx would take it apart by reflection, element by element.
		plan := c.PlanEncode(m, oid, format, pgtype.FlatArray[[]byte](nil))
		if plan == nil {
			return nil
		}
		return flatBytes{plan}
	}
	plan := c.Codec.PlanEncode(m, oid, format, value)
	if plan == nil {
		return nil
	}
	if size(value) < 0 {
		return plan
	}
	return sizedPlan{plan}
}

type sizedPlan struct{ next pgtype.EncodePlan }

// arrayHeader is the binary array header of one dimension: ndim, has
// nulls, element type, length and lower bound.
const arrayHeader = 20

func (p sizedPlan) Encode(value any, buf []byte) ([]byte, error) {
	// slices.Grow, not make and copy: a fresh buffer then need not be
	// zeroed first, and serve's peak RSS in BenchmarkIngest was 258 MB
	// against 285-291.
	return p.next.Encode(value, slices.Grow(buf, size(value)))
}

// flatBytes encodes [][]byte as the pgtype.FlatArray it is.
type flatBytes struct{ next pgtype.EncodePlan }

func (p flatBytes) Encode(value any, buf []byte) ([]byte, error) {
	return p.next.Encode(pgtype.FlatArray[[]byte](value.([][]byte)), buf)
}

// size is the length of value encoded as a binary array, or -1 for a
// value of another type. pgx hands a codec []T as pgtype.FlatArray[T].
func size(value any) int {
	switch v := value.(type) {
	case []string:
		return sizeOf(v)
	case pgtype.FlatArray[string]:
		return sizeOf(v)
	case pgtype.FlatArray[[]byte]:
		return sizeOf(v)
	}
	return -1
}

func sizeOf[S ~[]E, E string | []byte](v S) int {
	n := arrayHeader
	for _, e := range v {
		n += 4 + len(e)
	}
	return n
}

// NewPool is pgxpool.New with the encoders registered on each connection.
func NewPool(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	configure(cfg)
	return pgxpool.NewWithConfig(ctx, cfg)
}
