package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// The decoder walks the yaml.Node tree itself, rather than using yaml's Decoder with
// KnownFields, so that it can report every problem with its column and key path, expand ${VAR}
// per scalar, and never echo a (possibly secret) value in a message.

const (
	maxDepth = 50     // nesting, counting aliases and merges
	maxNodes = 100000 // values visited, bounding alias expansion ("billion laughs")
)

type position struct{ line, col int }

type decoder struct {
	env      func(string) (string, bool)
	problems []Problem
	pos      map[string]position // every key present in the file (null values too), by path
	null     map[string]bool     // paths present with a null value ("key:" alone), which decode to zero
	bad      map[string]bool     // paths whose value failed to decode: validation skips them
	nodes    int
	tooBig   bool
	literal  []string // keys holding a secret written out, not a ${VAR} reference: "path (line N)"
}

func newDecoder(env func(string) (string, bool)) *decoder {
	return &decoder{env: env, pos: map[string]position{}, null: map[string]bool{}, bad: map[string]bool{}}
}

func (d *decoder) problem(line, col int, path, format string, args ...any) {
	d.problems = append(d.problems, Problem{Line: line, Column: col, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// fail reports that the value at path cannot be decoded and marks the path bad. The problem is
// placed where the value is written, which for an alias is where the alias is used.
func (d *decoder) fail(path, format string, args ...any) {
	at := d.pos[path]
	d.problem(at.line, at.col, path, format, args...)
	d.bad[path] = true
}

func (d *decoder) sorted() []Problem {
	slices.SortStableFunc(d.problems, func(a, b Problem) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Column - b.Column
	})
	return d.problems
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntax reports a YAML syntax error, with its line when yaml gives one.
func (d *decoder) syntax(err error) {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		d.problem(line, 0, "", "%s", m[2])
		return
	}
	d.problem(0, 0, "", "%s", strings.TrimPrefix(msg, "yaml: "))
}

// document decodes the first YAML document of data into out.
func (d *decoder) document(data []byte, out any) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if !errors.Is(err, io.EOF) {
			d.syntax(err)
			d.bad[""] = true
		}
		return // an empty file is an empty mapping: validation reports what is missing
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		d.problem(extra.Line, extra.Column, "", "only one YAML document is allowed")
	case !errors.Is(err, io.EOF):
		d.syntax(err)
	}
	if len(doc.Content) == 0 {
		return
	}
	d.value(doc.Content[0], reflect.ValueOf(out).Elem(), "", 0)
}

// decimal is the form of a number the decoder accepts: ParseFloat alone would also take
// Inf, NaN, hexadecimal and underscores.
var decimal = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

var (
	durationType = reflect.TypeFor[time.Duration]()
	byteSizeType = reflect.TypeFor[ByteSize]()
)

// value decodes n into v, the field at path.
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string, depth int) {
	d.pos[path] = position{n.Line, n.Column}
	for n.Kind == yaml.AliasNode && n.Alias != nil && depth <= maxDepth {
		n, depth = n.Alias, depth+1
	}
	if !d.spend(path, depth) {
		return
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		d.null[path] = true
		return // "key:" with no value leaves the zero value; validation decides whether that is allowed
	}

	switch v.Type() {
	case durationType:
		if s, ok := d.scalar(n, path, "a duration"); ok {
			dur, err := time.ParseDuration(s)
			if err != nil {
				d.fail(path, "must be a duration such as 30s, 10m or 1h30m")
				return
			}
			v.SetInt(int64(dur))
		}
		return
	case byteSizeType:
		if s, ok := d.scalar(n, path, "a size"); ok {
			size, err := parseByteSize(s)
			if err != nil {
				d.fail(path, "%v", err)
				return
			}
			v.SetInt(int64(size))
		}
		return
	}

	switch v.Kind() {
	case reflect.Struct:
		d.mapping(n, v, path, depth)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.fail(path, "must be a list, not %s", kindName(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.value(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i), depth+1)
		}
		v.Set(s)
	case reflect.String:
		if s, ok := d.scalar(n, path, "a string"); ok {
			v.SetString(s)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if s, ok := d.scalar(n, path, "a whole number"); ok {
			i, err := strconv.ParseInt(s, 10, 64)
			if err != nil || v.OverflowInt(i) {
				d.fail(path, "must be a whole number")
				return
			}
			v.SetInt(i)
		}
	case reflect.Float32, reflect.Float64:
		if s, ok := d.scalar(n, path, "a number"); ok {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil || !decimal.MatchString(s) || v.OverflowFloat(f) {
				d.fail(path, "must be a number such as 0.8")
				return
			}
			v.SetFloat(f)
		}
	case reflect.Bool:
		if s, ok := d.scalar(n, path, "true or false"); ok {
			if s != "true" && s != "false" {
				d.fail(path, "must be true or false")
				return
			}
			v.SetBool(s == "true")
		}
	default:
		panic(fmt.Sprintf("config: field %s has unsupported type %s", path, v.Type()))
	}
}

// scalar returns the text of the scalar n with ${VAR} references expanded. Quoting does not
// matter: port: "993" is a number like port: 993.
func (d *decoder) scalar(n *yaml.Node, path, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.fail(path, "must be %s, not %s", want, kindName(n))
		return "", false
	}
	s, errs := expand(n.Value, d.env)
	for _, msg := range errs {
		d.fail(path, "%s", msg)
	}
	if want == "a string" && secretKey(path) && writtenOut(n.Value) {
		d.literal = append(d.literal, fmt.Sprintf("%s (line %d)", path, n.Line))
	}
	return s, len(errs) == 0
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return "a single value"
}

// entry is one key: value pair of a mapping, possibly merged in from another mapping with <<.
type entry struct {
	key, val *yaml.Node
	merged   bool
}

// mapping decodes the mapping n into the struct v, reporting unknown and duplicate keys.
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string, depth int) {
	if n.Kind != yaml.MappingNode {
		d.fail(path, "must be a mapping of keys to values, not %s", kindName(n))
		return
	}
	fields := map[string]int{}
	var names []string
	for i := range v.NumField() {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			fields[name] = i
			names = append(names, name)
		}
	}
	chosen := map[string]entry{}
	var order []string
	for _, e := range d.entries(n, path, depth, nil) {
		prev, dup := chosen[e.key.Value]
		switch {
		case !dup:
			order = append(order, e.key.Value)
		case !e.merged && !prev.merged:
			d.problem(e.key.Line, e.key.Column, join(path, e.key.Value), "duplicate key (first at line %d)", prev.key.Line)
			continue
		case e.merged:
			continue // an explicit key or an earlier merge source wins
		}
		chosen[e.key.Value] = e
	}
	for _, name := range order {
		e := chosen[name]
		i, ok := fields[name]
		if !ok {
			msg := "unknown key"
			if s := suggest(name, names); s != "" {
				msg += " (did you mean " + s + "?)"
			}
			d.problem(e.key.Line, e.key.Column, join(path, name), "%s", msg)
			continue
		}
		d.value(e.val, v.Field(i), join(path, name), depth+1)
	}
}

// entries lists the key: value pairs of the mapping n, merged ones (<<) first. stack holds the
// mappings being merged, to break merge cycles.
func (d *decoder) entries(n *yaml.Node, path string, depth int, stack []*yaml.Node) []entry {
	if slices.Contains(stack, n) || depth > maxDepth {
		return nil
	}
	stack = append(stack, n)
	var merged, own []entry
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.problem(k.Line, k.Column, path, "keys must be plain names, not %s", kindName(k))
			continue
		}
		if k.ShortTag() != "!!merge" {
			own = append(own, entry{key: k, val: val})
			continue
		}
		sources := []*yaml.Node{val}
		if val.Kind == yaml.SequenceNode {
			sources = val.Content
		}
		for _, src := range sources {
			if src.Kind == yaml.AliasNode && src.Alias != nil {
				src = src.Alias
			}
			if !d.spend(path, depth) {
				return nil
			}
			if src.Kind != yaml.MappingNode {
				d.problem(src.Line, src.Column, path, "<< must merge a mapping or a list of mappings")
				continue
			}
			for _, e := range d.entries(src, path, depth+1, stack) {
				e.merged = true
				merged = append(merged, e)
			}
		}
	}
	return append(merged, own...)
}

// spend counts one more value visited at path and reports false, after marking path bad, once
// the document is too deep or has too many values, as a document of nested aliases can.
func (d *decoder) spend(path string, depth int) bool {
	d.nodes++
	if depth <= maxDepth && d.nodes <= maxNodes {
		return true
	}
	if !d.tooBig {
		d.tooBig = true
		d.fail(path, "too deeply nested or too many aliases")
	}
	d.bad[path] = true
	return false
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// suggest returns the name closest to key if key is a plausible typo of it: one edit away, or
// two for keys longer than four letters.
func suggest(key string, names []string) string {
	best, bestDist := "", 2
	if len(key) > 4 {
		bestDist = 3
	}
	for _, name := range names {
		if dist := editDistance(key, name); dist < bestDist {
			best, bestDist = name, dist
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b in bytes: the number
// of insertions, deletions, substitutions and transpositions of adjacent bytes.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	dist := make([][]int, len(a)+1)
	for i := range dist {
		dist[i] = make([]int, len(b)+1)
		dist[i][0] = i
	}
	for j := range dist[0] {
		dist[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			dist[i][j] = min(dist[i-1][j]+1, dist[i][j-1]+1, dist[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				dist[i][j] = min(dist[i][j], dist[i-2][j-2]+1)
			}
		}
	}
	return dist[len(a)][len(b)]
}
