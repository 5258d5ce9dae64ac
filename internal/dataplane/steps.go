package dataplane

import (
	"log/slog"
	"slices"
	"time"
)

// The steps of Start, timed (Service.StartSteps). Attaching, opening the
// rings and computing the plan run at once (each step's time is its own:
// they overlap); the plan is written once all three are done. Start logs
// them, as durations, in its "mirror service started" message
// (StartedMessage), one attribute per step.
const (
	// StepLoad: the in-kernel path's programs and maps loaded into the
	// fabrics (or taken from a Preload).
	StepLoad = "load"
	// StepAttach: the programs attached to the ports (cls_bpf filters),
	// sources' and receivers'.
	StepAttach = "attach"
	// StepRings: the capture rings and the senders' sockets opened.
	StepRings = "rings"
	// StepPlan: the kernel plan computed from the model, and written into
	// the maps (the receivers' attaching left out: StepAttach).
	StepPlan = "plan"
	// StepHealth: the load balancers' health checks set up.
	StepHealth = "health"
)

// StartedMessage is the message that Start logs at level Info once the
// service runs, with the time of each step (see StepLoad).
const StartedMessage = "mirror service started"

// StartStep is one step of Start and the time it took.
type StartStep struct {
	Name string
	Took time.Duration
}

// startSteps times the steps of Start (one goroutine).
type startSteps struct {
	steps []StartStep
}

// add adds d to step name's time.
func (s *startSteps) add(name string, d time.Duration) {
	for i := range s.steps {
		if s.steps[i].Name == name {
			s.steps[i].Took += d
			return
		}
	}
	s.steps = append(s.steps, StartStep{Name: name, Took: d})
}

// attrs returns the steps as log attributes.
func (s *startSteps) attrs() []any {
	out := make([]any, 0, len(s.steps))
	for _, st := range s.steps {
		out = append(out, slog.Duration(st.Name, st.Took))
	}
	return out
}

// StartSteps returns the time each step of Start took.
func (s *Service) StartSteps() []StartStep { return slices.Clone(s.steps.steps) }
