package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	e := env(map[string]string{"A": "alpha", "B_2": "b:#${A}", "EMPTY": ""})
	tests := []struct {
		in   string
		want string
		errs []string
	}{
		{"plain", "plain", nil},
		{"${A}", "alpha", nil},
		{"x${A}y${A}", "xalphayalpha", nil},
		{"${B_2}", "b:#${A}", nil}, // values are not expanded again
		{"${EMPTY}", "", nil},
		{"$Deskgate", "$Deskgate", nil},
		{"$A $ $$ a$", "$A $ $$ a$", nil},
		{"$${A}", "${A}", nil},
		{"$$${A}", "$${A}", nil},
		{"$${A}${A}", "${A}alpha", nil},
		{"${MISSING}", "", []string{"MISSING is not set"}},
		{"${M1}-${M2}", "-", []string{"M1 is not set", "M2 is not set"}},
		{"${}", "", []string{"${} is not a valid variable reference: use ${NAME} with letters, digits and _ (write $${ for a literal ${)"}},
		{"${1A}", "", []string{"${1A} is not a valid variable reference: use ${NAME} with letters, digits and _ (write $${ for a literal ${)"}},
		{"${A:-x}", "", []string{"${A:-x} is not a valid variable reference: use ${NAME} with letters, digits and _ (write $${ for a literal ${)"}},
		{"ab${A", "ab${A", []string{"unterminated ${ (write $${ for a literal ${)"}},
	}
	for _, tt := range tests {
		got, errs := expand(tt.in, e)
		if got != tt.want || !reflect.DeepEqual(errs, tt.errs) {
			t.Errorf("expand(%q) = %q, %q, want %q, %q", tt.in, got, errs, tt.want, tt.errs)
		}
	}
}

// TestExpandFiles: ${file:PATH} and NAME_FILE read a secret from a file
// (systemd's LoadCredential, Docker's secrets), without its final newline.
func TestExpandFiles(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"imap": "s3cret\n", "smtp": "two\r\n", "raw": "a\nb", "empty": "",
		"big": strings.Repeat("x", maxSecretFile+1)} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	creds := env(map[string]string{"CREDENTIALS_DIRECTORY": dir, "PASS_FILE": filepath.Join(dir, "imap"),
		"BOTH": "x", "BOTH_FILE": filepath.Join(dir, "imap"), "GONE_FILE": filepath.Join(dir, "gone")})
	plain := env(map[string]string{})
	tests := []struct {
		in   string
		env  func(string) (string, bool)
		want string
		errs []string
	}{
		{"${file:" + dir + "/imap}", plain, "s3cret", nil},
		{"${file:smtp}", creds, "two", nil},
		{"<${file:raw}>", creds, "<a\nb>", nil},
		{"${file:empty}", creds, "", nil},
		{"${PASS}", creds, "s3cret", nil},
		{"${file:imap}", plain, "", []string{"${file:imap}: a relative path needs $CREDENTIALS_DIRECTORY (set by systemd's LoadCredential); write an absolute path"}},
		{"${file:nothere}", creds, "", []string{"${file:nothere}: stat " + dir + "/nothere: no such file or directory"}},
		{"${file:}", creds, "", []string{"${file:} names no file"}},
		{"${BOTH}", creds, "", []string{"both BOTH and BOTH_FILE are set: unset one"}},
		{"${GONE}", creds, "", []string{"GONE_FILE: stat " + dir + "/gone: no such file or directory"}},
		{"${file:big}", creds, "", []string{"${file:big}: " + dir + "/big is larger than 64 KiB: not a secret"}},
		{"${file:/dev/null}", plain, "", []string{"${file:/dev/null}: /dev/null is not a regular file"}},
		{"${file:" + dir + "}", plain, "", []string{"${file:" + dir + "}: " + dir + " is not a regular file"}},
	}
	for _, tt := range tests {
		got, errs := expand(tt.in, tt.env)
		if got != tt.want || !reflect.DeepEqual(errs, tt.errs) {
			t.Errorf("expand(%q) = %q, %q, want %q, %q", tt.in, got, errs, tt.want, tt.errs)
		}
	}
}
