package api

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/deskgate/deskgate/mailin"
	"github.com/deskgate/deskgate/ticketing"
)

// ListInbound lists captured messages.
func (s *server) ListInbound(ctx context.Context, r ListInboundRequestObject) (ListInboundResponseObject, error) {
	rs, err := mailin.ListInbound(ctx, s.db, string(deref(r.Params.Status)), limit(r.Params.Limit))
	if err != nil {
		return nil, err
	}
	return ListInbound200JSONResponse{Items: nonNilRecords(rs)}, nil
}

func nonNilRecords(rs []mailin.Record) []mailin.Record {
	if rs == nil {
		return []mailin.Record{}
	}
	return rs
}

// GetInbound returns one captured message.
func (s *server) GetInbound(ctx context.Context, r GetInboundRequestObject) (GetInboundResponseObject, error) {
	rec, _, err := mailin.GetInbound(ctx, s.db, r.Id)
	if err != nil {
		return nil, err
	}
	return GetInbound200JSONResponse(rec), nil
}

// GetInboundRaw returns a captured message's bytes as an .eml file.
func (s *server) GetInboundRaw(ctx context.Context, r GetInboundRawRequestObject) (GetInboundRawResponseObject, error) {
	_, raw, err := mailin.GetInbound(ctx, s.db, r.Id)
	if err != nil {
		return nil, err
	}
	return GetInboundRaw200Messagerfc822Response{Body: bytes.NewReader(raw), ContentLength: int64(len(raw))}, nil
}

// ListQuarantine lists quarantined messages.
func (s *server) ListQuarantine(ctx context.Context, r ListQuarantineRequestObject) (ListQuarantineResponseObject, error) {
	rs, err := mailin.ListInbound(ctx, s.db, ticketing.StatusQuarantined, limit(r.Params.Limit))
	if err != nil {
		return nil, err
	}
	return ListQuarantine200JSONResponse{Items: nonNilRecords(rs)}, nil
}

// RetryQuarantine puts a quarantined message back in line.
func (s *server) RetryQuarantine(ctx context.Context, r RetryQuarantineRequestObject) (RetryQuarantineResponseObject, error) {
	if _, _, err := mailin.GetInbound(ctx, s.db, r.Id); err != nil {
		return nil, err
	}
	n, err := mailin.RetryQuarantined(ctx, s.db, r.Id)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, &ticketing.InvalidError{Fields: []ticketing.FieldError{{Field: "id",
			Message: fmt.Sprintf("inbound message %d is not quarantined", r.Id)}}}
	}
	rec, _, err := mailin.GetInbound(ctx, s.db, r.Id)
	if err != nil {
		return nil, err
	}
	return RetryQuarantine202JSONResponse(rec), nil
}

// GetContact returns a contact.
func (s *server) GetContact(ctx context.Context, r GetContactRequestObject) (GetContactResponseObject, error) {
	c, err := ticketing.GetContact(ctx, s.db, r.Address)
	if err != nil {
		return nil, err
	}
	return GetContact200JSONResponse(c), nil
}

// ChangeContact sets a contact's language or lifts its suppression.
func (s *server) ChangeContact(ctx context.Context, r ChangeContactRequestObject) (ChangeContactResponseObject, error) {
	if sup := r.Body.Suppressed; sup != nil {
		if *sup {
			return nil, &ticketing.InvalidError{Fields: []ticketing.FieldError{{Field: "suppressed",
				Message: "only a bounce suppresses mail; false lifts it"}}}
		}
		if err := ticketing.LiftSuppression(ctx, s.db, r.Address); err != nil {
			return nil, err
		}
	}
	if l := r.Body.Language; l != nil {
		if err := ticketing.SetContactLanguage(ctx, s.db, r.Address, *l); err != nil {
			return nil, err
		}
	}
	c, err := ticketing.GetContact(ctx, s.db, r.Address)
	if err != nil {
		return nil, err
	}
	return ChangeContact200JSONResponse(c), nil
}

// GetAttachment returns an attachment with its stored content type, to be
// saved, never shown in the API's origin.
func (s *server) GetAttachment(ctx context.Context, r GetAttachmentRequestObject) (GetAttachmentResponseObject, error) {
	a, err := ticketing.GetAttachment(ctx, s.db, r.Id)
	if err != nil {
		return nil, err
	}
	return attachment(a), nil
}

type attachment ticketing.StoredAttachment

func (a attachment) VisitGetAttachmentResponse(w http.ResponseWriter) error {
	ct := a.ContentType
	if _, _, err := mime.ParseMediaType(ct); err != nil || ct == "" {
		ct = "application/octet-stream"
	}
	name := strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == '/' || r == '\\' {
			return '_'
		}
		return r
	}, a.Filename)
	if name == "" {
		name = fmt.Sprintf("attachment-%d", a.ID)
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox")
	h.Set("Content-Length", fmt.Sprint(len(a.Data)))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(a.Data)
	return err
}
