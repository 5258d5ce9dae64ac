package runner

import (
	"encoding/json"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/workload"
	"github.com/mirrorlab/mirrorlab/lab"
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

// Every kind of traffic step that the schema knows (and spec's
// TestKindsDocumented ties the schema's kinds to spec's registry) has a
// runner, and no other kind has one.
func TestTrafficRunnersCoverTheKinds(t *testing.T) {
	b, err := os.ReadFile("../../../scenarios/schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Defs struct {
			Traffic struct {
				OneOf []struct {
					Required []string `json:"required"`
				} `json:"oneOf"`
			} `json:"traffic"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &schema); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, k := range schema.Defs.Traffic.OneOf {
		kinds = append(kinds, k.Required...)
	}
	slices.Sort(kinds)
	if got := slices.Sorted(maps.Keys(trafficRunners)); len(kinds) == 0 || !slices.Equal(got, kinds) {
		t.Fatalf("traffic runners %v, the schema's kinds %v", got, kinds)
	}
}

// A started http-server adds its request count to a lab's status (its own
// status, not serving's), a udp-sink adds nothing, and neither stops
// before close.
func TestServingStatus(t *testing.T) {
	var st lab.Status
	var srv, sink running = httpServerRun{srv: workload.NewServer(workload.DefaultServerConfig(), io.Discard)}, udpSinkRun{}
	srv.status("web", &st)
	sink.status("sink", &st)
	if n, ok := st.Servers["web"]; !ok || n != 0 || len(st.Servers) != 1 || st.Agents != nil {
		t.Fatalf("status %+v", st)
	}
	if srv.stop() != nil || sink.stop() != nil {
		t.Fatal("an in-process server failed to stop")
	}
}
