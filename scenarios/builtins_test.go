package scenarios

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
)

// Each built-in program's args, and the agent's comparison options, are
// checked by the program's own parser when a scenario is loaded, each
// problem at its line.
func TestLoadChecksBuiltinArgs(t *testing.T) {
	src := strings.NewReplacer(
		`args: [-destination, "http://10.0.0.36", -filter-request-port, "80"]`, `args: [-destination, "http://10.0.0.36", -percentage, "0"]`,
	).Replace(string(Default()))
	src += `  - sameResponses: {production: production, test: test-server, ignoreHeaders: ["bad header"]}
`
	src = strings.Replace(src, "builtin: http-server\n    args: [-port, \"80\"]", "builtin: http-server\n    args: [-port, \"0\"]", 1)
	if src == string(Default()) {
		t.Fatal("edits changed nothing")
	}
	file := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(file)
	got := spec.AsProblems(err).Error()
	for _, want := range []string{"programs[production].args: http-server: -port 0", "programs[adapter-agent].args: agent:", "expect[", "ignore header \"bad header\""} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
	if _, err := Load(""); err != nil {
		t.Fatalf("default: %v", err)
	}
}
