package config

import (
	"fmt"
	"io/fs"
	"regexp"
	"strings"
)

// Warnings lists what Load accepts but an operator should fix, one line each: a file that
// writes out a secret (a password, a token or a desk secret that is not only ${VAR}
// references), more urgently when every user of the machine may read it (mode & 0o004); and
// what is valid but cannot work (see unworkable): a mailbox's queue that no team serves while
// new-ticket mail goes to the team, agents without desk.secrets, a calendar nothing uses.
// Parse warns of nothing.
func (c *Config) Warnings() []string {
	return c.warnings
}

// exposureWarning is the warning for a file of the given mode holding the literal secrets
// listed, or "".
func exposureWarning(file string, mode fs.FileMode, literal []string) string {
	if mode.Perm()&0o004 == 0 || len(literal) == 0 {
		return ""
	}
	return fmt.Sprintf("%s is readable by every user of this machine (mode %04o) and writes out secrets: %s; "+
		"write them as ${VAR} references to the environment, or chmod o-r %s", file, mode.Perm(), strings.Join(literal, ", "), file)
}

// secretKey reports whether the key at path holds a secret: a password, a token or a secret
// (not an address such as oauth2.token_url).
func secretKey(path string) bool {
	key := strings.ToLower(path[strings.LastIndexByte(path, '.')+1:])
	if strings.HasSuffix(key, "_url") {
		return false
	}
	return strings.Contains(key, "password") || strings.Contains(key, "secret") || strings.Contains(key, "token")
}

var varRef = regexp.MustCompile(`\$\{(?:[A-Za-z_][A-Za-z0-9_]*|file:[^}]+)\}`)

// writtenOut reports whether a raw value holds more than ${VAR} and ${file:…} references and
// white space.
func writtenOut(raw string) bool {
	return strings.TrimSpace(varRef.ReplaceAllString(strings.ReplaceAll(raw, "$${", "{"), "")) != ""
}
