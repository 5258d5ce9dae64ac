package main

import (
	"go/token"
	"os"
	"path/filepath"
	"testing"
)

// TestPackagesSumToTotal: the by-package figures count what the total
// counts, so a method of an unexported type (a flag.Value's Set) is in
// neither.
func TestPackagesSumToTotal(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pkg")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src := `package pkg

type Public struct{}

func (Public) Method() {}

type private struct{}

func (*private) Set(string) error { return nil }

func Func() {}

var Value = 1
`
	path := filepath.Join(dir, "pkg.go")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	st := stats{packages: map[string]int{}, allPackages: map[string]bool{}}
	if err := st.add(token.NewFileSet(), path, 80); err != nil {
		t.Fatal(err)
	}
	total := st.funcs + st.methods + st.types + st.vals
	if total != 4 || st.packages[filepath.ToSlash(dir)] != total {
		t.Errorf("total %d (want 4: Public, Method, Func, Value), by package %v", total, st.packages)
	}
}
