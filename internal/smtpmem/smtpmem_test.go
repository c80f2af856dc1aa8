package smtpmem

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

func start(t *testing.T, opts Options) *Server {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		t.Fatalf("Start() = %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
	})
	return s
}

func dial(t *testing.T, s *Server) *smtp.Client {
	t.Helper()
	c, err := smtp.Dial(s.Addr())
	if err != nil {
		t.Fatalf("smtp.Dial(%s) = %v", s.Addr(), err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Hello("client.test"); err != nil {
		t.Fatalf("Hello() = %v", err)
	}
	return c
}

// send runs one transaction on c and returns the first error.
func send(c *smtp.Client, from string, to []string, body string) error {
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	for _, r := range to {
		if err := c.Rcpt(r, nil); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(body)); err != nil {
		return err
	}
	return w.Close()
}

func code(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

func TestAcceptAndWait(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	c := dial(t, s)
	for i := range 3 {
		body := fmt.Sprintf("Subject: %d\r\n\r\n.dot line\r\nbody %d\r\n", i, i)
		if err := send(c, "desk@example.com", []string{"a@example.com", "b@example.com"}, body); err != nil {
			t.Fatalf("send(%d) = %v, want nil", i, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	msgs, err := s.Wait(ctx, 3)
	if err != nil {
		t.Fatalf("Wait(3) = %v", err)
	}
	if len(msgs) != 3 {
		t.Fatalf("len(Wait(3)) = %d, want 3", len(msgs))
	}
	m := msgs[2]
	if m.From != "desk@example.com" || strings.Join(m.To, ",") != "a@example.com,b@example.com" {
		t.Errorf("envelope = %q %q, want desk@example.com [a@example.com b@example.com]", m.From, m.To)
	}
	if want := "Subject: 2\r\n\r\n.dot line\r\nbody 2\r\n"; string(m.Data) != want {
		t.Errorf("Data = %q, want %q", m.Data, want)
	}
	if got := s.Connections(); got != 1 {
		t.Errorf("Connections() = %d, want 1", got)
	}
	if got := s.MaxSessions(); got != 1 {
		t.Errorf("MaxSessions() = %d, want 1", got)
	}
}

func TestWaitTimeout(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := s.Wait(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait(1) = %v, want DeadlineExceeded", err)
	}
}

func TestMaxSessions(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	var clients []*smtp.Client
	for range 3 {
		clients = append(clients, dial(t, s))
	}
	if got := s.MaxSessions(); got != 3 {
		t.Errorf("MaxSessions() = %d, want 3", got)
	}
	for _, c := range clients {
		c.Quit()
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.Sessions() != 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := s.Sessions(); got != 0 {
		t.Errorf("Sessions() after QUIT = %d, want 0", got)
	}
	if got, want := s.Connections(), 3; got != want {
		t.Errorf("Connections() = %d, want %d", got, want)
	}
}

// xoauth2Client is a minimal XOAUTH2 client for the tests.
type xoauth2Client struct{ user, token string }

func (x xoauth2Client) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + x.user + "\x01auth=Bearer " + x.token + "\x01\x01"), nil
}
func (x xoauth2Client) Next([]byte) ([]byte, error) { return []byte{}, nil }

func TestAuth(t *testing.T) {
	t.Parallel()
	s := start(t, Options{
		Users:  map[string]string{"desk": "secret"},
		Tokens: map[string]string{"desk@example.com": "tok"},
	})
	tests := []struct {
		name string
		auth sasl.Client // nil: no AUTH
		want int         // reply code of AUTH, or of MAIL without AUTH
	}{
		{"none", nil, 530},
		{"plain", sasl.NewPlainClient("", "desk", "secret"), 0},
		{"plain wrong password", sasl.NewPlainClient("", "desk", "wrong"), 535},
		{"plain unknown user", sasl.NewPlainClient("", "nobody", "secret"), 535},
		{"login", sasl.NewLoginClient("desk", "secret"), 0},
		{"login wrong password", sasl.NewLoginClient("desk", "wrong"), 535},
		{"xoauth2", xoauth2Client{"desk@example.com", "tok"}, 0},
		{"xoauth2 wrong token", xoauth2Client{"desk@example.com", "bad"}, 535},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, s)
			if tt.auth == nil {
				if err := c.Mail("desk@example.com", nil); code(err) != tt.want {
					t.Errorf("Mail() = %v, want code %d", err, tt.want)
				}
				return
			}
			err := c.Auth(tt.auth)
			if code(err) != tt.want {
				t.Fatalf("Auth() = %v, want code %d", err, tt.want)
			}
			if err != nil {
				return
			}
			if err := send(c, "desk@example.com", []string{"a@example.com"}, "\r\nhi\r\n"); err != nil {
				t.Errorf("send() after AUTH = %v, want nil", err)
			}
		})
	}
}

func TestNoAuthOffered(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	c := dial(t, s)
	if ok, _ := c.Extension("AUTH"); ok {
		t.Errorf("Extension(AUTH) = true, want false without users")
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	s.AddFault(Fault{Stage: StageRcpt, Addr: "Gone@example.com", Code: 550, Enhanced: "5.1.1", Message: "no such user"})
	s.AddFault(Fault{Stage: StageData, Code: 451, Enhanced: "4.3.0", Times: 2})
	s.AddFault(Fault{Stage: StageMail, Addr: "spammer@example.com", Code: 554})
	c := dial(t, s)

	if err := c.Mail("spammer@example.com", nil); code(err) != 554 {
		t.Errorf("Mail(spammer) = %v, want code 554", err)
	}
	if err := c.Mail("desk@example.com", nil); err != nil {
		t.Fatalf("Mail() = %v", err)
	}
	err := c.Rcpt("gone@example.com", nil)
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 550 || se.EnhancedCode != (smtp.EnhancedCode{5, 1, 1}) || se.Message != "no such user" {
		t.Errorf("Rcpt(gone) = %#v, want 550 5.1.1 no such user", err)
	}
	if err := c.Rcpt("a@example.com", nil); err != nil {
		t.Fatalf("Rcpt(a) = %v", err)
	}
	c.Reset()
	for i, want := range []int{451, 451, 0} {
		if err := send(c, "desk@example.com", []string{"a@example.com"}, "\r\nhi\r\n"); code(err) != want {
			t.Errorf("send #%d = %v, want code %d", i+1, err, want)
		}
	}
	if got := len(s.Messages()); got != 1 {
		t.Errorf("len(Messages()) = %d, want 1", got)
	}
	s.ClearFaults()
	if err := send(c, "desk@example.com", []string{"gone@example.com"}, "\r\nhi\r\n"); err != nil {
		t.Errorf("send after ClearFaults = %v, want nil", err)
	}
}

func TestDrop(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	s.AddFault(Fault{Stage: StageData, Drop: true, Times: 1})
	c := dial(t, s)
	err := send(c, "desk@example.com", []string{"a@example.com"}, "\r\nhi\r\n")
	if err == nil || code(err) != 0 {
		t.Fatalf("send() = %v, want a network error", err)
	}
	c2 := dial(t, s)
	if err := send(c2, "desk@example.com", []string{"a@example.com"}, "\r\nhi\r\n"); err != nil {
		t.Errorf("send() on a new connection = %v, want nil", err)
	}
	if got := len(s.Messages()); got != 1 {
		t.Errorf("len(Messages()) = %d, want 1", got)
	}
}

func TestDropMidData(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	s.AddFault(Fault{Stage: StageData, Drop: true, After: 1000, Times: 1})
	c := dial(t, s)
	body := "\r\n" + strings.Repeat("0123456789abcdef\r\n", 6000) // about 108 KB
	err := send(c, "desk@example.com", []string{"a@example.com"}, body)
	if err == nil || code(err) != 0 {
		t.Fatalf("send() = %v, want a network error", err)
	}
	if got := len(s.Messages()); got != 0 {
		t.Errorf("len(Messages()) after a drop during DATA = %d, want 0", got)
	}
	c2 := dial(t, s)
	if err := send(c2, "desk@example.com", []string{"a@example.com"}, body); err != nil {
		t.Errorf("send() on a new connection = %v, want nil", err)
	}
	if got := len(s.Messages()); got != 1 {
		t.Errorf("len(Messages()) = %d, want 1", got)
	}
}

func TestHang(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	s.Hang()
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	c := smtp.NewClient(&deadlineConn{Conn: conn, d: 200 * time.Millisecond})
	defer c.Close()
	start := time.Now()
	err = send(c, "desk@example.com", []string{"a@example.com"}, "\r\nhi\r\n")
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("send() while hung = %v, want a timeout", err)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("send() returned after %v, want at least the 200ms timeout", d)
	}
	s.Release()
	c2 := dial(t, s)
	if err := send(c2, "desk@example.com", []string{"a@example.com"}, "\r\nhi\r\n"); err != nil {
		t.Errorf("send() after Release = %v, want nil", err)
	}
	if got := len(s.Messages()); got != 1 {
		t.Errorf("len(Messages()) = %d, want 1 (the stalled one is discarded)", got)
	}
}

func TestCloseReleasesHang(t *testing.T) {
	t.Parallel()
	s, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Hang()
	c, err := smtp.Dial(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	errc := make(chan error, 1)
	go func() { errc <- send(c, "desk@example.com", []string{"a@example.com"}, "\r\nhi\r\n") }()
	deadline := time.Now().Add(5 * time.Second)
	for s.Sessions() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // let DATA reach the stall
	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Close() = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close() did not return with a stalled DATA")
	}
	if err := <-errc; err == nil {
		t.Errorf("send() to a closed server = nil, want an error")
	}
}

func TestDeliver(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []Message
	s := start(t, Options{Deliver: func(m Message) {
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
	}})
	c := dial(t, s)
	if err := send(c, "desk@example.com", []string{"a@example.com"}, "Subject: x\r\n\r\nhi\r\n"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || !bytes.Contains(got[0].Data, []byte("Subject: x")) {
		t.Errorf("Deliver got %d messages (%q), want the one sent", len(got), got)
	}
}

func TestConcurrentClients(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	const clients, each = 4, 25
	var wg sync.WaitGroup
	for i := range clients {
		c := dial(t, s)
		wg.Go(func() {
			for j := range each {
				if err := send(c, "desk@example.com", []string{fmt.Sprintf("u%d-%d@example.com", i, j)}, "\r\nhi\r\n"); err != nil {
					t.Errorf("send() = %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if got := len(s.Messages()); got != clients*each {
		t.Errorf("len(Messages()) = %d, want %d", got, clients*each)
	}
	if got := s.Connections(); got != clients {
		t.Errorf("Connections() = %d, want %d", got, clients)
	}
}

// deadlineConn sets a deadline of d before every read and write.
type deadlineConn struct {
	net.Conn
	d time.Duration
}

func (c *deadlineConn) Read(p []byte) (int, error) {
	c.Conn.SetReadDeadline(time.Now().Add(c.d))
	return c.Conn.Read(p)
}

func (c *deadlineConn) Write(p []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.d))
	return c.Conn.Write(p)
}

// TestPostfixLimits: recipients beyond the limit get 452 4.5.3, and after
// ErrorLimit errors without a delivery the session ends with 421 4.7.0;
// a message over SIZE is refused with 552 5.3.4.
func TestPostfixLimits(t *testing.T) {
	t.Parallel()
	s := start(t, Options{MaxRecipients: 3, ErrorLimit: 4, MaxMessageBytes: 1000})
	c := dial(t, s)
	if ok, size := c.Extension("SIZE"); !ok || size != "1000" {
		t.Errorf("Extension(SIZE) = %v, %q; want true, 1000", ok, size)
	}
	if err := c.Mail("desk@example.com", nil); err != nil {
		t.Fatal(err)
	}
	var codes []string
	for i := range 6 {
		err := c.Rcpt(fmt.Sprintf("r%d@example.com", i), nil)
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			codes = append(codes, fmt.Sprintf("%d %d.%d.%d", se.Code, se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2]))
		} else {
			codes = append(codes, fmt.Sprint(err))
		}
	}
	if got := strings.Join(codes, ", "); got != "<nil>, <nil>, <nil>, 452 4.5.3, 452 4.5.3, 452 4.5.3" {
		t.Errorf("RCPT replies = %s, want three accepted, then 452 4.5.3", got)
	}
	// Three accepted; the message is delivered and the count starts again.
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("Subject: x\r\n\r\nsmall\r\n"))
	if err := w.Close(); err != nil {
		t.Fatalf("DATA = %v, want accepted", err)
	}
	if err := c.Mail("desk@example.com", nil); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		c.Rcpt(fmt.Sprintf("s%d@example.com", i), nil) // three accepted, error 1
	}
	w, err = c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(strings.Repeat("0123456789\r\n", 200)))
	if err := w.Close(); code(err) != 552 {
		t.Errorf("DATA of 2400 bytes = %v, want 552", err) // error 2
	}
	s.AddFault(Fault{Stage: StageRcpt, Code: 550, Enhanced: "5.1.1"})
	if err := c.Mail("desk@example.com", nil); err != nil {
		t.Fatal(err)
	}
	c.Rcpt("t1@example.com", nil) // error 3
	c.Rcpt("t2@example.com", nil) // error 4: the limit
	if err := c.Rcpt("t3@example.com", nil); code(err) != 421 {
		t.Errorf("RCPT after four errors = %v, want 421", err)
	}
	if err := c.Noop(); err == nil {
		t.Errorf("NOOP after 421 = nil, want the connection closed")
	}
	if got := len(s.Messages()); got != 1 {
		t.Errorf("messages = %d, want 1", got)
	}
}
