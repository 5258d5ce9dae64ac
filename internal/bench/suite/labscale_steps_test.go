package suite

import (
	"log/slog"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/dataplane"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/runner"
)

// TestStepLogKeepsTheDataPlaneSteps: the lab-scale part's logger keeps
// the steps' durations from the mirror service's started message and the
// runner's captures message (a second start adds up), and nothing from
// other messages or derived loggers.
func TestStepLogKeepsTheDataPlaneSteps(t *testing.T) {
	h := newStepLog()
	log := slog.New(h)
	log.Info(dataplane.StartedMessage, "pipelines", 4, slog.Duration(dataplane.StepAttach, 2*time.Millisecond),
		slog.Duration(dataplane.StepPlan, 5*time.Millisecond))
	log.Info(dataplane.StartedMessage, slog.Duration(dataplane.StepAttach, time.Millisecond))
	log.Info(runner.CapturesOpenMessage, slog.Duration("took", 7*time.Millisecond), "receivers", 3)
	log.Info("something else", slog.Duration(dataplane.StepRings, time.Second))
	log.Warn(dataplane.StartedMessage, slog.Duration(dataplane.StepRings, time.Second))
	log.With("eni", "eni-1").Info(dataplane.StartedMessage, slog.Duration(dataplane.StepRings, time.Second))
	for step, want := range map[string]time.Duration{dataplane.StepAttach: 3 * time.Millisecond, dataplane.StepPlan: 5 * time.Millisecond,
		stepCaptures: 7 * time.Millisecond, dataplane.StepRings: 0, dataplane.StepLoad: 0} {
		if got := h.took(step); got != want {
			t.Errorf("step %s: %v, want %v", step, got, want)
		}
	}
}
