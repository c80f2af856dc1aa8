package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// A request body may hold only the members the OpenAPI document defines for
// it. The generated handlers decode bodies with encoding/json, which skips
// members it does not know (and matches names whatever their case), and
// oapi-codegen does not act on additionalProperties: false; without this
// check a client's typo, or a field of a later version of the API, would be
// answered 200 with nothing of it applied.

// shape is what the document lets a JSON value of a request body hold: an
// object's members, all it may have when it is closed (additionalProperties:
// false), and an array's items. Other values are not looked into.
type shape struct {
	closed  bool
	members map[string]*shape
	items   *shape
}

// bodyShapes reads the shape of each operation's JSON request body from the
// document, keyed by the ServeMux pattern the generated handler is routed
// by ("PATCH /api/v1/tickets/{number}").
func bodyShapes(doc map[string]any) (map[string]*shape, error) {
	out := map[string]*shape{}
	paths, _ := doc["paths"].(map[string]any)
	for path, ops := range paths {
		ops, _ := ops.(map[string]any)
		for method, op := range ops {
			op, _ := op.(map[string]any)
			if method == "parameters" || op["requestBody"] == nil {
				continue
			}
			body, err := resolve(doc, op["requestBody"])
			if err != nil {
				return nil, err
			}
			content, _ := body["content"].(map[string]any)
			media, _ := content["application/json"].(map[string]any)
			if media == nil {
				continue
			}
			pattern := strings.ToUpper(method) + " " + Prefix + path
			if out[pattern], err = compileShape(doc, media["schema"], map[string]*shape{}); err != nil {
				return nil, fmt.Errorf("api: the request body of %s: %w", pattern, err)
			}
		}
	}
	return out, nil
}

// compileShape makes the shape of schema s; seen holds the shapes of the
// $refs met so far, so that a schema may refer to itself.
func compileShape(doc map[string]any, s any, seen map[string]*shape) (*shape, error) {
	m, _ := s.(map[string]any)
	if ref, ok := m["$ref"].(string); ok {
		if sh := seen[ref]; sh != nil {
			return sh, nil
		}
		target, err := resolve(doc, m)
		if err != nil {
			return nil, err
		}
		sh := &shape{}
		seen[ref] = sh
		inner, err := compileShape(doc, target, seen)
		if err != nil {
			return nil, err
		}
		*sh = *inner
		return sh, nil
	}
	for _, k := range []string{"allOf", "oneOf", "anyOf", "not"} {
		if m[k] != nil {
			return nil, fmt.Errorf("%s is not checked for unknown fields", k)
		}
	}
	sh := &shape{closed: m["additionalProperties"] == false}
	if props, ok := m["properties"].(map[string]any); ok {
		sh.members = map[string]*shape{}
		for name, p := range props {
			var err error
			if sh.members[name], err = compileShape(doc, p, seen); err != nil {
				return nil, err
			}
		}
	}
	if items, ok := m["items"]; ok {
		var err error
		if sh.items, err = compileShape(doc, items, seen); err != nil {
			return nil, err
		}
	}
	return sh, nil
}

// resolve follows v's $ref within the document, if it has one.
func resolve(doc map[string]any, v any) (map[string]any, error) {
	m, _ := v.(map[string]any)
	ref, ok := m["$ref"].(string)
	if !ok {
		return m, nil
	}
	at, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("$ref %s: only references within the document are read", ref)
	}
	cur := doc
	for name := range strings.SplitSeq(at, "/") {
		if cur, ok = cur[name].(map[string]any); !ok {
			return nil, fmt.Errorf("$ref %s: not in the document", ref)
		}
	}
	return cur, nil
}

// unknown appends to out the members of v, at path, that sh does not
// define, down to the leaves: each object's in the order of their names,
// an array's items in order.
func (sh *shape) unknown(path string, v any, out []fieldError) []fieldError {
	switch v := v.(type) {
	case map[string]any:
		for _, name := range slices.Sorted(maps.Keys(v)) {
			at := name
			if path != "" {
				at = path + "." + name
			}
			switch m := sh.members[name]; {
			case m != nil:
				out = m.unknown(at, v[name], out)
			case sh.closed:
				out = append(out, fieldError{Field: at, Message: "unknown field; the fields are " +
					strings.Join(slices.Sorted(maps.Keys(sh.members)), ", ")})
			}
		}
	case []any:
		if sh.items != nil {
			for i, item := range v {
				out = sh.items.unknown(fmt.Sprintf("%s[%d]", path, i), item, out)
			}
		}
	}
	return out
}

// refuseUnknown answers a request whose JSON body holds members its
// operation does not define with a 422 naming each of them. Any other
// body goes on as it came, to be decoded, or refused as unreadable, by the
// generated handler.
func refuseUnknown(shapes map[string]*shape) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sh := shapes[r.Pattern]
			if sh == nil || r.Body == nil {
				next.ServeHTTP(w, r)
				return
			}
			raw, err := io.ReadAll(r.Body)
			if err != nil {
				writeProblem(w, badRequest(fmt.Errorf("can't read the body: %w", err)))
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(raw))
			var v any
			d := json.NewDecoder(bytes.NewReader(raw))
			d.UseNumber()
			if d.Decode(&v) == nil {
				if fs := sh.unknown("", v, nil); len(fs) > 0 {
					writeProblem(w, unknownFields(fs))
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// unknownFields is the 422 naming the members fs of a body that its
// operation does not define.
func unknownFields(fs []fieldError) Problem {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Field
	}
	detail := "unknown field: " + names[0]
	if len(names) > 1 {
		detail = "unknown fields: " + strings.Join(names, ", ")
	}
	p := problem(http.StatusUnprocessableEntity, ProblemInvalid, detail)
	p.Errors = &fs
	return p
}
