package ticketing

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"regexp"
	"strconv"
	"time"
)

// replyPrefix matches one reply or forward prefix of a subject, in the
// languages whose clients write their own ("AW:", "SV:", "回复：").
var replyPrefix = regexp.MustCompile(`(?i)^\s*(re|fw|fwd|aw|wg|sv|vs|tr|antw|ref|r|回复|答复|转发)\s*(\[\d+\])?\s*[:：]`)

// threadIndex returns an Outlook Thread-Index for a message sent at now in
// ticket id's conversation: root (base64 of 22 bytes: the requester's own
// when their client sent one, else the ticket's), or for a ticket from
// before roots were stored the root derived from it then, plus one 5-byte
// child block. Outlook groups a conversation by the root.
func threadIndex(root string, id int64, created time.Time, domain string, now time.Time) string {
	b, err := base64.StdEncoding.DecodeString(root)
	if err != nil || len(b) != 22 {
		b = make([]byte, 22)
		// The root: the top 48 bits of the creation FILETIME, then a GUID
		// of the ticket.
		var ft [8]byte
		binary.BigEndian.PutUint64(ft[:], ticks(created))
		copy(b[:6], ft[:6])
		guid := sha256.Sum256([]byte("deskgate thread-index\x00" + domain + "\x00" + strconv.FormatInt(id, 10)))
		copy(b[6:], guid[:16])
	}
	// A child block: a 31-bit time offset from the root in units of 2^18
	// ticks (about 26 ms in spirit; Outlook uses it only for ordering), and
	// 8 bits of sequence, which we take from the same clock.
	var rootTicks [8]byte
	copy(rootTicks[:6], b[:6])
	delta := (ticks(now) - binary.BigEndian.Uint64(rootTicks[:])) >> 18
	var child [5]byte
	binary.BigEndian.PutUint32(child[:4], uint32(delta)&0x7fffffff)
	child[4] = byte(now.UnixNano() >> 10)
	return base64.StdEncoding.EncodeToString(append(b, child[:]...))
}

// newThreadRoot returns a fresh Outlook conversation root for a ticket
// created at now: the top 48 bits of its FILETIME, as Outlook writes them,
// and 16 random bytes in place of Outlook's GUID, so that nobody can
// compute a ticket's root from public facts. It is stored on the ticket.
func newThreadRoot(now time.Time) string {
	b := make([]byte, 22)
	var ft [8]byte
	binary.BigEndian.PutUint64(ft[:], ticks(now))
	copy(b[:6], ft[:6])
	rand.Read(b[6:]) // never fails (crypto/rand)
	return base64.StdEncoding.EncodeToString(b)
}

// ticks is t in 100-ns units since 1601, as FILETIME counts.
func ticks(t time.Time) uint64 {
	const secondsTo1970 = 11644473600
	return uint64(t.Unix()+secondsTo1970)*10_000_000 + uint64(t.Nanosecond()/100)
}
