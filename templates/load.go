package templates

import (
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	texttemplate "text/template"
	"text/template/parse"
)

//go:embed files
var embedded embed.FS

// layoutFile is the HTML page every event's "content" is inserted into.
const layoutFile = "layout.html"

// Set is a parsed set of templates: for each language and event, the text
// template (subject and text body) and the HTML template (layout.html with
// the event's content). It never changes after Load, so it is safe for
// concurrent use.
type Set struct {
	text map[string]*texttemplate.Template // by key(lang, event)
	html map[string]*htmltemplate.Template // by key(lang, event); the root is the layout
	// recipientFree holds, by key(lang, event), whether neither template
	// can read Data.Recipient (recipient.go).
	recipientFree map[string]bool
}

func key(lang, event string) string { return lang + "/" + event }

// Load parses the embedded templates, each file replaced by dir/<lang>/<file>
// (or dir/layout.html) when that exists; dir "" means the embedded templates
// only. Every template is parsed now, and every problem is reported at once,
// naming the file and, for syntax errors, the line. A file or directory in
// dir that would not replace an embedded file (a misspelt event, an
// unsupported language) is an error too, so an override cannot silently do
// nothing; names starting with "." are ignored.
//
// Parsing cannot catch mistakes that show only when a template runs, such
// as a misspelt field name; run Check after Load to find those.
func Load(dir string) (*Set, error) {
	var errs []error
	overrides := map[string]string{} // slash path under files → OS path
	if dir != "" {
		var err error
		if overrides, err = scan(dir); err != nil {
			errs = append(errs, err)
		}
	}
	read := func(rel string) (name, src string, err error) {
		var b []byte
		if p, ok := overrides[rel]; ok {
			name = p
			b, err = os.ReadFile(p)
		} else {
			name = "files/" + rel
			b, err = fs.ReadFile(embedded, name)
		}
		if err != nil {
			return "", "", fmt.Errorf("templates: %w", err)
		}
		return name, string(b), nil
	}

	s := &Set{text: map[string]*texttemplate.Template{}, html: map[string]*htmltemplate.Template{}}
	layoutName, layoutSrc, err := read(layoutFile)
	if err != nil {
		errs = append(errs, err)
	}
	for _, lang := range Languages() {
		var layout *htmltemplate.Template
		if err == nil {
			layout, err = htmltemplate.New(layoutName).Funcs(htmlFuncs(lang)).Parse(layoutSrc)
			if err != nil {
				errs = append(errs, fmt.Errorf("templates: %w", err))
			}
		}
		for _, event := range Events() {
			k := key(lang, event)
			if name, src, err := read(k + ".txt"); err != nil {
				errs = append(errs, err)
			} else if t, err := parseText(lang, name, src); err != nil {
				errs = append(errs, err)
			} else {
				s.text[k] = t
			}
			if name, src, err := read(k + ".html"); err != nil {
				errs = append(errs, err)
			} else if layout != nil {
				if h, err := parseHTML(layout, name, src); err != nil {
					errs = append(errs, err)
				} else {
					s.html[k] = h
				}
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	s.recipientFree = recipientFreeSets(s)
	return s, nil
}

// parseText parses the text template of one event: {{define "subject"}} and,
// outside any define, the body.
func parseText(lang, name, src string) (*texttemplate.Template, error) {
	t, err := texttemplate.New(name).Funcs(textFuncs(lang)).Parse(src)
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	if sub := t.Lookup("subject"); sub == nil || sub.Tree == nil || sub.Tree.ParseName != name {
		return nil, fmt.Errorf(`templates: %s: no {{define "subject"}}`, name)
	}
	if t.Tree == nil || parse.IsEmptyTree(t.Tree.Root) {
		return nil, fmt.Errorf(`templates: %s: no text body outside {{define "subject"}}`, name)
	}
	return t, nil
}

// parseHTML parses the HTML template of one event, which defines "content",
// into a copy of layout.
func parseHTML(layout *htmltemplate.Template, name, src string) (*htmltemplate.Template, error) {
	h, err := layout.Clone()
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	t, err := h.New(name).Parse(src)
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	if c := h.Lookup("content"); c == nil || c.Tree == nil || c.Tree.ParseName != name {
		return nil, fmt.Errorf(`templates: %s: no {{define "content"}}`, name)
	}
	if t.Tree != nil && !parse.IsEmptyTree(t.Tree.Root) {
		return nil, fmt.Errorf(`templates: %s: text outside {{define "content"}}`, name)
	}
	return h, nil
}

// scan lists the override files in dir by their slash path under files
// (layout.html, sv/ticket-received.txt), and reports every entry that
// does not name one. Symbolic links are followed.
func scan(dir string) (map[string]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	found := map[string]string{}
	var errs []error
	unknown := func(p, why string) { errs = append(errs, fmt.Errorf("templates: %s: %s", p, why)) }
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		fi, err := os.Stat(p)
		switch {
		case strings.HasPrefix(e.Name(), "."):
		case err != nil:
			errs = append(errs, fmt.Errorf("templates: %w", err))
		case !fi.IsDir() && e.Name() == layoutFile:
			found[layoutFile] = p
		case !fi.IsDir():
			unknown(p, "unknown file: want layout.html or <lang>/<event>.txt or .html")
		case !supported(e.Name()):
			unknown(p, "unsupported language: want one of "+strings.Join(Languages(), ", "))
		default:
			if err := scanLang(p, e.Name(), found, unknown); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return found, errors.Join(errs...)
}

// scanLang adds the override files of one language directory to found.
func scanLang(dir, lang string, found map[string]string, unknown func(p, why string)) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("templates: %w", err)
	}
	var errs []error
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		fi, err := os.Stat(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("templates: %w", err))
			continue
		}
		event, ext, _ := strings.Cut(e.Name(), ".")
		if fi.IsDir() || !knownEvent(event) || ext != "txt" && ext != "html" {
			unknown(p, "unknown file: want <event>.txt or <event>.html, events: "+strings.Join(Events(), ", "))
			continue
		}
		found[lang+"/"+e.Name()] = p
	}
	return errors.Join(errs...)
}
