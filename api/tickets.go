package api

import (
	"context"
	"time"

	"github.com/deskgate/deskgate/ticketing"
)

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func derefTime(p *time.Time) time.Time { return deref(p) }

// ListTickets pages through tickets by the filters given.
func (s *server) ListTickets(ctx context.Context, r ListTicketsRequestObject) (ListTicketsResponseObject, error) {
	p := r.Params
	f := ticketing.Filter{Status: string(deref(p.Status)), Queue: deref(p.Queue), Team: deref(p.Team),
		Assignee: deref(p.Assignee), Priority: deref(p.Priority), Category: deref(p.Category), Requester: deref(p.Requester),
		Tag: deref(p.Tag), CreatedAfter: derefTime(p.CreatedAfter), CreatedBefore: derefTime(p.CreatedBefore),
		UpdatedAfter: derefTime(p.UpdatedAfter), UpdatedBefore: derefTime(p.UpdatedBefore), Query: deref(p.Q),
		Sort: string(deref(p.Sort)), Cursor: deref(p.Cursor), Limit: limit(p.Limit)}
	ts, next, err := ticketing.FindTickets(ctx, s.db, f)
	if err != nil {
		return nil, err
	}
	out := ListTickets200JSONResponse{Items: ts}
	if out.Items == nil {
		out.Items = []ticketing.TicketSummary{}
	}
	if next != "" {
		out.NextCursor = &next
	}
	return out, nil
}

// limit is a list's page size: 50 unless asked, at most 500.
func limit(p *int) int {
	switch n := deref(p); {
	case n <= 0:
		return 50
	case n > 500:
		return 500
	default:
		return n
	}
}

// GetTicket returns one ticket whole.
func (s *server) GetTicket(ctx context.Context, r GetTicketRequestObject) (GetTicketResponseObject, error) {
	t, err := ticketing.GetTicket(ctx, s.db, r.Number)
	if err != nil {
		return nil, err
	}
	return GetTicket200JSONResponse(*t), nil
}

// ChangeTicket applies a change as the token's agent's email commands
// would.
func (s *server) ChangeTicket(ctx context.Context, r ChangeTicketRequestObject) (ChangeTicketResponseObject, error) {
	b := r.Body
	c := ticketing.Change{Priority: b.Priority, Impact: b.Impact, Urgency: b.Urgency, Category: b.Category, Team: b.Team,
		Assignee: b.Assignee, AddTags: deref(b.AddTags), RemoveTags: deref(b.RemoveTags), Why: deref(b.Why)}
	if b.Status != nil {
		st := string(*b.Status)
		c.Status = &st
	}
	if err := s.desk().Apply(ctx, s.db, r.Number, agentOf(ctx), c); err != nil {
		return nil, err
	}
	t, err := ticketing.GetTicket(ctx, s.db, r.Number)
	if err != nil {
		return nil, err
	}
	return ChangeTicket200JSONResponse(*t), nil
}

// ReplyTicket relays a public reply to the requester and Cc.
func (s *server) ReplyTicket(ctx context.Context, r ReplyTicketRequestObject) (ReplyTicketResponseObject, error) {
	var files []ticketing.Attachment
	for _, a := range deref(r.Body.Attachments) {
		files = append(files, ticketing.Attachment{Filename: a.Filename, ContentType: a.ContentType, Data: a.Content})
	}
	id, err := s.desk().Post(ctx, s.db, r.Number, agentOf(ctx), r.Body.Text, false, files)
	if err != nil {
		return nil, err
	}
	return ReplyTicket201JSONResponse{Message: id}, nil
}

// NoteTicket adds an internal note.
func (s *server) NoteTicket(ctx context.Context, r NoteTicketRequestObject) (NoteTicketResponseObject, error) {
	id, err := s.desk().Post(ctx, s.db, r.Number, agentOf(ctx), r.Body.Text, true, nil)
	if err != nil {
		return nil, err
	}
	return NoteTicket201JSONResponse{Message: id}, nil
}

// MergeTicket merges the ticket into another.
func (s *server) MergeTicket(ctx context.Context, r MergeTicketRequestObject) (MergeTicketResponseObject, error) {
	why := deref(r.Body.Why)
	if why == "" {
		why = "merged through the API"
	}
	if err := s.desk().MergeAs(ctx, s.db, r.Number, r.Body.Into, agentOf(ctx), why); err != nil {
		return nil, err
	}
	t, err := ticketing.GetTicket(ctx, s.db, r.Body.Into)
	if err != nil {
		return nil, err
	}
	return MergeTicket200JSONResponse(*t), nil
}
