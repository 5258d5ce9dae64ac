package lab_test

import (
	"reflect"
	"testing"

	"github.com/mirrorlab/mirrorlab/lab"
	"github.com/mirrorlab/mirrorlab/scenarios"
)

// TestTopologyOfLibrary checks that the topology derived from each library
// scenario's model is the one the scenario realizes: one derivation of a
// lab's network from the resources, whoever made them.
func TestTopologyOfLibrary(t *testing.T) {
	files, names := scenarios.Library()
	if len(names) == 0 {
		t.Fatal("no library scenarios")
	}
	for _, name := range names {
		s, err := scenarios.Load(name)
		if err != nil {
			t.Fatalf("%s: %v (%d bytes)", name, err, len(files[name]))
		}
		want, err := s.Topology()
		if err != nil {
			t.Fatalf("%s: scenario topology: %v", name, err)
		}
		m := s.Model()
		got, err := lab.TopologyOf(m)
		if err != nil {
			t.Fatalf("%s: TopologyOf: %v", name, err)
		}
		if got, err = got.Resolve(); err != nil {
			t.Fatalf("%s: TopologyOf resolves: %v", name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: TopologyOf(model)\n got %+v\nwant %+v", name, got, want)
		}
	}
}
