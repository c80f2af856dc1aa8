package parse

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/deskgate/deskgate/ticketing"
)

type fixture struct {
	file, class, subject, snippet, note string
}

// checks returns the key=value checks of a fixture note ("att=2; file=x").
func (f fixture) checks() [][2]string {
	var out [][2]string
	for _, part := range strings.Split(f.note, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "att", "file", "cid", "orig", "html-has", "html-not", "from-name", "from-addr", "date", "langs", "text-prefix", "reason":
			if ok {
				out = append(out, [2]string{k, v})
			}
		}
	}
	return out
}

func readFixtures(t testing.TB) []fixture {
	f, err := os.Open(filepath.Join("testdata", "fixtures.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []fixture
	sc := bufio.NewScanner(f)
	for first := true; sc.Scan(); first = false {
		cols := strings.Split(sc.Text(), "\t")
		if first {
			continue
		}
		if len(cols) != 5 {
			t.Fatalf("fixtures.tsv: %d columns in %q, want 5", len(cols), sc.Text())
		}
		out = append(out, fixture{cols[0], cols[1], cols[2], cols[3], cols[4]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFixtures(t *testing.T) {
	fixtures := readFixtures(t)
	if len(fixtures) < 60 {
		t.Errorf("%d fixtures, want at least 60", len(fixtures))
	}
	rejects := 0
	for _, fx := range fixtures {
		t.Run(fx.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "eml", fx.file))
			if err != nil {
				t.Fatal(err)
			}
			in, err := Message(raw, Options{DeskAddresses: []string{"support@desk.example"}})
			if fx.class == "error" {
				rejects++
				if err == nil {
					t.Fatalf("Message(%s) error = nil, want an error", fx.file)
				}
				if !strings.HasPrefix(err.Error(), "parse: ") {
					t.Errorf("Message(%s) error = %q, want a parse: prefix", fx.file, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Message(%s) error = %v", fx.file, err)
			}
			if bad := invalidStrings(in); bad != "" {
				t.Error(bad)
			}
			if string(in.Class) != fx.class {
				t.Errorf("Class = %s (%s), want %s", in.Class, in.ClassReason, fx.class)
			}
			if in.Class != ticketing.ClassHuman && in.ClassReason == "" {
				t.Errorf("ClassReason empty for class %s", in.Class)
			}
			if fx.subject != "-" && in.Subject != fx.subject {
				t.Errorf("Subject = %q, want %q", in.Subject, fx.subject)
			}
			if fx.snippet != "-" && !strings.Contains(collapseSpace(in.Text), collapseSpace(fx.snippet)) {
				t.Errorf("Text = %q, want it to contain %q", in.Text, fx.snippet)
			}
			checkNote(t, fx, in)
		})
	}
	if rejects == 0 {
		t.Error("no fixture checks that Message rejects a non-email")
	}
}

func checkNote(t *testing.T, fx fixture, in ticketing.Inbound) {
	t.Helper()
	var names []string
	for _, a := range in.Attachments {
		names = append(names, a.Filename)
	}
	for _, c := range fx.checks() {
		k, v := c[0], c[1]
		switch k {
		case "att":
			if n, _ := strconv.Atoi(v); len(in.Attachments) != n {
				t.Errorf("len(Attachments) = %d %q, want %d", len(in.Attachments), names, n)
			}
		case "file":
			if !contains(names, v) {
				t.Errorf("attachment filenames = %q, want one named %q", names, v)
			}
		case "cid":
			found := false
			for _, a := range in.Attachments {
				found = found || a.ContentID == v && a.Inline
			}
			if !found {
				t.Errorf("no inline attachment with ContentID %q in %+v", v, names)
			}
		case "orig":
			if in.OriginalMessageID != v {
				t.Errorf("OriginalMessageID = %q, want %q", in.OriginalMessageID, v)
			}
		case "html-has":
			if !strings.Contains(in.HTML, v) {
				t.Errorf("HTML = %q, want it to contain %q", in.HTML, v)
			}
		case "html-not":
			if strings.Contains(in.HTML, v) {
				t.Errorf("HTML = %q, want no %q", in.HTML, v)
			}
		case "reason":
			if !strings.HasPrefix(in.ClassReason, v) {
				t.Errorf("ClassReason = %q, want it to start with %q", in.ClassReason, v)
			}
		case "text-prefix":
			if !strings.HasPrefix(collapseSpace(in.Text), v) {
				t.Errorf("Text = %q, want it to start with %q", in.Text, v)
			}
		case "from-name":
			if in.From.Name != v {
				t.Errorf("From.Name = %q, want %q", in.From.Name, v)
			}
		case "from-addr":
			if in.From.Address != v {
				t.Errorf("From.Address = %q, want %q", in.From.Address, v)
			}
		case "date":
			if got := in.Date.Format("2006-01-02"); got != v {
				t.Errorf("Date = %s, want %s", got, v)
			}
		case "langs": // comma-separated, "" for none
			var want []string
			if v != "" {
				want = strings.Split(v, ",")
			}
			if !slices.Equal(in.Languages, want) || (in.Languages == nil) != (want == nil) {
				t.Errorf("Languages = %#v, want %#v", in.Languages, want)
			}
		}
	}
	checkDeliveries(t, in)
}

// checkDeliveries checks the invariants of Deliveries: nil for mail other
// than bounces, and each report with a valid action, a lower-case
// recipient and a well-formed status.
func checkDeliveries(t *testing.T, in ticketing.Inbound) {
	t.Helper()
	if in.Class != ticketing.ClassBounce {
		if in.Deliveries != nil {
			t.Errorf("Deliveries = %+v for class %s, want nil", in.Deliveries, in.Class)
		}
		return
	}
	for _, d := range in.Deliveries {
		if !slices.Contains(dsnActions, d.Action) {
			t.Errorf("Delivery %+v: Action not one of %q", d, dsnActions)
		}
		if d.Recipient != strings.ToLower(d.Recipient) {
			t.Errorf("Delivery %+v: Recipient not lower case", d)
		}
		if _, ok := enhancedCode(d.Status); d.Status != "" && !ok {
			t.Errorf("Delivery %+v: Status is not an enhanced status code", d)
		}
		if d.Action == "delayed" && d.Permanent() {
			t.Errorf("Delivery %+v: a delay is permanent", d)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
