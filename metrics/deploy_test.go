package metrics

import (
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// promtool finds promtool, installing Debian's prometheus package when it
// is missing and this is a Debian machine run as root, or skips the test.
func promtool(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("promtool"); err == nil {
		return p
	}
	if _, err := exec.LookPath("apt-get"); err != nil || os.Geteuid() != 0 {
		t.Skip("promtool is not installed, and cannot be here (apt-get install prometheus needs Debian and root)")
	}
	cmd := exec.Command("apt-get", "install", "-y", "--no-install-recommends", "prometheus")
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("promtool is not installed, and apt-get install prometheus failed: %v\n%s", err, out)
	}
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("apt-get installed prometheus, but there is no promtool")
	}
	return p
}

// TestAlertRules checks the example alert rules with promtool and runs
// their unit tests.
func TestAlertRules(t *testing.T) {
	tool := promtool(t)
	for _, args := range [][]string{
		{"check", "rules", "deskgate-alerts.yml"},
		{"test", "rules", "deskgate-alerts.test.yml"},
	} {
		cmd := exec.Command(tool, args...)
		cmd.Dir = "../deploy/prometheus"
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// seriesIn returns the deskgate_ series a text names, histograms by their
// base name.
func seriesIn(text string) map[string]bool {
	out := map[string]bool{}
	for _, m := range regexp.MustCompile(`deskgate_[a-z0-9_]*[a-z0-9]`).FindAllString(text, -1) {
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if strings.HasSuffix(m, "_seconds"+suffix) {
				m = strings.TrimSuffix(m, suffix)
			}
		}
		out[m] = true
	}
	return out
}

// TestDeployNamesDefinedSeries: the alert rules and the Grafana dashboard
// use only series deskgate defines, and the dashboard is valid JSON.
func TestDeployNamesDefinedSeries(t *testing.T) {
	defined := map[string]bool{}
	for _, d := range Defs() {
		defined[d.Name] = true
	}
	dash, err := os.ReadFile("../deploy/grafana/deskgate.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Panels []struct {
			Targets []struct{ Expr string } `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(dash, &v); err != nil || len(v.Panels) == 0 {
		t.Fatalf("deploy/grafana/deskgate.json: %v, %d panels", err, len(v.Panels))
	}
	rules, err := os.ReadFile("../deploy/prometheus/deskgate-alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	for file, text := range map[string]string{"deskgate.json": string(dash), "deskgate-alerts.yml": string(rules)} {
		for name := range seriesIn(text) {
			if !defined[name] {
				t.Errorf("%s uses %s, which deskgate does not define", file, name)
			}
		}
	}
}

// TestDocsListEverySeries: docs/monitoring.md has a row for every series,
// with its type and labels, and names none that does not exist.
func TestDocsListEverySeries(t *testing.T) {
	doc, err := os.ReadFile("../docs/monitoring.md")
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]bool{}
	for _, d := range Defs() {
		defined[d.Name] = true
		labels := "none"
		if len(d.Labels) > 0 {
			labels = "`" + strings.Join(d.Labels, "`, `") + "`"
		}
		row := "| `" + d.Name + "` | " + d.Type + " | " + labels + " |"
		if !strings.Contains(string(doc), row) {
			t.Errorf("docs/monitoring.md has no row starting %s", row)
		}
	}
	for name := range seriesIn(string(doc)) {
		if !defined[name] {
			t.Errorf("docs/monitoring.md names %s, which deskgate does not define", name)
		}
	}
}
