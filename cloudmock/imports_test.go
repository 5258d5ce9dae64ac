package cloudmock

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// leafPackages are the module's packages the model may import: each holds
// data or pure functions of its own and imports only the standard library
// (read here too).
var leafPackages = map[string]string{
	"github.com/mirrorlab/mirrorlab/internal/codes":      "../internal/codes",
	"github.com/mirrorlab/mirrorlab/internal/encap":      "../internal/encap",
	"github.com/mirrorlab/mirrorlab/internal/subnetaddr": "../internal/subnetaddr",
}

// TestImportsOnlyTheStandardLibrary holds doc.go's boundary: the model's
// non-test files import nothing outside the standard library but its leaf
// packages, and those import only the standard library (no data plane, no
// sim, no cilium/ebpf, no x/sys).
func TestImportsOnlyTheStandardLibrary(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range leafPackages {
		leaf, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(leaf) == 0 {
			t.Fatalf("leaf package %s: no files (%v)", dir, err)
		}
		files = append(files, leaf...)
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
		leaf := strings.HasPrefix(name, "..")
		for _, imp := range f.Imports {
			n++
			path, _ := strconv.Unquote(imp.Path.Value)
			if _, ok := leafPackages[path]; ok && !leaf {
				continue
			}
			if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
				t.Errorf("%s imports %s: the model imports only the standard library and its leaf packages", name, path)
			}
		}
	}
	if n == 0 {
		t.Fatal("read no imports: the test no longer looks at the package's files")
	}
}
