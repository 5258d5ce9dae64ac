package sim

import (
	"cmp"

	"github.com/mirrorlab/mirrorlab/internal/sim/state"
)

// Sweep removes what dead runs left: for every state file in stateDir
// (empty: state.DefaultDir) whose owner process is gone (or whose PID now
// belongs to another process), it kills the processes in the run's
// namespaces, deletes the namespaces and the state file. Runs whose owner is
// alive, and anything no state file names, are never touched. It returns the
// ids of the runs removed and every error, joined. `mirrorlab clean` is this.
func Sweep(stateDir string) ([]string, error) {
	stateDir = cmp.Or(stateDir, state.DefaultDir)
	return state.Sweep(stateDir)
}
