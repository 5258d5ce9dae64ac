package cloudmock

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportsOnlyTheStandardLibrary holds doc.go's boundary: the model's
// non-test files, and those of its sub-packages, import nothing outside
// the standard library but the model's own sub-packages (no data plane, no
// sim, no cilium/ebpf, no x/sys).
func TestImportsOnlyTheStandardLibrary(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err == nil {
		var sub []string
		sub, err = filepath.Glob("*/*.go")
		files = append(files, sub...)
	}
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, "github.com/mirrorlab/mirrorlab/cloudmock/") {
				n++
				continue // a sub-package: its own imports are read here too
			}
			if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
				t.Errorf("%s imports %s: the model imports only the standard library", name, path)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("read no imports: the test no longer looks at the package's files")
	}
}
