package agent

import (
	"runtime"
	"testing"

	"github.com/mirrorlab/mirrorlab/agent/internal/metrics"
)

// TestDefaultWorkers: up to two CPUs, reassembly runs on the input
// goroutines (one worker, inline); above, one worker per CPU, as asked
// when given.
func TestDefaultWorkers(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, tc := range []struct{ procs, given, want int }{{1, 0, 1}, {2, 0, 1}, {4, 0, 4}, {2, 3, 3}} {
		runtime.GOMAXPROCS(tc.procs)
		c := withDefaults(Config{Workers: tc.given})
		if c.Workers != tc.want {
			t.Errorf("%d CPUs, -workers %d: %d workers, want %d", tc.procs, tc.given, c.Workers, tc.want)
		}
		a := &Agent{cfg: c, counters: metrics.New()}
		if got := a.pipelineConfig(&sinks{}).Inline; got != (tc.want == 1) {
			t.Errorf("%d workers: inline %v", c.Workers, got)
		}
	}
}
