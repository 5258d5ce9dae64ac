package sim

import (
	"os"
	"slices"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/privtest"
	"github.com/mirrorlab/mirrorlab/internal/sim/state"
)

// TestPrivilegedSweepOnlyDeadRunsOnlyOurs: a run whose owner PID was reused
// (same PID, other start time) is swept; a namespace with the run's prefix
// that no state file lists, and a state file naming another run's
// namespace, are left alone.
func TestPrivilegedSweepOnlyDeadRunsOnlyOurs(t *testing.T) {
	privtest.Require(t)
	dir := t.TempDir()
	id, other := state.NewRunID(), state.NewRunID()
	listed, unlisted := state.Prefix(id)+"a", state.Prefix(id)+"b"
	for _, n := range []string{listed, unlisted} {
		ns, h, err := createNamespace(n, commonSysctls)
		if err != nil {
			t.Fatal(err)
		}
		h.Close()
		ns.Close()
		t.Cleanup(func() { state.DeleteNamespace(n) })
	}
	pid, start, err := state.Self()
	if err != nil {
		t.Fatal(err)
	}
	// Our own PID with another start time: the owner is gone, the PID reused.
	if err := state.Create(dir, &state.Run{RunID: id, PID: pid, StartTime: start + 1, Namespaces: []string{listed}}); err != nil {
		t.Fatal(err)
	}
	// A file for another run that names our unlisted namespace: refused.
	bad := []byte(`{"run_id":"` + other + `","pid":1,"start_time":1,"namespaces":["` + unlisted + `"]}`)
	if err := os.WriteFile(dir+"/"+other+".json", bad, 0o644); err != nil {
		t.Fatal(err)
	}
	removed, err := Sweep(dir)
	if err == nil {
		t.Error("Sweep accepted a state file naming another run's namespace")
	}
	if !slices.Equal(removed, []string{id}) {
		t.Errorf("Sweep removed %v, want [%s]", removed, id)
	}
	if got := namespacesOf(t, id); !slices.Equal(got, []string{unlisted}) {
		t.Errorf("namespaces of run %s after Sweep: %v, want only the unlisted %s", id, got, unlisted)
	}
	if _, err := os.Stat(dir + "/" + other + ".json"); err != nil {
		t.Errorf("Sweep removed the refused state file: %v", err)
	}
}
