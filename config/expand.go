package config

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// expand replaces every ${NAME} in s by the value env gives for NAME, and $${ by a literal ${.
// Any other $ is literal, so "$Deskgate" stays as written. NAME is a letter or _ followed by
// letters, digits and _. When NAME is unset and NAME_FILE is set, the value is the content of
// the file NAME_FILE names (Docker's secrets); ${file:PATH} is the content of the file PATH,
// which when relative is in $CREDENTIALS_DIRECTORY (systemd's LoadCredential). A file's final
// newline is not part of its value. Expansion is a single pass: a value from env or a file is
// never expanded again. The returned messages describe unset variables, unreadable files and
// malformed references; they never contain a value from env or a file.
func expand(s string, env func(string) (string, bool)) (string, []string) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	var errs []string
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		s = s[i:]
		switch {
		case strings.HasPrefix(s, "$${"):
			b.WriteString("${")
			s = s[3:]
		case strings.HasPrefix(s, "${"):
			end := strings.IndexByte(s, '}')
			if end < 0 {
				errs = append(errs, "unterminated ${ (write $${ for a literal ${)")
				b.WriteString(s)
				s = ""
				break
			}
			name := s[2:end]
			s = s[end+1:]
			if path, ok := strings.CutPrefix(name, "file:"); ok {
				val, err := fileRef(path, env)
				if err != "" {
					errs = append(errs, "${file:"+truncate(path, 200)+"}"+err)
					continue
				}
				b.WriteString(val)
				continue
			}
			if !validVarName(name) {
				errs = append(errs, fmt.Sprintf("${%s} is not a valid variable reference: use ${NAME} with letters, digits and _ (write $${ for a literal ${)", truncate(name, 40)))
				continue
			}
			val, msg := variable(name, env)
			if msg != "" {
				errs = append(errs, msg)
				continue
			}
			b.WriteString(val)
		default:
			b.WriteByte('$')
			s = s[1:]
		}
	}
	return b.String(), errs
}

// maxSecretFile bounds a file read for ${file:…} or NAME_FILE: a secret, not a document.
const maxSecretFile = 64 << 10

// variable is the value of ${NAME}: NAME's, or the content of the file NAME_FILE names; or
// why there is none.
func variable(name string, env func(string) (string, bool)) (string, string) {
	val, ok := env(name)
	file, fileOK := env(name + "_FILE")
	switch {
	case ok && fileOK:
		return "", "both " + name + " and " + name + "_FILE are set: unset one"
	case ok:
		return val, ""
	case fileOK:
		val, err := readSecret(file)
		if err != nil {
			return "", name + "_FILE: " + err.Error()
		}
		return val, ""
	}
	return "", name + " is not set"
}

// fileRef is the value of ${file:path}, or why there is none (a message that follows the
// reference).
func fileRef(path string, env func(string) (string, bool)) (string, string) {
	if path == "" {
		return "", " names no file"
	}
	if !filepath.IsAbs(path) {
		dir, ok := env("CREDENTIALS_DIRECTORY")
		if !ok || dir == "" {
			return "", ": a relative path needs $CREDENTIALS_DIRECTORY (set by systemd's LoadCredential); write an absolute path"
		}
		path = filepath.Join(dir, path)
	}
	val, err := readSecret(path)
	if err != nil {
		return "", ": " + err.Error()
	}
	return val, ""
}

// readSecret reads a secret from a file, without its final line ending. Its errors name the
// file, never its content.
func readSecret(path string) (string, error) {
	info, err := os.Stat(path) // before opening: opening a FIFO would wait for a writer
	if err != nil {
		return "", err
	}
	if !info.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", err
	}
	if len(data) > maxSecretFile {
		return "", fmt.Errorf("%s is larger than %d KiB: not a secret", path, maxSecretFile>>10)
	}
	s := strings.TrimSuffix(string(data), "\n")
	return strings.TrimSuffix(s, "\r"), nil
}

func validVarName(name string) bool {
	if name == "" {
		return false
	}
	for i, c := range []byte(name) {
		letter := c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
