package ticketing

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/deskgate/deskgate/templates"
)

// TestRenderDataRendersTheSameBytes: a notification's bodies, rendered
// when it is claimed from the data stored with it as JSON, are those its
// data rendered to when it was queued, for every event in every language,
// times in a named zone (Stockholm, with summer time) and in UTC included.
func TestRenderDataRendersTheSameBytes(t *testing.T) {
	set, err := templates.Load("")
	if err != nil {
		t.Fatal(err)
	}
	d := &Desk{notes: &notifier{set: set}}
	stockholm, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	for _, event := range templates.Events() {
		for _, lang := range templates.Languages() {
			for _, loc := range []*time.Location{stockholm, time.UTC} {
				data := templates.Sample(event)
				data.Ticket.Created = data.Ticket.Created.In(loc)
				data.Message.Sent = time.Date(2026, 7, 3, 23, 30, 0, 0, loc) // summer time, a day later in UTC
				data.SLA.Due = data.SLA.Due.In(loc)
				want, err := set.Render(event, lang, data)
				if err != nil {
					t.Fatal(err)
				}
				b, err := json.Marshal(renderData{Event: event, Language: lang, Data: data})
				if err != nil {
					t.Fatal(err)
				}
				n := Notification{renderData: string(b)}
				if err := d.renderBodies(&n, nil); err != nil {
					t.Fatal(err)
				}
				if n.Text != want.Text || n.HTML != want.HTML {
					t.Errorf("%s in %s (%s): rendered from stored data:\n%s\nwant:\n%s", event, lang, loc, n.Text, want.Text)
				}
			}
		}
	}
}
