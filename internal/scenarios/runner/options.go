package runner

import (
	"io"
	"log/slog"
	"time"
)

// Options tune a run.
type Options struct {
	// PcapDir, when set, receives a pcapng per mirror target
	// (<dir>/<scenario>/<target>.pcapng): every datagram sent to it.
	PcapDir string
	// UserSpaceOnly decides every mirrored packet in user space
	// (dataplane.Config.UserSpaceOnly): no in-kernel path.
	UserSpaceOnly bool
	// Keep leaves the lab up after the run (for debugging); the state file
	// records it and `mirrorlab down` or `mirrorlab clean` removes it.
	Keep bool
	// RunID and StateDir are passed to sim.Realize (empty: defaults).
	RunID    string
	StateDir string
	// Progress receives one line per step while the run goes (nil: none).
	Progress io.Writer
	// Logger receives the data plane's and the agents' logs (nil: none).
	Logger *slog.Logger
	// Live, when set, is called about twice a second during the traffic
	// steps with what the run has done so far (a progress display).
	Live func(Live)
}

// Live is what a run has done so far, while a traffic step goes.
type Live struct {
	// Step is the traffic step running; Elapsed is its time so far.
	Step    string
	Elapsed time.Duration
	// Mirrored is how many packets the mirror service has mirrored so far.
	Mirrored uint64
	// Replayed is how many requests the agents have replayed so far.
	Replayed uint64
}
