package parse

import (
	"strings"

	"github.com/deskgate/deskgate/ticketing"
)

// Signal is one rule the classifier applies, as documentation: the class
// it decides (for a cue of the content score, the class it counts toward,
// "auto_reply or bounce" for one that counts toward either) and a
// human-readable description of what it looks for.
type Signal struct {
	Class       ticketing.Class
	Description string
}

// rule is a Signal with its matcher; match returns the ClassReason.
type rule struct {
	Signal
	match func(c *context) (reason string, ok bool)
}

// context is what rules look at.
type context struct {
	m    *message
	in   *ticketing.Inbound
	opts Options
	head *string // textHead, once computed
}

// textHead is the unquoted top of the text (about 1,500 bytes, up to a
// forwarded message), normalised: lower case, single spaces, ASCII
// apostrophes.
func (c *context) textHead() string {
	if c.head == nil {
		h := normalize(unquotedHead(c.in.Text, 1500))
		c.head = &h
	}
	return *c.head
}

// Signals returns the classification rules in the order they are tried,
// the first that matches deciding the class, then the cues of the content
// score, which decides mail no rule matches. Mail below its threshold is
// human.
func Signals() []Signal {
	out := make([]Signal, len(rules))
	for i, r := range rules {
		out[i] = r.Signal
	}
	return append(out, scoreSignals()...)
}

// classify sets Class, ClassReason, OriginalMessageID and, for bounces,
// Deliveries.
func classify(in *ticketing.Inbound, m *message, opts Options) {
	if opts.LoopHeader == "" {
		opts.LoopHeader = DefaultLoopHeader
	}
	c := &context{m: m, in: in, opts: opts}
	in.Class, in.ClassReason = ticketing.ClassHuman, ""
	for _, r := range rules {
		if reason, ok := r.match(c); ok {
			in.Class, in.ClassReason = r.Class, cleanText(truncateReason(reason))
			break
		}
	}
	if in.Class == ticketing.ClassHuman {
		s := contentScore(c)
		switch {
		case s.total >= scoreThreshold:
			in.Class, in.ClassReason = s.class(), cleanText(truncateReason(s.reason()))
		case s.total > 0:
			in.ClassReason = cleanText(truncateReason(s.reason() + " (below " + formatWeight(scoreThreshold) + ")"))
		}
	}
	switch in.Class {
	case ticketing.ClassBounce:
		in.OriginalMessageID = bouncedMessageID(m, in)
		in.Deliveries = deliveries(m, in)
	case ticketing.ClassAutoReply:
		in.OriginalMessageID = repliedMessageID(m, in)
	}
}

// headerRule matches when the header is present and accept(value) holds.
func headerRule(name string, accept func(v string) bool) func(c *context) (string, bool) {
	return func(c *context) (string, bool) {
		if !c.m.has(name) {
			return "", false
		}
		v := c.m.get(name)
		if accept != nil && !accept(strings.ToLower(v)) {
			return "", false
		}
		if v == "" {
			return name + " present", true
		}
		return name + ": " + v, true
	}
}

// anyHeader matches when any of the named headers is present.
func anyHeader(names ...string) func(c *context) (string, bool) {
	return func(c *context) (string, bool) {
		for _, n := range names {
			if r, ok := headerRule(n, nil)(c); ok {
				return r, true
			}
		}
		return "", false
	}
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// localPart returns the lower-cased local part of an address.
func localPart(addr string) string {
	addr = strings.ToLower(strings.Trim(addr, "<> "))
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[:i]
	}
	return addr
}

// nullReturnPath reports whether the envelope sender was empty.
func nullReturnPath(m *message) bool {
	if !m.has("Return-Path") {
		return false
	}
	v := strings.TrimSpace(rawHeader(m.header, "Return-Path"))
	return v == "<>" || v == "" || v == "< >" || strings.HasPrefix(v, "<> ")
}

func truncateReason(s string) string {
	if r := []rune(s); len(r) > 160 {
		return string(r[:160]) + "…"
	}
	return s
}
