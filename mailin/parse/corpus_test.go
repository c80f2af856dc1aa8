package parse

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jhillyerd/enmime/v2"

	"github.com/deskgate/deskgate/ticketing"
)

// notEmail lists corpus files that are judged not to be email at all, so
// Message must reject them, each with the reason.
var notEmail = map[string]string{}

// knownGaps lists corpus checks that fail for a principled reason. A gap
// that starts passing fails the test so the list stays honest.
var knownGaps = map[string]string{
	"autoreply/otobo__UTF-7.eml": "a virus-scanner status report with no From, no automation header and " +
		"no generic wording; only a product-specific rule could recognise it",
	"attachments/php-mime-mail-parser__m0024.eml": "carries ezmlm's Mailing-List header, a genuine list " +
		"signal the manifest's header list omits; classifying it as list is the safe choice",
	"malformed/flanker__bounce-delayed-broken.eml": "the whole body is message/delivery-status (a delay " +
		"report missing its outer headers); a delivery-status part decides bounce by design",
	"malformed/otobo__FilenameWithCRLF.eml": "multipart/mixed with a message/delivery-status part and " +
		"Subject \"Delivery Status\": a delivery-status part decides bounce by design",
}

// corpusDir finds ../shared/corpus relative to the module root.
func corpusDir(t testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
	return filepath.Join(dir, "..", "shared", "corpus")
}

type corpusEntry struct {
	path, class, auto, subject, body, notes string
}

func readManifest(t testing.TB, dir string) []corpusEntry {
	f, err := os.Open(filepath.Join(dir, "manifest.tsv"))
	if err != nil {
		t.Fatalf("open manifest: %v", err)
	}
	defer f.Close()
	var out []corpusEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for first := true; sc.Scan(); first = false {
		cols := strings.Split(sc.Text(), "\t")
		if first || len(cols) < 6 {
			continue
		}
		out = append(out, corpusEntry{cols[0], cols[1], cols[2], cols[3], cols[4], cols[5]})
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read manifest: %v", err)
	}
	return out
}

// checkCorpus returns the problems found with one corpus message.
func checkCorpus(e corpusEntry, raw []byte) []string {
	in, err := Message(raw, Options{})
	if reason, ok := notEmail[e.path]; ok {
		if err == nil {
			return []string{"want error (" + reason + "), got none"}
		}
		return nil
	}
	if err != nil {
		return []string{"Message() error: " + err.Error()}
	}
	var problems []string
	if bad := invalidStrings(in); bad != "" {
		problems = append(problems, bad)
	}
	switch {
	case e.auto == "yes" && in.Class == ticketing.ClassHuman:
		problems = append(problems, "class = human, want auto-generated")
	case e.auto == "no" && in.Class != ticketing.ClassHuman:
		problems = append(problems, "class = "+string(in.Class)+" ("+in.ClassReason+"), want human")
	}
	if e.subject != "-" && !strings.Contains(collapseSpace(in.Subject), collapseSpace(e.subject)) {
		problems = append(problems, "subject = "+quote(in.Subject)+", want it to contain "+quote(e.subject))
	}
	if e.body != "-" && !strings.Contains(collapseSpace(in.Text), collapseSpace(e.body)) {
		problems = append(problems, "text = "+quote(trunc(collapseSpace(in.Text), 300))+", want it to contain "+quote(e.body))
	}
	return problems
}

func TestCorpus(t *testing.T) {
	dir := corpusDir(t)
	if _, err := os.Stat(filepath.Join(dir, "manifest.tsv")); errors.Is(err, os.ErrNotExist) || dir == "" {
		t.Skipf("skipping: corpus not present at %s; it exists only in CI and the developers' workplace", dir)
	}
	entries := readManifest(t, dir)
	pass := map[string]int{}
	total := map[string]int{}
	gaps := 0
	for _, e := range entries {
		t.Run(e.path, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, e.path))
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			total[e.class]++
			problems := checkCorpus(e, raw)
			if reason, ok := knownGaps[e.path]; ok {
				gaps++
				if len(problems) == 0 {
					t.Errorf("known gap now passes; remove it from knownGaps (%s)", reason)
				}
				return
			}
			if len(problems) > 0 {
				t.Errorf("%s", strings.Join(problems, "\n"))
				return
			}
			pass[e.class]++
		})
	}
	classes := make([]string, 0, len(total))
	for c := range total {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	for _, c := range classes {
		t.Logf("corpus %-12s %3d/%3d pass", c, pass[c], total[c])
	}
	t.Logf("corpus known gaps: %d", gaps)
}

func quote(s string) string { return "\"" + s + "\"" }

func trunc(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// corpusDeliveries are the reports read by hand from corpus files the
// manifest says nothing about; Diagnostic here is a fragment the parsed
// Diagnostic must contain. A file missing from the corpus is skipped.
var corpusDeliveries = map[string][]ticketing.Delivery{
	"bounce/bounce-email__tt_bounce_24.eml": {dl("customer.testemail@test-receive-domain.se", "failed", "5.1.1", "RESOLVER.ADR.RecipNotFound")},
	// Original-Recipient (what was sent) wins over the alias it expanded to.
	"bounce/flufl-bounce__dsn_04.eml":                                        {dl("userx@example.ch", "failed", "5.0.0", "")},
	"bounce/flanker__no-mx.eml":                                              {dl("user@example.com", "delayed", "4.4.4", "no MX or A for domain")},
	"bounce/flanker__mailbox-full.eml":                                       {dl("user@aol.com", "failed", "5.2.2", "MAILBOX FULL")},
	"bounce/bounceparser__spam-rejection42.eml":                              {dl("fred.bloggs@example.net", "failed", "5.9.8", "Spam")},
	"bounce/sisimai__lhost-exchange2007-05.eml":                              {dl("gwang1@student.mlcsyd.nsw.edu.au", "failed", "4.4.7", "QUEUE.Expired")},
	"bounce/sisimai__lhost-domino-02.eml":                                    {dl("kijitora@example.co.jp", "failed", "5.0.0", "Domino ディレクトリには見つかりません")},
	"bounce/sisimai__lhost-sendmail-02.eml":                                  {dl("userunknown@example.org", "failed", "5.1.1", "User Unknown"), dl("filtered@example.com", "failed", "5.2.1", "")},
	"bounce/sisimai__lhost-googleworkspace-01.eml":                           {dl("neko-nyaan-cat-meeting@google-groups.example.com", "failed", "", "SENT_SECOND_EHLO")},
	"bounce/flufl-bounce__netscape_01.eml":                                   {dl("aaaaa@corel.com", "failed", "", ""), dl("bbbbb@corel.com", "failed", "", "")},
	"bounce/sisimai__lhost-qmail-02.eml":                                     {dl("userunknown@example.jp", "failed", "5.1.1", "User Unknown"), dl("filtered@example.jp", "failed", "5.2.1", "")},
	"bounce/sisimai__lhost-exim-05.eml":                                      {dl("kijitora@neko.example.co.jp", "failed", "5.1.1", "unknown or illegal user")},
	"bounce/sisimai__lhost-exchange2003-02.eml":                              {dl("kijitora@example.co.jp", "failed", "", "not recognized"), dl("mikeneko@example.co.jp", "failed", "", "not recognized")},
	"bounce/sisimai__lhost-mimecast-01.eml":                                  {dl("sabineko@neko.ef.example.org", "failed", "5.4.1", "Access denied")},
	"bounce/sisimai__rb-issue-368-bug.eml":                                   {dl("xxxx@yyyyyy.net", "failed", "", "Mailbox full")},
	"bounce/spamassassin-t__bug-5942-1.eml":                                  {dl("marketing@moneypost.ru", "delayed", "4.2.2", "Over quota"), dl("wowa@moneypost.ru", "delayed", "", "")},
	"bounce/spamassassin-t__bug5884_att4343_gwava.eml":                       {dl("ewa.walewska@cplus.com.pl", "delayed", "", "")},
	"autoreply/bounceparser__boxbe-cr2.eml":                                  {dl("recipient@example.net", "delayed", "4.7.0", "not pre-approved")},
	"malformed/mikel-mail__raw_email_with_mimepart_without_content_type.eml": {dl("larose.julie@courrier.uqam.ca", "delayed", "4.5.0", "")},
	"bounce/flufl-bounce__simple_20.eml":                                     {dl("userx@example.com", "failed", "", "")},
	// "Delivery attempts will continue to be made for 5 day(s)": a delay.
	"bounce/flufl-bounce__simple_22.eml": {dl("user@example.org", "delayed", "", "")},
	// Reports that name no recipient anywhere.
	"bounce/flufl-bounce__yahoo_12.eml":  nil,
	"malformed/sisimai__issue-15-01.eml": nil,
	"bounce/sisimai__arf-02.eml":         nil,
}

// TestCorpusDeliveries checks Deliveries across the corpus: every bounce
// whose delivery-status part names a recipient has reports, every report
// is well-formed, no other class has any, and the hand-read files match.
func TestCorpusDeliveries(t *testing.T) {
	dir := corpusDir(t)
	if _, err := os.Stat(filepath.Join(dir, "manifest.tsv")); errors.Is(err, os.ErrNotExist) || dir == "" {
		t.Skipf("skipping: corpus not present at %s; it exists only in CI and the developers' workplace", dir)
	}
	bounces, withReports, checked := 0, 0, 0
	for _, e := range readManifest(t, dir) {
		raw, err := os.ReadFile(filepath.Join(dir, e.path))
		if err != nil {
			t.Errorf("%s: %v", e.path, err)
			continue
		}
		in, err := Message(raw, Options{})
		if err != nil {
			continue // TestCorpus reports it
		}
		t.Run(e.path, func(t *testing.T) { checkDeliveries(t, in) })
		if in.Class == ticketing.ClassBounce {
			bounces++
			if len(in.Deliveries) > 0 {
				withReports++
			}
			if namesRecipient(raw) && len(in.Deliveries) == 0 {
				t.Errorf("%s: Deliveries empty, want the recipients its delivery-status part names", e.path)
			}
		}
		if want, ok := corpusDeliveries[e.path]; ok {
			checked++
			if msg := matchDeliveries(in.Deliveries, want); msg != "" {
				t.Errorf("Message(%s).Deliveries = %+v: %s", e.path, in.Deliveries, msg)
			}
		}
	}
	t.Logf("corpus bounces with Deliveries: %d/%d; hand-read files checked: %d/%d", withReports, bounces, checked, len(corpusDeliveries))
}

// namesRecipient reports whether a message has a delivery-status part
// with a Final-Recipient or Original-Recipient field.
func namesRecipient(raw []byte) bool {
	body, err := headerStart(raw)
	if err != nil {
		return false
	}
	_, m, err := safeBuild(body, newBudget(time.Minute))
	if err != nil {
		return false
	}
	named := false
	_ = m.root.DepthMatchAll(func(p *enmime.Part) bool {
		if isDeliveryStatusType(p.ContentType) {
			for _, f := range dsnFields(p.Content) {
				named = named || isRecipientField(f)
			}
		}
		return false
	})
	return named
}

// matchDeliveries compares reports with expectations whose Diagnostic is a
// fragment; it returns what differs, or "".
func matchDeliveries(got, want []ticketing.Delivery) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d reports, want %d: %+v", len(got), len(want), want)
	}
	for i, w := range want {
		g := got[i]
		if g.Recipient != w.Recipient || g.Action != w.Action || g.Status != w.Status || !strings.Contains(g.Diagnostic, w.Diagnostic) {
			return fmt.Sprintf("report %d, want %+v (Diagnostic containing it)", i, w)
		}
	}
	return ""
}
