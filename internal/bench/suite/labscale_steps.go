package suite

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/dataplane"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/runner"
)

// The data plane phase's steps, as the lab-scale part reports them: the
// mirror service's start (dataplane.StepLoad…) and the runner's captures
// at the receivers.
var labDataPlaneSteps = []string{dataplane.StepLoad, dataplane.StepAttach, dataplane.StepRings, dataplane.StepPlan,
	dataplane.StepHealth, stepCaptures}

const stepCaptures = "captures"

func labStepSpec(n int, step string) spec {
	p := sourcesParams(n)
	p["step"] = step
	return spec{name: "labscale/ours/data-plane-step", group: "ours", unit: "s", params: p, informational: true}
}

// stepLog is a slog handler that keeps the durations of the data plane's
// steps from the messages that report them (dataplane.StartedMessage,
// runner.CapturesOpenMessage), and drops everything else.
type stepLog struct {
	mu    sync.Mutex
	steps map[string]time.Duration
}

func newStepLog() *stepLog { return &stepLog{steps: map[string]time.Duration{}} }

func (h *stepLog) Enabled(_ context.Context, l slog.Level) bool { return l == slog.LevelInfo }

func (h *stepLog) Handle(_ context.Context, r slog.Record) error {
	prefix := ""
	switch r.Message {
	case dataplane.StartedMessage:
	case runner.CapturesOpenMessage:
		prefix = stepCaptures
	default:
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	r.Attrs(func(a slog.Attr) bool {
		if a.Value.Kind() == slog.KindDuration {
			name := a.Key
			if prefix != "" {
				name = prefix
			}
			h.steps[name] += a.Value.Duration()
		}
		return true
	})
	return nil
}

// WithAttrs and WithGroup: the messages counted are logged with their
// attributes, never through a derived logger; a derived logger's
// messages are dropped.
func (h *stepLog) WithAttrs([]slog.Attr) slog.Handler { return slog.DiscardHandler }
func (h *stepLog) WithGroup(string) slog.Handler      { return slog.DiscardHandler }

// took returns the time of step name (0 when no message reported it).
func (h *stepLog) took(name string) time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.steps[name]
}
