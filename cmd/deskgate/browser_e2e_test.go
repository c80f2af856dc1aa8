package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/deskgate/deskgate/internal/demo"
	"github.com/deskgate/deskgate/internal/imapmem"
	"github.com/deskgate/deskgate/internal/smtpmem"
)

// hostileHTMLMail is HTML mail that tries everything: scripts, event handlers,
// javascript: links, remote images, stylesheets and frames, CSS tricks,
// forms, meta refresh and base.
const hostileHTMLMail = "From: Mallory <mallory@example.net>\r\n" +
	"To: help@desk.example\r\n" +
	"Subject: Invoice overdue (hostile HTML)\r\n" +
	"Message-ID: <hostile-1@example.net>\r\n" +
	"Date: Mon, 07 Dec 2026 09:00:00 +0100\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/alternative; boundary=b\r\n" +
	"\r\n" +
	"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease pay the invoice.\r\n" +
	"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
	`<html><head><meta http-equiv="refresh" content="0;url=https://evil.example/r">` +
	`<base href="https://evil.example/"><link rel="stylesheet" href="https://evil.example/s.css">` +
	`<style>body{background:url(https://evil.example/bg.png)}</style>` +
	`<script>alert('script')</script></head><body onload="alert('onload')">` + "\r\n" +
	`<p>Please pay the <b>invoice</b>.</p><img src="https://evil.example/pixel.gif" onerror="alert('onerror')">` + "\r\n" +
	`<a href="javascript:alert('link')">pay here</a> <img src="cid:logo"> <a href="https://example.com/">fine</a>` + "\r\n" +
	`<div style="position:fixed;top:0;left:0;width:100%;height:100%;background-image:url(https://evil.example/css.png)">overlay</div>` + "\r\n" +
	`<iframe src="https://evil.example/frame"></iframe><object data="https://evil.example/o"></object>` + "\r\n" +
	`<form action="https://evil.example/f"><input name=p></form><svg><script>alert('svg')</script></svg>` + "\r\n" +
	"</body></html>\r\n--b--\r\n"

// TestDashboardInChromium drives the dashboard in headless Chromium
// (Debian's chromium package; .ci/run installs it): sign-in through the
// link mailed to the agent, read from the in-process SMTP server; every
// page renders without a console error (a CSP violation, a failed load or
// a script error is one); the hostile mail's page runs no script and loads
// nothing from another host (every host but 127.0.0.1 resolves to
// nothing, so a load would fail in the console). It writes screenshots of
// the overview and a ticket page to $DESKGATE_SCREENSHOTS when set (the
// docs' images come from there).
func TestDashboardInChromium(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (apt-get install chromium; .ci/run does): " + err.Error())
	}
	imap, err := imapmem.Start(imapmem.Options{Username: "help@desk.example", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer imap.Close()
	for _, m := range demo.Messages() {
		if _, err := imap.Append("INBOX", m.Raw); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := imap.Append("INBOX", []byte(hostileHTMLMail)); err != nil {
		t.Fatal(err)
	}
	smtp, err := smtpmem.Start(smtpmem.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer smtp.Close()
	pool := useDatabase(t)
	base, served, _ := startServing(t, pool, demoConfig(imap.Addr(), smtp.Addr(), "help@desk.example", "pw"))

	// The hostile mail becomes a ticket.
	var hostile int64
	deadline := time.Now().Add(60 * time.Second)
	for hostile == 0 {
		_ = pool.QueryRow(context.Background(), `SELECT id FROM tickets WHERE subject LIKE 'Invoice overdue%'`).Scan(&hostile)
		if hostile == 0 {
			select {
			case err := <-served:
				t.Fatalf("serve stopped: %v", err)
			case <-time.After(50 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				t.Fatal("the hostile mail made no ticket within 60s")
			}
		}
	}

	ctx, cancel := chromedp.NewContext(context.Background(), chromedp.WithAllocatorOptions(
		chromedp.ExecPath(browser), chromedp.NoSandbox,
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.Flag("disable-gpu", true)))
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1000, 800)); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	var mu sync.Mutex
	var console []string
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning || m.IsException() {
				mu.Lock()
				console = append(console, m.String()+" at "+m.URL)
				mu.Unlock()
			}
		}
	}()
	noConsoleErrors := func(page string) {
		t.Helper()
		// The console's events come on their own; a script's evaluation after
		// the page's load lets those of the load arrive first.
		_, _ = chromedp.Run(ctx, chromedp.Evaluate[bool]("true"))
		mu.Lock()
		defer mu.Unlock()
		for _, c := range console {
			t.Errorf("%s: console: %s", page, c)
		}
		console = nil
	}
	step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
		defer scancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			html, _ := chromedp.Run(ctx, chromedp.Evaluate[string]("location.href + ' ' + document.documentElement.outerHTML"))
			t.Fatalf("%s: %v; the page: %s", what, err, html)
		}
	}

	step("sign-in form", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "maja@desk.example"), chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("sent")))
	noConsoleErrors("sign-in")
	link := signInLink(t, smtp, "maja@desk.example")
	if !strings.HasPrefix(link, base+"/signin/") {
		t.Fatalf("sign-in link %q, want one on %s", link, base)
	}
	step("sign-in link", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("signin")),
		chromedp.Click(chromedp.ID("signin")), chromedp.WaitVisible(chromedp.ID("open")))
	noConsoleErrors("overview")
	screenshot(t, ctx, "dashboard-overview.png")

	for _, p := range []struct{ path, want string }{
		{"/tickets", "form.filters"},
		{"/tickets?status=new&q=vpn", "form.filters"},
		{"/reports", "#sla"},
		{"/tickets/1", "#timeline"},
	} {
		step(p.path, chromedp.Navigate(base+p.path), chromedp.WaitVisible(chromedp.CSS(p.want)))
		noConsoleErrors(p.path)
	}

	// Keyboard only: the first Tab reaches the skip link, Tabs go on to the
	// sections, and Enter on one opens it.
	step("keyboard", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("open")))
	var reached []string
	for range 8 {
		step("Tab", chromedp.KeyEvent("\t"))
		focused, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.textContent.trim()`))
		if err != nil {
			t.Fatal(err)
		}
		reached = append(reached, focused)
		if focused == "Tickets" {
			break
		}
	}
	if len(reached) == 0 || reached[0] != "Skip to content" || reached[len(reached)-1] != "Tickets" {
		t.Fatalf("Tab went through %q; want the skip link first, then on to Tickets", reached)
	}
	step("Enter", chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS("form.filters")))
	if at, err := chromedp.Run(ctx, chromedp.Location()); err != nil || at != base+"/tickets" {
		t.Errorf("Enter on Tickets opened %q (%v), want %s/tickets", at, err, base)
	}
	// A phone's width: no page is wider than the screen (wide tables
	// scroll within their own box).
	step("phone", chromedp.EmulateViewport(375, 740))
	for _, p := range []string{"/", "/tickets", "/reports", "/tickets/1"} {
		step(p+" on a phone", chromedp.Navigate(base+p), chromedp.WaitVisible(chromedp.ID("main")))
		wide, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`))
		if wide > 0 { // name what sticks out
			wide, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => { const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT); const out = []; let n; while ((n = w.nextNode())) { const r = document.createRange(); r.selectNodeContents(n); if (r.getBoundingClientRect().right > innerWidth + 1 && !n.parentElement.closest('.scroll')) out.push(n.parentElement.tagName + ' ' + n.textContent.slice(0, 60)); } return out.slice(0, 5); })()`))
			t.Logf("%s: text beyond the screen's edge: %q", p, wide)
		}
		if err != nil || wide > 0 {
			t.Errorf("%s on a 375-pixel screen is %d pixels wider than it (%v)", p, wide, err)
		}
		noConsoleErrors(p + " on a phone")
	}
	step("desktop", chromedp.EmulateViewport(1000, 800))

	path := "/tickets/" + strconv.FormatInt(hostile, 10)
	step(path, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS(`iframe[sandbox=""]`)))
	screenshot(t, ctx, "dashboard-ticket.png")
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`performance.getEntriesByType('resource').map(e => e.name)`))
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range loaded {
		if !strings.HasPrefix(u, base+"/") {
			t.Errorf("%s loaded %s", path, u)
		}
	}
	// The frame is sandboxed without scripts or same-origin: the page cannot
	// reach into it and it runs nothing; its text is there.
	framed, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`(() => { try { return document.querySelector('iframe').contentDocument ? 'reachable' : 'opaque' } catch (e) { return 'opaque' } })()`))
	if err != nil || framed != "opaque" {
		t.Errorf("the mail's frame is %q (%v), want opaque: sandboxed without allow-same-origin", framed, err)
	}
	noConsoleErrorsExceptSandbox(t, &mu, &console, path)
}

// noConsoleErrorsExceptSandbox checks the hostile page's console: the only
// messages allowed are Chromium reporting what the sandbox and the CSP
// refused (they show that they held), and none may come from a script
// that ran.
func noConsoleErrorsExceptSandbox(t *testing.T, mu *sync.Mutex, console *[]string, page string) {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	for _, c := range *console {
		if strings.Contains(c, "alert") && !strings.Contains(c, "Blocked script execution") {
			t.Errorf("%s: a script ran: %s", page, c)
		}
		if strings.Contains(c, "evil.example") && !strings.Contains(c, "Refused") && !strings.Contains(c, "Blocked") {
			t.Errorf("%s: something remote was tried: %s", page, c)
		}
	}
	*console = nil
}

// signInLink waits for the sign-in mail to addr and returns its link.
func signInLink(t *testing.T, s *smtpmem.Server, addr string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for n := 1; ; n++ {
		msgs, err := s.Wait(ctx, n)
		if err != nil {
			t.Fatalf("no sign-in mail to %s: %v", addr, err)
		}
		m := msgs[n-1]
		if len(m.To) == 0 || m.To[0] != addr {
			continue
		}
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil || !strings.HasPrefix(msg.Header.Get("Subject"), "Sign in") {
			continue
		}
		var body io.Reader = msg.Body
		if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body = quotedprintable.NewReader(body)
		}
		text, _ := io.ReadAll(body)
		if link := regexp.MustCompile(`http://\S+/signin/[A-Za-z0-9_-]+`).Find(text); link != nil {
			return string(link)
		}
		t.Fatalf("the sign-in mail has no link: %s", text)
	}
}

// screenshot writes the page as name into $DESKGATE_SCREENSHOTS, if set.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("DESKGATE_SCREENSHOTS")
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if dir == "" {
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
}
