package report_test

import (
	"time"

	"github.com/deskgate/deskgate/ticketing/sla"
)

// seedHistory writes a fortnight of a desk's history, around the Swedish
// holidays of 2025-26, whose figures the tests below compute by hand.
//
//	#1 support P3 (4h/16h): Fri 2 Jan 15:00; answered by a@ Mon 5 Jan 10:30 (2h Fri + 1.5h Mon = 3.5h);
//	   resolved by a@ Thu 8 Jan 16:30 (2 + 8 + Tue 6 Jan a holiday + 8 + 7.5 = 25.5h > 16h: breached)
//	#2 support P3 (4h/16h): Mon 5 Jan 09:00; answered by b@ at 12:00 (3h) and set pending, which pauses
//	   the resolution clock until the requester's reply on Wed 7 Jan 10:00 (5h Mon + Tue closed + 1h Wed =
//	   6h paused); b@ replies again at 14:00 and resolves at 15:00 (3h + 5h = 8h, within 16h)
//	#3 support: Wed 7 Jan 09:00 as P3, P1 (1h/4h) at 10:00, which retargets both clocks; answered by a@ at
//	   11:00 (2h > 1h: breached); resolved by a@ Thu 8 Jan 10:00 (9h > 4h: breached), reopened by the
//	   requester at 12:00, its next response due at 13:00 breached too
//	#4 sales P2 (2h/8h): Thu 8 Jan 16:00; answered by c@ Fri 9 Jan 09:30 (1h + 0.5h = 1.5h); an internal
//	   note by a@ at 11:00; resolution due Fri 9 Jan 16:00 (1h Thu + 7h Fri)
//	#5 sales P2: Fri 9 Jan 10:00, merged into #4 at 10:30 (its clocks stopped at 0.5h)
//	#6 support, no SLA: Mon 22 Dec 2025 09:00, pending since
//	#7 support, no SLA: Fri 9 Jan 00:30 local (Thu 23:30 UTC), resolved by a rule at 01:00, closed
//
// Besides: an auto-reply (whose acknowledgement was suppressed) on Mon 5
// Jan 08:00, mail quarantined on Tue 6 Jan, a bounce and a list mail on
// Wed 7 Jan, our own mail looping back on Thu 8 Jan, and mail and
// notifications just outside the period.
func seedHistory(s *seeder) {
	h := time.Hour
	at := s.at
	cal := s.cal

	s.ticket(1, "2026-01-02 15:00", "support", "P3", "resolved")
	s.clock(1, "response", sla.Start(4*h, at("2026-01-02 15:00")).Stop(at("2026-01-05 10:30"), cal))
	s.clock(1, "resolution", sla.Start(16*h, at("2026-01-02 15:00")).Stop(at("2026-01-08 16:30"), cal))
	s.reply(1, "2026-01-05 10:30", "a@desk.example", "public")
	s.status(1, "2026-01-05 10:30", "new", "open", "a@desk.example")
	s.status(1, "2026-01-08 16:30", "open", "resolved", "a@desk.example")

	s.ticket(2, "2026-01-05 09:00", "support", "P3", "resolved")
	s.clock(2, "response", sla.Start(4*h, at("2026-01-05 09:00")).Stop(at("2026-01-05 12:00"), cal))
	s.clock(2, "resolution", sla.Start(16*h, at("2026-01-05 09:00")).Pause(at("2026-01-05 12:00"), cal).
		Resume(at("2026-01-07 10:00"), cal).Stop(at("2026-01-07 15:00"), cal))
	s.reply(2, "2026-01-05 12:00", "b@desk.example", "public")
	s.status(2, "2026-01-05 12:00", "new", "pending", "b@desk.example")
	s.status(2, "2026-01-07 10:00", "pending", "open", "deskgate")
	s.reply(2, "2026-01-07 14:00", "b@desk.example", "public")
	s.status(2, "2026-01-07 15:00", "open", "resolved", "b@desk.example")

	s.ticket(3, "2026-01-07 09:00", "support", "P1", "open")
	s.clock(3, "response", sla.Start(4*h, at("2026-01-07 09:00")).Retarget(1*h).Stop(at("2026-01-07 11:00"), cal))
	s.clock(3, "resolution", sla.Start(16*h, at("2026-01-07 09:00")).Retarget(4*h).Stop(at("2026-01-08 10:00"), cal).
		Restart(at("2026-01-08 12:00"), cal))
	s.clock(3, "next_response", sla.Start(1*h, at("2026-01-08 12:00")).Check(at("2026-01-08 14:00"), cal))
	s.reply(3, "2026-01-07 11:00", "a@desk.example", "public")
	s.status(3, "2026-01-07 11:00", "new", "open", "a@desk.example")
	s.status(3, "2026-01-08 10:00", "open", "resolved", "a@desk.example")
	s.mail(3, "2026-01-08 12:00", "human", "attached")
	s.status(3, "2026-01-08 12:00", "resolved", "open", "someone@example.com")

	s.ticket(4, "2026-01-08 16:00", "sales", "P2", "open")
	s.clock(4, "response", sla.Start(2*h, at("2026-01-08 16:00")).Stop(at("2026-01-09 09:30"), cal))
	s.clock(4, "resolution", sla.Start(8*h, at("2026-01-08 16:00")))
	s.reply(4, "2026-01-09 09:30", "c@desk.example", "public")
	s.reply(4, "2026-01-09 11:00", "a@desk.example", "internal")

	s.ticket(5, "2026-01-09 10:00", "sales", "P2", "closed")
	s.clock(5, "response", sla.Start(2*h, at("2026-01-09 10:00")).Stop(at("2026-01-09 10:30"), cal))
	s.clock(5, "resolution", sla.Start(8*h, at("2026-01-09 10:00")).Stop(at("2026-01-09 10:30"), cal))
	s.exec(`UPDATE tickets SET merged_into = 4, closed_at = $1 WHERE id = 5`, at("2026-01-09 10:30"))
	s.exec(`INSERT INTO events (ticket_id, at, actor, kind, detail) VALUES (5, $1, 'c@desk.example', 'ticket.merged', '{"into": 4}')`,
		at("2026-01-09 10:30"))

	s.ticket(6, "2025-12-22 09:00", "support", "", "pending")

	s.ticket(7, "2026-01-09 00:30", "support", "", "closed")
	s.status(7, "2026-01-09 01:00", "new", "resolved", "rules")

	s.mail(0, "2026-01-05 08:00", "auto_reply", "ignored")
	s.exec(`INSERT INTO outbox (event, automatic, recipient, status, reason, message_id, from_name, from_addr, subject,
		text_body, created_at) VALUES ('ticket.created', true, 'away@example.com', 'suppressed',
		'the message that caused it is auto_reply (Auto-Submitted: auto-replied): automatic mail is never answered',
		'<s>', 'Desk', 'desk@example.com', 'ack', 'ack', $1)`, at("2026-01-05 08:00"))
	s.mail(0, "2026-01-06 10:00", "", "quarantined")
	s.mail(0, "2026-01-07 13:00", "bounce", "ignored")
	s.mail(0, "2026-01-07 13:30", "list", "ignored")
	s.mail(0, "2026-01-08 09:00", "loop", "ignored")

	// Just outside the period, in local time.
	s.mail(0, "2026-01-01 23:50", "human", "ignored")
	s.mail(0, "2026-01-10 00:10", "human", "ignored")
	s.exec(`INSERT INTO outbox (ticket_id, event, automatic, recipient, status, message_id, from_name, from_addr,
		subject, text_body, created_at) VALUES (4, 'ticket.updated', true, 'someone@example.com', 'queued',
		'<q>', 'Desk', 'desk@example.com', 'q', 'q', $1)`, at("2026-01-09 12:00"))
}
