package ticketing

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/templates"
)

// The budgets of one notification. Text is cut to the text budget T
// before it is rendered, so what a mail costs does not follow the input:
// the text body is at most 2T plus the template (quoting adds "> " to a
// line), and the HTML body at most 12T plus the layout (escaping makes at
// most 5 bytes of one, "&#34;" for `"`, and a paragraph break of two
// newlines at most 34 bytes). The outbox rows of one batch therefore hold
// at most 14T + 10 KB per notification, and rendering one holds a few
// copies of one body at a time: with the default 64 KB, under 1 MB per
// notification, whatever the size of the mail that caused it.

// capText returns s cut to at most budget bytes and how many bytes were
// left out: at the last line break in the budget's last quarter, else at
// a character boundary.
func capText(s string, budget int) (string, int) {
	if len(s) <= budget {
		return s, 0
	}
	cut := budget
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if i := strings.LastIndexByte(s[:cut], '\n'); i >= cut*3/4 {
		cut = i
	}
	return s[:cut], len(s) - cut
}

// attachmentNames are the names of a message's files that mail lists (not
// inline, named), as long as they fit in budget bytes; a last "… +N" counts
// the rest.
func attachmentNames(as []Attachment, budget int) []string {
	var names []string
	size, rest := 0, 0
	for _, a := range as {
		switch {
		case a.Inline || a.Filename == "":
		case rest == 0 && size+len(a.Filename) <= budget:
			size += len(a.Filename)
			names = append(names, a.Filename)
		default:
			rest++
		}
	}
	if rest > 0 {
		names = append(names, fmt.Sprintf("… +%d", rest))
	}
	return names
}

// filesOfSQL lists stored messages' files, each message's in the order
// they are sent, and whether an earlier message of the same ticket has the
// same content.
const filesOfSQL = `
SELECT a.message_id, a.id, a.filename, a.size, a.inline, a.content_id,
    EXISTS (SELECT 1 FROM messages e JOIN attachments b ON b.message_id = e.id
            WHERE e.ticket_id = m.ticket_id AND e.id < m.id AND b.sha256 = a.sha256) AS earlier
FROM attachments a JOIN messages m ON m.id = a.message_id
WHERE a.message_id = ANY($1) ORDER BY a.message_id, a.id`

// storedFile is one row of filesOfSQL.
type storedFile struct {
	id, size        int64
	name, cid       string
	inline, earlier bool
}

// budgetAttachments decides, for each mail that carries a stored
// message's files (a relayed reply; the requester's message to agents),
// which go with it: in order, each that still fits in the attachment
// budget; the others are withheld and listed in the mail by name and
// size. Inline images that go are also shown by the HTML body. A relayed
// reply leaves out files an earlier message of the ticket already had
// (the requester's screenshot, quoted back by the agent's mail client).
// The files of every message are read in one round trip.
func (d *Desk) budgetAttachments(ctx context.Context, tx pgx.Tx, ms []*mail) error {
	var refs []int64
	for _, m := range ms {
		if ref := m.n.messageRef; ref != 0 && m.suppress == "" && !slices.Contains(refs, ref) {
			refs = append(refs, ref)
		}
	}
	if len(refs) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, filesOfSQL, refs)
	if err != nil {
		return fmt.Errorf("ticketing: reading the files of messages %v: %w", refs, err)
	}
	files := map[int64][]storedFile{}
	_, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (struct{}, error) {
		var msg int64
		var f storedFile
		err := row.Scan(&msg, &f.id, &f.name, &f.size, &f.inline, &f.cid, &f.earlier)
		files[msg] = append(files[msg], f)
		return struct{}{}, err
	})
	if err != nil {
		return fmt.Errorf("ticketing: reading the files of messages %v: %w", refs, err)
	}
	for _, m := range ms {
		if m.n.messageRef == 0 || m.suppress != "" {
			continue
		}
		left := d.notes.attachmentBudget
		m.attach = []int64{}
		for _, f := range files[m.n.messageRef] {
			if f.earlier && m.n.event == templates.AgentReply {
				// The requester's own file (or one sent before), which the
				// agent's mail client put in the reply: it is not news.
				continue
			}
			if f.size > left {
				m.withheld = append(m.withheld, templates.File{Name: f.name, Size: f.size})
				continue
			}
			left -= f.size
			m.attach = append(m.attach, f.id)
			if f.inline && showable(f.cid) {
				m.images = append(m.images, templates.Image{Name: f.name, ContentID: f.cid})
			}
		}
	}
	return nil
}

// showable reports whether an inline part's Content-ID is one mailout
// sends it with (printable ASCII without blanks or angle brackets, at most
// 200 bytes: mailout.MaxContentID), so that the HTML body may show it.
func showable(cid string) bool {
	if cid == "" || len(cid) > 200 {
		return false
	}
	for i := 0; i < len(cid); i++ {
		if c := cid[i]; c <= ' ' || c >= 0x7f || c == '<' || c == '>' {
			return false
		}
	}
	return true
}
