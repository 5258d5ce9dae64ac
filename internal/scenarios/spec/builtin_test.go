package spec

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestBuiltinsDocumented: the built-in programs' names are the schema's
// enum of builtin, each is named in FORMAT.md's programs row, and a
// program with an unknown one, or with neither builtin nor command, is
// told all of them. The runner's test checks its registry against
// BuiltinNames.
func TestBuiltinsDocumented(t *testing.T) {
	var schema struct {
		Defs struct {
			Program struct {
				Properties struct {
					Builtin struct {
						Enum []string `json:"enum"`
					} `json:"builtin"`
				} `json:"properties"`
			} `json:"program"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(mustRead(t, "../../../scenarios/schema.json"), &schema); err != nil {
		t.Fatal(err)
	}
	if got := schema.Defs.Program.Properties.Builtin.Enum; !reflect.DeepEqual(got, BuiltinNames()) {
		t.Errorf("the schema's builtins %v, BuiltinNames %v", got, BuiltinNames())
	}
	_, row, _ := strings.Cut(string(mustRead(t, "../../../scenarios/FORMAT.md")), "| `programs` |")
	row, _, _ = strings.Cut(row, "\n")
	for _, name := range BuiltinNames() {
		if !strings.Contains(row, "`builtin: "+name+"`") {
			t.Errorf("FORMAT.md's programs row lacks builtin: %s", name)
		}
	}
	got := problemsOf(t, header+`programs:
  - {name: p, instance: src, builtin: nginx}
  - {name: q, instance: src}
`)
	wantProblems(t, got,
		`programs[p].builtin: unknown builtin "nginx" (want http-server, agent or udp-sink)`,
		`programs[q]: program "q" needs builtin (http-server, agent, udp-sink) or command`)
}
