package smtpmem

import (
	"fmt"
	"strings"

	"github.com/emersion/go-smtp"
)

// Stages of a mail transaction at which a Fault can strike.
const (
	StageMail = "MAIL"
	StageRcpt = "RCPT"
	StageData = "DATA" // after the content is received, before the final reply
)

// Fault makes the server refuse a command, as real servers do when busy,
// over quota or for unknown recipients; see Server.AddFault.
type Fault struct {
	Stage string // StageMail, StageRcpt or StageData
	// Addr limits the fault to transactions with this address (compared
	// without regard to case): the sender at MAIL, the recipient at RCPT,
	// any recipient at DATA. Empty matches every transaction.
	Addr string
	// Code is the reply code, 4xx or 5xx; Enhanced the enhanced status
	// code such as "4.3.0" (default: "<class>.0.0"); Message the text
	// (default "injected fault").
	Code     int
	Enhanced string
	Message  string
	// Times is how many commands the fault refuses before it is used up;
	// zero or less refuses until ClearFaults.
	Times int
	// Drop closes the connection without any reply instead, as a crash
	// or network failure would; Code and its companions are then unused.
	Drop bool
	// After, with Drop at StageData, closes the connection once this many
	// bytes of the content have been read, as a server dying in the
	// middle of DATA would; the message is not kept. Zero drops after the
	// whole content, before the reply.
	After int
}

// AddFault makes the server refuse matching commands as f says, on every
// connection. Faults are tried in the order they were added; the first
// that matches a command answers it.
func (s *Server) AddFault(f Fault) {
	f.Stage = strings.ToUpper(f.Stage)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Hang stalls the reply to every DATA command from now on, after the
// content is received, until Release or Close. A stalled transaction is
// then answered with 451 4.4.2 and its message discarded: the client has
// usually given up by then, and a server that lost the message is the
// case a client must survive.
func (s *Server) Hang() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hang == nil {
		s.hang = make(chan struct{})
	}
}

// Release ends Hang: stalled transactions are answered and later ones are
// served normally.
func (s *Server) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hang != nil {
		close(s.hang)
		s.hang = nil
	}
}

// errStalled answers a transaction released from Hang.
var errStalled = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 4, 2}, Message: "stalled transaction discarded"}

// stall waits while the server hangs and reports whether it did.
func (s *Server) stall() bool {
	s.mu.Lock()
	h := s.hang
	s.mu.Unlock()
	if h == nil {
		return false
	}
	select {
	case <-h:
	case <-s.closed:
	}
	return true
}

// fault returns the fault that strikes at stage for a transaction with
// addrs, using one of its times, or nil.
func (s *Server) fault(stage string, addrs ...string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Stage != stage || !matches(f.Addr, addrs) {
			continue
		}
		hit := *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return &hit
	}
	return nil
}

func matches(want string, addrs []string) bool {
	if want == "" {
		return true
	}
	for _, a := range addrs {
		if strings.EqualFold(a, want) {
			return true
		}
	}
	return false
}

// reply is the error a session returns for f.
func (f *Fault) reply() error {
	code := smtp.EnhancedCodeNotSet
	if f.Enhanced != "" {
		if _, err := fmt.Sscanf(f.Enhanced, "%d.%d.%d", &code[0], &code[1], &code[2]); err != nil {
			code = smtp.EnhancedCodeNotSet
		}
	}
	msg := f.Message
	if msg == "" {
		msg = "injected fault"
	}
	return &smtp.SMTPError{Code: f.Code, EnhancedCode: code, Message: msg}
}
