package templates

import (
	"strings"
	"testing"
)

// BenchmarkRender renders the two mails every new ticket queues (the
// requester's acknowledgement and the agents' new-ticket mail, which
// quotes the message) with a 1.7 KB message, as BenchmarkIngest's mail
// averages, in English and Swedish.
func BenchmarkRender(b *testing.B) {
	set, err := Load("")
	if err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat("Since this morning nothing works as it should.\nSeveral colleagues on my floor see the same.\n", 19)
	for _, event := range []string{TicketReceived, NewTicket} {
		for _, lang := range []string{"en", "sv"} {
			d := Sample(event)
			d.Message.Text = text
			b.Run(event+"/"+lang, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := set.Render(event, lang, d); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
