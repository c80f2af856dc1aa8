package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestHackingNamesEveryFuzzTarget keeps HACKING.md's list of fuzz targets
// (which make fuzz runs all of) in step with the code.
func TestHackingNamesEveryFuzzTarget(t *testing.T) {
	hacking, err := os.ReadFile("../../HACKING.md")
	if err != nil {
		t.Fatal(err)
	}
	decl := regexp.MustCompile(`(?m)^func (Fuzz\w+)\(`)
	found := 0
	err = filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range decl.FindAllSubmatch(src, -1) {
			found++
			if !strings.Contains(string(hacking), "`"+string(m[1])+"`") {
				t.Errorf("HACKING.md does not name %s (%s)", m[1], path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found == 0 {
		t.Fatal("found no fuzz target: the walk is wrong")
	}
}
