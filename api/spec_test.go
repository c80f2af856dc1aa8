package api_test

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/deskgate/deskgate/api"
	"github.com/deskgate/deskgate/mailin"
	"github.com/deskgate/deskgate/ticketing"
)

// TestGeneratedMatchesSpec fails when openapi.gen.go, which the handlers
// implement, is not what oapi-codegen makes of openapi.yaml today: run
// go generate ./api.
func TestGeneratedMatchesSpec(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "gen.go")
	cfg, err := os.ReadFile("oapi-codegen.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg = bytes.Replace(cfg, []byte("output: openapi.gen.go"), []byte("output: "+out), 1)
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "tool", "oapi-codegen", "-config", filepath.Join(dir, "config.yaml"), "openapi.yaml")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("oapi-codegen: %v\n%s", err, b)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("openapi.gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("openapi.gen.go is not generated from openapi.yaml as it stands: run go generate ./api")
	}
}

type specDoc struct {
	Paths      map[string]map[string]any `yaml:"paths"`
	Components struct {
		Schemas map[string]struct {
			GoType     string         `yaml:"x-go-type"`
			Properties map[string]any `yaml:"properties"`
		} `yaml:"schemas"`
	} `yaml:"components"`
}

func readSpec(t *testing.T) specDoc {
	t.Helper()
	b, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var d specDoc
	if err := yaml.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// jsonFields lists the JSON names of t's fields, embedded structs' too.
func jsonFields(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case f.Anonymous && name == "":
			out = append(out, jsonFields(f.Type)...)
		case name != "-" && f.IsExported():
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// TestSpecSchemasMatchTypes fails when a schema the handlers serve as an
// existing Go type (x-go-type) lists other properties than the type's
// JSON fields.
func TestSpecSchemasMatchTypes(t *testing.T) {
	t.Parallel()
	types := map[string]reflect.Type{
		"ticketing.Ticket": reflect.TypeFor[ticketing.Ticket](), "ticketing.TicketSummary": reflect.TypeFor[ticketing.TicketSummary](),
		"ticketing.Contact": reflect.TypeFor[ticketing.Contact](), "mailin.Record": reflect.TypeFor[mailin.Record](),
	}
	for name, s := range readSpec(t).Components.Schemas {
		if s.GoType == "" {
			continue
		}
		typ, ok := types[s.GoType]
		if !ok {
			t.Errorf("schema %s: x-go-type %s is not checked by this test", name, s.GoType)
			continue
		}
		var props []string
		for p := range s.Properties {
			props = append(props, p)
		}
		slices.Sort(props)
		if want := jsonFields(typ); !slices.Equal(props, want) {
			t.Errorf("schema %s lists %v; %s has %v", name, props, s.GoType, want)
		}
	}
}

// TestEveryOperationServed sends each operation of the document without a
// token: each is routed (401, not 404 or 405), the document itself needs
// none, and a path outside it is 404.
func TestEveryOperationServed(t *testing.T) {
	t.Parallel()
	r := newRig(t, 0)
	n := 0
	for path, ops := range readSpec(t).Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			n++
			p := strings.NewReplacer("{number}", "1", "{id}", "1", "{address}", "a@example.com").Replace(path)
			want := http.StatusUnauthorized
			if path == "/openapi.json" {
				want = http.StatusOK
			}
			if code, _, body := r.do("", strings.ToUpper(method), p, nil); code != want {
				t.Errorf("%s %s without a token = %d %s, want %d", strings.ToUpper(method), p, code, body, want)
			}
		}
	}
	if n != 15 {
		t.Errorf("the document has %d operations; want 15", n)
	}
	tok := r.token("ada@desk.example", api.ScopeRead, 0)
	if code, _, _ := r.do(tok, "GET", "/nothing", nil); code != http.StatusNotFound {
		t.Errorf("GET /nothing = %d, want 404", code)
	}
}
