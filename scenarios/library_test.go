package scenarios

import (
	"encoding/json"
	"os"
	"path/filepath"
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
	if _, err := Load("no-such-scenario"); err == nil {
		t.Fatal("unknown name loaded")
	}
}
