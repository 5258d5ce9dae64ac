package scenarios

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEmbeddedFilesMatchTheTree(t *testing.T) {
	if b, _ := os.ReadFile("default.yaml"); string(b) != string(Default()) {
		t.Fatal("embedded default.yaml differs from the file")
	}
	var v any
	if err := json.Unmarshal(Schema(), &v); err != nil {
		t.Fatalf("embedded schema: %v", err)
	}
	lib, names := Library()
	files, _ := filepath.Glob("library/*.yaml")
	if len(names) != len(files) || len(lib) != len(files) || len(files) < 10 {
		t.Fatalf("library holds %d files, the tree %d", len(names), len(files))
	}
}

func TestLoad(t *testing.T) {
	s, err := Load("")
	if err != nil || s.Name != "reference-walkthrough" || s.File != DefaultName {
		t.Fatalf("default: %v, %v", s, err)
	}
	for _, name := range []string{"rule-order", "rule-order.yaml", "library/rule-order.yaml"} {
		s, err := Load(name)
		if err != nil || s.Name != "rule-order" {
			t.Fatalf("Load(%q): %v", name, err)
		}
	}
	if _, err := Load("no-such-scenario"); err == nil || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "`mirrorlab library` lists them") {
		t.Fatalf("unknown name: %v", err)
	}
	// a near miss names the scenarios it may have meant
	_, err = Load("rule-ordr")
	if err == nil || !strings.Contains(err.Error(), `no scenario of the embedded library is named "rule-ordr" either (did you mean rule-order?)`) {
		t.Fatalf("near miss: %v", err)
	}
	// a file that exists but is broken is not second-guessed
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(bad); err == nil || strings.Contains(err.Error(), "library") {
		t.Fatalf("broken file: %v", err)
	}
}
