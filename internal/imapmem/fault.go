package imapmem

import (
	"strings"

	"github.com/emersion/go-imap/v2"
)

// FetchFault makes one message misbehave on FETCH, as real servers do; see
// Server.SetFetchFault. Only UID FETCH commands are affected: faults are
// keyed by UID, and a sequence-number FETCH is served normally.
type FetchFault struct {
	// Refuse, when not empty, makes every FETCH that asks for the message's
	// content (a body section other than its header, or BINARY) fail with
	// a tagged NO carrying this text, as Exchange does with "could not be
	// converted to an RFC-822 compatible format". The whole command fails,
	// whatever other messages it names.
	Refuse string
	// RefuseHeader extends Refuse to fetches of only the header
	// (BODY[HEADER], BODY[HEADER.FIELDS ...]).
	RefuseHeader bool
	// Omit makes every FETCH that asks for the message's content, header
	// included, answer OK without a response for the message, as if it did
	// not exist; FETCH without body sections and SEARCH still see it.
	Omit bool
}

// faultKey names one message.
type faultKey struct {
	folder string
	uid    uint32
}

// SetFetchFault makes message uid in folder misbehave on FETCH as f says,
// for every connection, until it is set again; the zero FetchFault clears
// it.
func (s *Server) SetFetchFault(folder string, uid uint32, f FetchFault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := faultKey{canonicalFolder(folder), uid}
	if f == (FetchFault{}) {
		delete(s.faults, k)
		return
	}
	if s.faults == nil {
		s.faults = make(map[faultKey]FetchFault)
	}
	s.faults[k] = f
}

// FailFetch makes every FETCH of the content of message uid in folder fail
// with a tagged NO carrying text; fetching only its header still works.
func (s *Server) FailFetch(folder string, uid uint32, text string) {
	s.SetFetchFault(folder, uid, FetchFault{Refuse: text})
}

// canonicalFolder spells INBOX in upper case, since its name is
// case-insensitive.
func canonicalFolder(name string) string {
	if strings.EqualFold(name, "INBOX") {
		return "INBOX"
	}
	return name
}

// applyFetchFaults applies the faults of the messages of folder that set
// names to a FETCH with options. It returns the refusal to answer with, or
// the set to fetch instead (nil: answer OK with nothing).
func (s *Server) applyFetchFaults(folder string, set imap.NumSet, options *imap.FetchOptions) (imap.NumSet, error) {
	uids, ok := set.(imap.UIDSet)
	if !ok || folder == "" {
		return set, nil
	}
	content, headerOnly := false, true
	for _, bs := range options.BodySection {
		content = true
		switch bs.Specifier {
		case imap.PartSpecifierHeader:
			if len(bs.Part) > 0 {
				headerOnly = false
			}
		default:
			headerOnly = false
		}
	}
	if len(options.BinarySection) > 0 {
		content, headerOnly = true, false
	}
	if !content {
		return set, nil
	}
	s.mu.Lock()
	var omit []uint32
	for k, f := range s.faults {
		if k.folder != folder || !contains(uids, k.uid) {
			continue
		}
		if f.Refuse != "" && (!headerOnly || f.RefuseHeader) {
			s.mu.Unlock()
			return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Text: f.Refuse}
		}
		if f.Omit {
			omit = append(omit, k.uid)
		}
	}
	s.mu.Unlock()
	if len(omit) == 0 {
		return set, nil
	}
	// "*" is the highest UID in the folder; resolve it before cutting holes,
	// or "n+1:*" would still name n when n is the highest.
	max := uint32(0)
	if data, err := s.user.Status(folder, &imap.StatusOptions{UIDNext: true}); err == nil && data.UIDNext > 0 {
		max = uint32(data.UIDNext) - 1
	}
	for _, uid := range omit {
		uids = without(uids, uid, max)
	}
	if len(uids) == 0 {
		return nil, nil
	}
	return uids, nil
}

// contains reports whether set names uid, taking "*" as unbounded.
func contains(set imap.UIDSet, uid uint32) bool {
	for _, r := range set {
		lo, hi := uint32(r.Start), uint32(r.Stop)
		if lo == 0 {
			continue // "*:n" is rare; not faulted
		}
		if hi != 0 && lo > hi {
			lo, hi = hi, lo
		}
		if lo <= uid && (hi == 0 || uid <= hi) {
			return true
		}
	}
	return false
}

// without returns set less uid, with "*" taken as max.
func without(set imap.UIDSet, uid, max uint32) imap.UIDSet {
	var out imap.UIDSet
	for _, r := range set {
		lo, hi := uint32(r.Start), uint32(r.Stop)
		if lo == 0 || !contains(imap.UIDSet{r}, uid) {
			out = append(out, r)
			continue
		}
		if hi == 0 {
			hi = max
		} else if lo > hi {
			lo, hi = hi, lo
		}
		if lo < uid {
			out = append(out, imap.UIDRange{Start: imap.UID(lo), Stop: imap.UID(uid - 1)})
		}
		if uid < hi {
			out = append(out, imap.UIDRange{Start: imap.UID(uid + 1), Stop: imap.UID(hi)})
		}
	}
	return out
}

// MoveFault drops the connection while a MOVE is in flight, as a server
// crash or a network failure would; see Server.SetMoveFault.
type MoveFault int

// Move faults. With each, the client gets no answer to its MOVE.
const (
	MoveOK         MoveFault = iota // no fault
	MoveDropBefore                  // dropped before the move: the messages stay in the source
	MoveDropAfter                   // dropped after the move: the messages are in the target only
	MoveDropCopied                  // dropped after copying, before expunging: the messages are in both
)

// SetMoveFault makes the next MOVE command, on any connection, fail as f
// says; the MOVEs after it work again.
func (s *Server) SetMoveFault(f MoveFault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.move = f
}

// takeMoveFault returns the fault for this MOVE and clears it.
func (s *Server) takeMoveFault() MoveFault {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.move
	s.move = MoveOK
	return f
}
