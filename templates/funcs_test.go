package templates

import (
	"slices"
	"testing"
	"time"
)

func TestDate(t *testing.T) {
	t.Parallel()
	loc := time.FixedZone("CET", 3600)
	at := time.Date(2026, 3, 6, 16, 20, 0, 0, loc)
	sunday := time.Date(2026, 12, 27, 9, 5, 0, 0, loc)
	tests := []struct {
		lang string
		t    time.Time
		want string
	}{
		{"en", at, "Friday 6 March 2026, 16:20"},
		{"sv", at, "fredag 6 mars 2026 kl. 16.20"},
		{"da", at, "fredag den 6. marts 2026 kl. 16.20"},
		{"zh", at, "2026年3月6日 星期五 16:20"},
		{"en", sunday, "Sunday 27 December 2026, 09:05"},
		{"sv", sunday, "söndag 27 december 2026 kl. 09.05"},
		{"da", sunday, "søndag den 27. december 2026 kl. 09.05"},
		{"zh", sunday, "2026年12月27日 星期日 09:05"},
		{"fr", at, "Friday 6 March 2026, 16:20"},
		{"en", time.Time{}, ""},
		{"zh", time.Time{}, ""},
	}
	for _, tt := range tests {
		if got := formatDate(tt.lang, tt.t); got != tt.want {
			t.Errorf("formatDate(%q, %v) = %q, want %q", tt.lang, tt.t, got, tt.want)
		}
	}
}

func TestTarget(t *testing.T) {
	t.Parallel()
	h, m := time.Hour, time.Minute
	tests := []struct {
		lang     string
		d        time.Duration
		business bool
		want     string
	}{
		{"en", 0, false, ""},
		{"en", -h, false, ""},
		{"en", 29 * time.Second, false, ""},
		{"en", 4 * h, true, "4 business hours"},
		{"en", h, true, "1 business hour"},
		{"en", 30 * m, true, "30 minutes (business hours)"},
		{"en", 90 * m, true, "1 hour 30 minutes (business hours)"},
		{"en", 24 * h, true, "24 business hours"},
		{"en", 48 * h, false, "2 days"},
		{"en", 24 * h, false, "1 day"},
		{"en", 36 * h, false, "36 hours"},
		{"en", h + m, false, "1 hour 1 minute"},
		{"en", 45*m + 40*time.Second, false, "46 minutes"},
		{"sv", 4 * h, true, "4 arbetstimmar"},
		{"sv", h, true, "1 arbetstimme"},
		{"sv", 90 * m, true, "1 timme och 30 minuter (arbetstid)"},
		{"sv", 48 * h, false, "2 dagar"},
		{"sv", 2*h + m, false, "2 timmar och 1 minut"},
		{"da", 4 * h, true, "4 arbejdstimer"},
		{"da", h, true, "1 arbejdstime"},
		{"da", 90 * m, true, "1 time og 30 minutter (arbejdstid)"},
		{"da", 72 * h, false, "3 dage"},
		{"da", m, false, "1 minut"},
		{"zh", 4 * h, true, "4个工作小时"},
		{"zh", 90 * m, true, "1小时30分钟（工作时间）"},
		{"zh", 48 * h, false, "2天"},
		{"zh", 45 * m, false, "45分钟"},
	}
	for _, tt := range tests {
		s := SLA{Kind: "response", Target: tt.d, Business: tt.business}
		if got := formatTarget(tt.lang, s); got != tt.want {
			t.Errorf("formatTarget(%q, %+v) = %q, want %q", tt.lang, s, got, tt.want)
		}
	}
}

func TestQuote(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, text, html string }{
		{"", "", ""},
		{"\n \n", "", ""},
		{"one", "> one", "<blockquote style=\"margin:0 0 16px;padding:0 0 0 12px;border-left:3px solid #d0d7de;color:#424a53;\">\n" +
			"<p style=\"margin:0 0 16px;\">one</p>\n</blockquote>"},
		{"\r\na\r\n\r\n> b\r\n", "> a\n>\n> > b", "<blockquote style=\"margin:0 0 16px;padding:0 0 0 12px;border-left:3px solid #d0d7de;color:#424a53;\">\n" +
			"<p style=\"margin:0 0 16px;\">a</p>\n<p style=\"margin:0 0 16px;\">&gt; b</p>\n</blockquote>"},
	}
	for _, tt := range tests {
		if got := quoteText(tt.in); got != tt.text {
			t.Errorf("quoteText(%q) = %q, want %q", tt.in, got, tt.text)
		}
		if got := string(quoteHTML(tt.in)); got != tt.html {
			t.Errorf("quoteHTML(%q) = %q, want %q", tt.in, got, tt.html)
		}
	}
}

func TestLines(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, text, html string }{
		{"", "", ""},
		{"a\nb", "a\nb", `<p style="margin:0 0 16px;">a<br>` + "\nb</p>"},
		{"\n\n<b>x</b> & 'y'\r\n\r\n\r\n  \"z\"\n\n", "<b>x</b> & 'y'\n\n\n  \"z\"",
			`<p style="margin:0 0 16px;">&lt;b&gt;x&lt;/b&gt; &amp; &#39;y&#39;</p>` + "\n" +
				`<p style="margin:0 0 16px;">  &#34;z&#34;</p>`},
	}
	for _, tt := range tests {
		if got := linesText(tt.in); got != tt.text {
			t.Errorf("linesText(%q) = %q, want %q", tt.in, got, tt.text)
		}
		if got := string(linesHTML(tt.in)); got != tt.html {
			t.Errorf("linesHTML(%q) = %q, want %q", tt.in, got, tt.html)
		}
	}
}

func TestMarkers(t *testing.T) {
	t.Parallel()
	want := []string{
		"##- Please type your reply above this line -##",
		"##- Skriv ditt svar ovanför den här raden -##",
		"##- Skriv dit svar over denne linje -##",
		"##- 请在此行上方输入您的回复 -##",
	}
	if got := Markers(); !slices.Equal(got, want) {
		t.Errorf("Markers() = %q, want %q", got, want)
	}
	for i, lang := range Languages() {
		if got := Marker(lang); got != want[i] {
			t.Errorf("Marker(%q) = %q, want %q", lang, got, want[i])
		}
	}
	for _, lang := range []string{"", "fr", "sv-SE", "EN"} {
		if got := Marker(lang); got != want[0] {
			t.Errorf("Marker(%q) = %q, want %q", lang, got, want[0])
		}
	}
}

func TestEvents(t *testing.T) {
	t.Parallel()
	want := []string{"ticket-received", "agent-reply", "status-pending", "status-resolved", "status-closed",
		"reopened", "new-ticket", "requester-replied", "sla-warning", "sla-breach", "commands-rejected", "reply-unverified", "sender-held", "conversation-paused", "digest", "assigned"}
	if got := Events(); !slices.Equal(got, want) {
		t.Errorf("Events() = %q, want %q", got, want)
	}
	agents := []string{"new-ticket", "requester-replied", "sla-warning", "sla-breach", "commands-rejected", "reply-unverified", "sender-held", "conversation-paused", "digest", "assigned"}
	for _, e := range append(want, "", "bogus") {
		if got := ToAgents(e); got != slices.Contains(agents, e) {
			t.Errorf("ToAgents(%q) = %v, want %v", e, got, !got)
		}
		if got := knownEvent(e); got != slices.Contains(want, e) {
			t.Errorf("knownEvent(%q) = %v, want %v", e, got, !got)
		}
	}
	if got, want := Languages(), []string{"en", "sv", "da", "zh"}; !slices.Equal(got, want) {
		t.Errorf("Languages() = %q, want %q", got, want)
	}
}

func TestSizeAndMore(t *testing.T) {
	for _, c := range []struct {
		lang string
		n    int64
		size string
		more string
	}{
		{"en", 1, "1 KB", "[… 1 KB more in the ticket]"},
		{"en", 1500, "2 KB", "[… 2 KB more in the ticket]"},
		{"sv", 999_999, "1000 kB", "[… ytterligare 1000 kB i ärendet]"},
		{"da", 14_200_000, "14 MB", "[… yderligere 14200 kB i sagen]"},
		{"zh", 25_101_824, "25 MB", "[… 工单中还有 25102 KB]"},
	} {
		if got := formatSize(c.lang, c.n); got != c.size {
			t.Errorf("formatSize(%q, %d) = %q, want %q", c.lang, c.n, got, c.size)
		}
		if got := formatMore(c.lang, int(c.n)); got != c.more {
			t.Errorf("formatMore(%q, %d) = %q, want %q", c.lang, c.n, got, c.more)
		}
	}
}
