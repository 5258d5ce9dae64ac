package runner

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/scenarios/spec"
)

// Every built-in program that a scenario may name has one kind in the
// registry, and no other does; Builtins hands spec each kind's own check
// of its args.
func TestProgramKindsAreTheBuiltins(t *testing.T) {
	got := slices.Sorted(maps.Keys(programKinds))
	want := slices.Sorted(slices.Values(spec.BuiltinNames()))
	if !slices.Equal(got, want) {
		t.Fatalf("registered programs %v, spec's built-ins %v", got, want)
	}
	b := Builtins()
	for name, bad := range map[string][]string{
		spec.BuiltinHTTPServer: {"-port", "0"},
		spec.BuiltinUDPSink:    {"-bogus"},
		spec.BuiltinAgent:      {"-percentage", "0"},
	} {
		if err := b.Args[name](bad); err == nil {
			t.Errorf("%s accepted args %v", name, bad)
		}
		if err := b.Args[name](nil); err != nil && name != spec.BuiltinAgent {
			t.Errorf("%s refused no args: %v", name, err)
		}
	}
	if err := b.CompareIgnores([]string{"bad header"}, nil); err == nil || !strings.Contains(err.Error(), "bad header") {
		t.Errorf("compare ignores: %v", err)
	}
	if d := kindOf(spec.Program{Command: []string{"sleep", "1"}}).describe(spec.Program{Command: []string{"sleep", "1"}}); d != "sleep 1" {
		t.Errorf("a command is described as %q", d)
	}
}
