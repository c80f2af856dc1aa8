package command

import (
	"math/rand"
	"strings"
	"testing"
	"time"
)

func TestZZStress(t *testing.T) {
	toks := []string{"#", "#status", " ", "\n", "\r", "\r\n", "#note", ":", "+", "-", "#tag", "#cc", "a@b.c", "<", ">", "#merge", "1", "#fwd", "\ufeff", "\u00a0", "é", "x", "team:", "#assign", "\t", "\"", "(", ")", ",", "\xff", "#take", "#1", "stauts"}
	r := rand.New(rand.NewSource(1))
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var b strings.Builder
		for n := r.Intn(30); n > 0; n-- {
			b.WriteString(toks[r.Intn(len(toks))])
		}
		s := b.String()
		done := make(chan bool)
		go func() { checkParsed(t, s, Parse(s)); done <- true }()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			t.Fatalf("hang on %q", s)
		}
	}
}
