package ticketing

import (
	"reflect"

	"github.com/deskgate/deskgate/templates"
)

// renders holds what one batch's mail rendered to, so that mail whose
// templates cannot read the recipient, with otherwise equal data, is
// rendered once: a new ticket's mail to each agent of its team (a third
// of the templates run in BenchmarkIngest, and the larger ones).
type renders map[renderKey][]rendered

type renderKey struct {
	event, lang string
	ticket      int64
}

// rendered is one render and its data, without the recipient.
type rendered struct {
	data templates.Data
	r    templates.Rendered
}

// render renders event in lang with data, or takes what an equal render
// in rs gave; rs nil renders.
func (d *Desk) render(rs renders, event, lang string, data templates.Data) (templates.Rendered, error) {
	set := d.notes.set
	if rs == nil || set.ReadsRecipient(event, lang) {
		return set.Render(event, lang, data)
	}
	k := renderKey{event: event, lang: lang, ticket: data.Ticket.Number}
	anyone := data
	anyone.Recipient = templates.Person{}
	for _, e := range rs[k] {
		if reflect.DeepEqual(e.data, anyone) {
			return e.r, nil
		}
	}
	r, err := set.Render(event, lang, data)
	if err == nil {
		rs[k] = append(rs[k], rendered{data: anyone, r: r})
	}
	return r, err
}
