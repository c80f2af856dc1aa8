package api_test

import (
	"bytes"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/deskgate/deskgate/api"
	"github.com/deskgate/deskgate/mailin"
	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/report"
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
		Schemas    map[string]map[string]any `yaml:"schemas"`
		Parameters map[string]map[string]any `yaml:"parameters"`
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

// jsonFields maps the JSON names of t's fields, embedded structs' too, to
// their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case f.Anonymous && name == "":
			maps.Copy(out, jsonFields(f.Type))
		case name != "-" && f.IsExported():
			out[name] = f.Type
		}
	}
	return out
}

// goTypes are the Go types the document's x-go-type names.
var goTypes = map[string]reflect.Type{
	"ticketing.Ticket": reflect.TypeFor[ticketing.Ticket](), "ticketing.TicketSummary": reflect.TypeFor[ticketing.TicketSummary](),
	"ticketing.Contact": reflect.TypeFor[ticketing.Contact](), "mailin.Record": reflect.TypeFor[mailin.Record](),
	"report.SLA": reflect.TypeFor[report.SLA](), "report.SLAGroup": reflect.TypeFor[report.SLAGroup](),
	"report.Breaches": reflect.TypeFor[report.Breaches](), "report.Volume": reflect.TypeFor[report.Volume](),
	"report.Day": reflect.TypeFor[report.Day](), "report.Backlog": reflect.TypeFor[report.Backlog](),
	"report.BacklogGroup": reflect.TypeFor[report.BacklogGroup](), "report.AgeCount": reflect.TypeFor[report.AgeCount](),
	"report.Oldest": reflect.TypeFor[report.Oldest](), "report.Agents": reflect.TypeFor[report.Agents](),
	"report.Agent": reflect.TypeFor[report.Agent](),
}

// schemaCheck compares schemas with the Go types they describe.
type schemaCheck struct {
	t       *testing.T
	schemas map[string]map[string]any
}

// match reports where schema s, at path, does not describe typ: other
// properties than its JSON fields, another type (string, date-time,
// integer, number, boolean, array, object, a $ref to another x-go-type),
// or nullable where typ is not a pointer, or the reverse.
func (c schemaCheck) match(path string, s map[string]any, typ reflect.Type) {
	c.t.Helper()
	if all, ok := s["allOf"].([]any); ok && len(all) == 1 {
		inner, _ := all[0].(map[string]any)
		s = maps.Clone(inner)
		s["nullable"] = true
	}
	nullable, _ := s["nullable"].(bool)
	if typ.Kind() == reflect.Pointer {
		if !nullable {
			c.t.Errorf("%s: %s is a pointer, but the schema is not nullable", path, typ)
		}
		typ = typ.Elem()
	} else if nullable && typ.Kind() != reflect.Slice && typ.Kind() != reflect.Map && typ.Kind() != reflect.Interface {
		c.t.Errorf("%s: the schema is nullable, but %s is never null", path, typ)
	}
	if ref, ok := s["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		target := c.schemas[name]
		if gt, ok := target["x-go-type"].(string); ok {
			if goTypes[gt] != typ {
				c.t.Errorf("%s: $ref %s is %s, the field is %s", path, name, gt, typ)
			}
			return
		}
		c.match(path, target, typ)
		return
	}
	kind := typ.Kind()
	isTime := typ == reflect.TypeFor[time.Time]()
	ok := true
	switch st, _ := s["type"].(string); st {
	case "string":
		ok = (s["format"] == "date-time") == isTime && (isTime || kind == reflect.String)
	case "integer":
		ok = kind >= reflect.Int && kind <= reflect.Uint64
	case "number":
		ok = kind == reflect.Float32 || kind == reflect.Float64
	case "boolean":
		ok = kind == reflect.Bool
	case "array":
		ok = kind == reflect.Slice
		if items, isMap := s["items"].(map[string]any); ok && isMap {
			c.match(path+"[]", items, typ.Elem())
		}
	case "object":
		ok = !isTime && (kind == reflect.Struct || kind == reflect.Map || kind == reflect.Interface)
		if props, isMap := s["properties"].(map[string]any); ok && isMap && kind == reflect.Struct {
			fields := jsonFields(typ)
			if got, want := slices.Sorted(maps.Keys(props)), slices.Sorted(maps.Keys(fields)); !slices.Equal(got, want) {
				c.t.Errorf("%s lists %v; %s has %v", path, got, typ, want)
			}
			for name, p := range props {
				if ps, isMap := p.(map[string]any); isMap && fields[name] != nil {
					c.match(path+"."+name, ps, fields[name])
				}
			}
		}
		if ap, isMap := s["additionalProperties"].(map[string]any); ok && isMap {
			if ok = kind == reflect.Map; ok {
				c.match(path+"{}", ap, typ.Elem())
			}
		}
	}
	if !ok {
		c.t.Errorf("%s: the schema says %v %v, the Go type is %s", path, s["type"], s["format"], typ)
	}
}

// TestSpecSchemasMatchTypes fails when a schema the handlers serve as an
// existing Go type (x-go-type) does not describe the type: other
// properties than the type's JSON fields, or a property of another type
// or nullability than its field, down to the leaves.
func TestSpecSchemasMatchTypes(t *testing.T) {
	t.Parallel()
	schemas := readSpec(t).Components.Schemas
	c := schemaCheck{t: t, schemas: schemas}
	for name, s := range schemas {
		gt, _ := s["x-go-type"].(string)
		if gt == "" {
			continue
		}
		typ, ok := goTypes[gt]
		if !ok {
			t.Errorf("schema %s: x-go-type %s is not checked by this test", name, gt)
			continue
		}
		c.match(name, s, typ)
		if req, ok := s["required"].([]any); ok && len(req) != len(jsonFields(typ)) {
			t.Errorf("schema %s requires %d properties; %s always has its %d", name, len(req), gt, len(jsonFields(typ)))
		}
	}
}

// TestSpecGroupings: the by parameter of the reports offers exactly
// report.Groupings.
func TestSpecGroupings(t *testing.T) {
	t.Parallel()
	by := readSpec(t).Components.Parameters["By"]
	schema, _ := by["schema"].(map[string]any)
	var got []string
	for _, v := range schema["enum"].([]any) {
		got = append(got, v.(string))
	}
	if !slices.Equal(got, report.Groupings) {
		t.Errorf("the By parameter's enum is %v, want report.Groupings %v", got, report.Groupings)
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
	if n != 19 {
		t.Errorf("the document has %d operations; want 19", n)
	}
	tok := r.token("ada@desk.example", api.ScopeRead, 0)
	if code, _, _ := r.do(tok, "GET", "/nothing", nil); code != http.StatusNotFound {
		t.Errorf("GET /nothing = %d, want 404", code)
	}
}

// TestRequestBodiesClosed: every object a request body may hold declares
// additionalProperties: false, down to the leaves, so that the API refuses
// the members it does not define (TestUnknownFieldsRefused) in each.
func TestRequestBodiesClosed(t *testing.T) {
	t.Parallel()
	d := readSpec(t)
	var check func(at string, s map[string]any)
	check = func(at string, s map[string]any) {
		if ref, ok := s["$ref"].(string); ok {
			name := strings.TrimPrefix(ref, "#/components/schemas/")
			check(at+" "+name, d.Components.Schemas[name])
			return
		}
		if s["type"] == "object" && s["additionalProperties"] != false {
			t.Errorf("%s: an object of a request body without additionalProperties: false", at)
		}
		if props, ok := s["properties"].(map[string]any); ok {
			for name, p := range props {
				ps, _ := p.(map[string]any)
				check(at+"."+name, ps)
			}
		}
		if items, ok := s["items"].(map[string]any); ok {
			check(at+"[]", items)
		}
	}
	bodies := 0
	for path, ops := range d.Paths {
		for method, op := range ops {
			op, _ := op.(map[string]any)
			body, _ := op["requestBody"].(map[string]any)
			content, _ := body["content"].(map[string]any)
			if media, ok := content["application/json"].(map[string]any); ok {
				bodies++
				schema, _ := media["schema"].(map[string]any)
				check(strings.ToUpper(method)+" "+path, schema)
			}
		}
	}
	if bodies != 5 {
		t.Errorf("the document has %d operations with a JSON body; want 5 (changeTicket, replyTicket, noteTicket, mergeTicket, changeContact)", bodies)
	}
}
