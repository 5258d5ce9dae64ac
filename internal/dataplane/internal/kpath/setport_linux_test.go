package kpath

import (
	"errors"
	"testing"

	"github.com/cilium/ebpf"
)

// TestSetPortSkipsOnlyWhatTheMapHolds: SetPort skips writing an entry
// the map holds already, never one that changed or was deleted since.
func TestSetPortSkipsOnlyWhatTheMapHolds(t *testing.T) {
	p := loadPath(t)
	a := Port{MAC: [6]byte{2, 0, 0, 0, 0, 1}}
	b := Port{MAC: [6]byte{2, 0, 0, 0, 0, 2}}
	key, err := portKey(7, 0)
	if err != nil {
		t.Fatal(err)
	}
	mac := func() [6]byte {
		t.Helper()
		var v kpathPort
		if err := p.objs.Ports.Lookup(&key, &v); err != nil {
			t.Fatal(err)
		}
		return v.Mac
	}
	for i, step := range []Port{a, a, b, a} {
		if err := p.SetPort(7, 0, step); err != nil {
			t.Fatal(err)
		}
		if got := mac(); got != step.MAC {
			t.Fatalf("step %d: the map holds MAC %x, want %x", i, got, step.MAC)
		}
	}
	if err := p.DeletePort(7, 0); err != nil {
		t.Fatal(err)
	}
	if err := p.SetPort(7, 0, a); err != nil {
		t.Fatal(err)
	}
	var v kpathPort
	if err := p.objs.Ports.Lookup(&key, &v); errors.Is(err, ebpf.ErrKeyNotExist) {
		t.Fatal("SetPort after DeletePort skipped the write")
	} else if err != nil {
		t.Fatal(err)
	}
}
