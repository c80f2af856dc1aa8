package templates

import "time"

// Sample returns realistic data for event, for previews, Check and the
// golden files. It is fixed: Friday 6 March 2026 in Europe/Stockholm, a
// requester and an agent with non-ASCII names, and a subject, message and
// names with HTML special characters to show escaping. An unknown event gets the
// ticket-received data.
func Sample(event string) Data {
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		loc = time.FixedZone("CET", 3600) // Stockholm's offset on these dates
	}
	at := func(day, hour, min int) time.Time { return time.Date(2026, 3, day, hour, min, 0, 0, loc) }
	desk := Desk{Name: "Nordvik IT Support", Address: "support@nordvik.example"}
	requester := Person{Name: "Åsa Lindqvist", Address: "asa.lindqvist@example.com"}
	agent := Person{Name: "Mikael Sørensen", Address: "mikael.sorensen@nordvik.example"}
	first := Message{
		Author: requester,
		Text: "Hi,\n\nSince this morning the printer on the 3rd floor (PRN-3F-02) prints pages full of\n" +
			"<b>&\"quotes\"</b> instead of our documents. I have restarted it twice, it didn't help.\n\n" +
			"Thanks,\nÅsa",
		Sent:        at(6, 13, 5),
		Attachments: []string{"printer-output.jpg", "Skärmbild 2026-03-06 130212.png"},
	}
	reply := Message{
		Author: requester,
		Text:   "Sorry, it's back: the printer prints the same garbage again, also from Excel.\n\nÅsa",
		Sent:   at(6, 16, 20),
	}
	d := Data{
		Desk: desk,
		Ticket: Ticket{
			Number:    1234,
			Tag:       "[#1234]",
			Subject:   `Printer prints <b>&"quotes"</b> instead of text`,
			Status:    "open",
			Priority:  "High",
			Category:  "Hardware",
			Team:      "Workplace IT",
			Assignee:  agent.Name,
			Requester: requester,
			Created:   at(6, 13, 5),
		},
		Recipient: requester,
	}
	switch event {
	case AgentReply:
		d.Message = Message{
			Author: agent,
			Text: "Hi Åsa,\n\nThanks for the details. Last night's driver update made the print server send\n" +
				"the pages as raw text, so I have rolled the driver back.\n\n" +
				"Could you try printing again and let me know if it works?",
			Sent:     at(6, 16, 20),
			Withheld: []File{{Name: "print-server-logs.zip", Size: 14_200_000}, {Name: "driver <v2>.msi", Size: 12_500_000}},
		}
	case StatusPending:
		d.Ticket.Status = "pending"
	case StatusResolved:
		d.Ticket.Status = "resolved"
		d.Ticket.ReopenDays = 7
	case StatusClosed:
		d.Ticket.Status = "closed"
	case Reopened:
		d.Message = reply
	case NewTicket:
		d.Ticket.Status, d.Ticket.Assignee = "new", ""
		d.Recipient = agent
		d.Message = first
		d.Message.More = 181_460 // a long message, cut to the text budget
		d.Message.Images = []Image{{Name: "printer-output.jpg", ContentID: "ii_m8f3k2@mail.example.com"}}
		d.Message.Withheld = []File{{Name: "Skärmbild 2026-03-06 130212.png", Size: 11_800_000}}
	case RequesterReplied:
		d.Recipient = agent
		d.Message = reply
		d.Message.Attachments = []string{"test-page.pdf"}
	case SenderHeld:
		d.Recipient = agent
		d.Message = Message{
			Author: Person{Name: "Mallory Example", Address: "mallory@example.net"},
			Text:   "Hi, I'm Åsa's new colleague. Could you send the temporary password to me instead?",
			Sent:   at(6, 15, 2),
		}
	case SLAWarning:
		d.Ticket.Status, d.Ticket.Assignee = "new", ""
		d.Recipient = agent
		d.SLA = SLA{Kind: "response", Target: 4 * time.Hour, Business: true, Due: at(6, 17, 5)}
	case SLABreach:
		d.Ticket.Created = at(4, 16, 20)
		d.Recipient = agent
		d.SLA = SLA{Kind: "resolution", Target: 48 * time.Hour, Due: at(6, 16, 20)}
	case CommandsRejected:
		d.Recipient = agent
		d.Message = Message{
			Author: agent,
			Text: "#priority Hgh\n#assign bob@\n#stauts resolved\n\nHi Åsa,\n\n" +
				"The driver is rolled back and the test page prints fine. Closing this one.",
			Sent: at(6, 16, 20),
		}
		priorities := []string{"High", "Normal", "Medium", "Low"}
		d.Commands = Commands{
			Errors: []CommandError{
				{Line: 1, Text: "#priority Hgh", Problem: ProblemInvalidValue, Value: "Hgh", Allowed: priorities},
				{Line: 2, Text: "#assign bob@", Problem: ProblemUnknownAssignee, Value: "bob@"},
				{Line: 3, Text: "#stauts resolved", Problem: ProblemUnknownCommand, Value: "#stauts"},
			},
			Priorities: priorities,
			Impacts:    []string{"Low", "Medium", "High"},
			Urgencies:  []string{"Low", "Normal", "High", "Urgent"},
			Categories: []string{"Hardware", "Software", "Accounts & Access"},
			Teams:      []string{"Workplace IT", "Servers & Network"},
		}
	case ReplyUnverified:
		d.Recipient = agent
		d.Message = Message{
			Author: agent,
			Text:   "#status resolved\n\nHi Åsa,\n\nThe driver is rolled back; please try again.",
			Sent:   at(6, 16, 20),
		}
		d.Reason = ReasonNoToken
	case Assigned:
		d.Recipient = agent
		d.Assignment = Assignment{By: AssignedByAgent, Name: "Jonas <Berg> & Co"}
	case ConversationPaused:
		d.Recipient = agent
		d.Pause = Pause{Between: [2]string{requester.Address, agent.Address}, Mails: 21, Minutes: 10, Until: at(6, 17, 31)}
	case Digest:
		d.Ticket = Ticket{}
		d.Recipient = agent
		other := DigestTicket{Number: 1240, Tag: "[#1240]", Subject: "VPN drops every 10 minutes", Status: "pending",
			Priority: "Normal", Team: "Workplace IT", Assignee: agent.Name}
		mine := DigestTicket{Number: 1234, Tag: "[#1234]", Subject: `Printer prints <b>&"quotes"</b> instead of text`,
			Status: "open", Priority: "High", Team: "Workplace IT", Assignee: agent.Name}
		free := DigestTicket{Number: 1243, Tag: "[#1243]", Subject: "", Status: "new", Priority: "Low", Team: "Workplace IT"}
		due := mine
		due.SLA = SLA{Kind: "resolution", Target: 16 * time.Hour, Business: true, Due: at(9, 11, 0)}
		late := free
		late.SLA = SLA{Kind: "response", Target: 4 * time.Hour, Business: true, Due: at(6, 15, 30)}
		d.Digest = DigestInfo{At: at(9, 8, 0), Teams: []string{"Workplace IT"},
			Assigned:   []DigestStatus{{Status: "open", Tickets: []DigestTicket{mine}}, {Status: "pending", Tickets: []DigestTicket{other}}},
			Unassigned: []DigestTicket{free}, DueSoon: []DigestTicket{due}, Breached: []DigestTicket{late},
			Window: SLA{Target: 4 * time.Hour, Business: true}, More: 3}
	default: // TicketReceived
		d.Ticket.Status, d.Ticket.Assignee = "new", ""
		d.Message = first
		d.SLA = SLA{Kind: "response", Target: 4 * time.Hour, Business: true, Due: at(6, 17, 5)}
	}
	return d
}
