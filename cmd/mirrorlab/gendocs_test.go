package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// docs/cli is what gendocs writes from the commands' definitions: a change
// of a command, a flag or a help text must come with its pages.
func TestCommandReferenceIsCurrent(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := mainOut(t, "gendocs", dir)
	if code != 0 {
		t.Fatalf("gendocs: %d %s %s", code, out, errOut)
	}
	want, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	have, _ := filepath.Glob("../../docs/cli/*.md")
	if len(want) < 12 {
		t.Fatalf("gendocs wrote %d pages", len(want))
	}
	const fix = "docs/cli is stale: run `go generate ./cmd/mirrorlab` and commit docs/cli"
	names := func(paths []string) []string {
		var out []string
		for _, p := range paths {
			out = append(out, filepath.Base(p))
		}
		return out
	}
	if !slices.Equal(names(want), names(have)) {
		t.Fatalf("%s\npages written: %v\npages in docs/cli: %v", fix, names(want), names(have))
	}
	for _, p := range want {
		w, h := mustRead(t, p), mustRead(t, filepath.Join("../../docs/cli", filepath.Base(p)))
		if string(w) != string(h) {
			t.Errorf("%s: %s differs", fix, filepath.Base(p))
		}
	}
	// gendocs is for this repository: hidden from the help
	if _, out, _ := mainOut(t, "--help"); strings.Contains(out, "gendocs") {
		t.Errorf("gendocs listed in the help")
	}
}

func TestCompletionScripts(t *testing.T) {
	for shell, want := range map[string]string{"bash": "__start_mirrorlab", "zsh": "#compdef mirrorlab", "fish": "complete -c mirrorlab"} {
		code, out, errOut := mainOut(t, "completion", shell)
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("completion %s: %d, no %q\n%.300s%s", shell, code, want, out, errOut)
		}
	}
	// what a shell asks for `mirrorlab explain rule-<TAB>`: the library's names
	code, out, _ := mainOut(t, "__complete", "explain", "rule-")
	if code != 0 || !strings.Contains(out, "rule-order\n") {
		t.Errorf("__complete explain rule-: %d\n%s", code, out)
	}
	// and flags after an argument
	_, out, _ = mainOut(t, "__complete", "run", "rule-order", "--ju")
	if !strings.Contains(out, "--junit") {
		t.Errorf("__complete run rule-order --ju:\n%s", out)
	}
	if _, err := os.Stat("../../docs/cli/mirrorlab_completion_bash.md"); err != nil {
		t.Error(err)
	}
}
