package spec

import (
	"testing"

	"gopkg.in/yaml.v3"
)

// TestNamedPaths: list items are named by their name: field, except when
// the name is missing or used twice in the list.
func TestNamedPaths(t *testing.T) {
	src := `mirror:
  sessions:
    - {name: web-session, SessionNumber: 0}
    - {SessionNumber: 2}
    - {name: dup}
    - {name: dup}
  filters:
    - name: f
      rules: [{RuleNumber: 1}, {RuleNumber: 2}]
`
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	_, names := buildPosIndex(&doc, 100, false)
	for in, want := range map[string]string{
		"mirror.sessions[0].SessionNumber":      "mirror.sessions[web-session].SessionNumber",
		"mirror.sessions[1].SessionNumber":      "mirror.sessions[1].SessionNumber",
		"mirror.sessions[2]":                    "mirror.sessions[2]",
		"mirror.sessions[3].name":               "mirror.sessions[3].name",
		"mirror.filters[0].rules[1].RuleNumber": "mirror.filters[f].rules[1].RuleNumber",
		"mirror.sessions":                       "mirror.sessions",
	} {
		if got := names.named(in); got != want {
			t.Errorf("named(%q) = %q, want %q", in, got, want)
		}
	}
}
