package suite

import (
	"fmt"
	"slices"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/bench/gen"
)

// Parts of the bench that Config.Parts can select.
const (
	PartReferences = "references"
	PartMirror     = "mirror"
	PartHTTP       = "http"
	PartAgent      = "agent"
	PartPeer       = "peer"
	// PartCompare is our agent's replay with response comparison on
	// (-compare; production's answers mirrored too).
	PartCompare = "compare"
	// PartApply is the apply latency of a change through the EC2 API.
	PartApply = "apply"
	// PartLabScale is the cost of a lab by its size (gen.LabScale) against
	// the bare netlink work of the same interfaces.
	PartLabScale = "labscale"
	// PartLBTargets is the mirror path's rate and CPU with the session's
	// target an NLB and a GWLB endpoint, beside the ENI target, in the
	// kernel and in user space (see lbtargets.go).
	PartLBTargets = "lbtargets"
	// PartKernelShare is the share of copies decided by the in-kernel
	// path in library scenarios, by kind of scenario (see kernelshare.go).
	PartKernelShare = "kernelshare"
)

// AllParts is every part, in the order they run.
var AllParts = []string{PartReferences, PartMirror, PartLBTargets, PartHTTP, PartAgent, PartCompare, PartPeer, PartApply, PartLabScale, PartKernelShare}

// Config tunes a bench run.
type Config struct {
	Smoke bool
	// Runs is how many times every figure is measured.
	Runs int
	// Sizes are the IP packet sizes of the throughput searches.
	Sizes []int
	// LBSizes is how many of Sizes, the first ones, the load balancer
	// targets (PartLBTargets) are measured at; 0: every one.
	LBSizes int
	// ShareScenarios is how many library scenarios of each kind, the
	// first ones, the kernel share (PartKernelShare) runs; 0: every one.
	ShareScenarios int
	// ShareLibrary adds the kernel share of the whole embedded library
	// (issue 23's goal) to PartKernelShare.
	ShareLibrary bool
	// Trial is the duration of one throughput trial; Settle the wait after
	// it before counting.
	Trial, Settle time.Duration
	// Resolution of the zero-loss search, as a fraction of the generator's
	// unpaced rate; CurvePoints paced rates above the zero-loss rate.
	Resolution  float64
	CurvePoints int
	// Confirmations: how often a zero-loss rate may fail its repeat trial
	// before the search settles (see gen.SearchConfig).
	Confirmations int
	// HTTPLoads are the offered loads on production (requests/s), rising;
	// an agent's ramp stops after the first load it does not replay
	// losslessly (higher ones would only lose more). HTTPTrial is how long
	// each lasts; Drain how long to wait after it for replays.
	HTTPLoads []float64
	HTTPTrial time.Duration
	Drain     time.Duration
	// HTTPConns is the load's number of keep-alive connections.
	HTTPConns int
	// DecodeTrial is how long the agent's decode rate on UDP is measured;
	// DecodePackets how many packets the decode file holds.
	DecodeTrial   time.Duration
	DecodePackets int
	// Parts selects what runs (AllParts when empty).
	Parts []string
	// StateDir records the namespaces for `mirrorlab clean` (sim's default
	// when empty). RepoDir is where the git commit is read.
	StateDir, RepoDir string
	// GoReplay is the peer's binary (looked up when empty).
	GoReplay string
	// AgentCommand runs our agent as its own process (argv before the
	// agent's flags, e.g. mirrorlab's path and "agent"), so that its CPU
	// is measured apart from the bench's; empty: in the bench's process
	// (no CPU figures for it).
	AgentCommand []string
	// ApplyRounds is how many changes the apply-latency figure times per
	// run.
	ApplyRounds int
	// LabSources are the lab-scale part's numbers of source instances.
	LabSources []int
	// Progress receives one line per step (nil: silent).
	Progress func(line string)
	// Note is added to the machine description (e.g. "shared machine").
	Note string
}

// Defaults returns the full bench's settings, or the smoke settings (one
// run, two sizes, short trials: under two minutes).
func Defaults(smoke bool) Config {
	if smoke {
		return Config{Smoke: true, Runs: 1, Sizes: []int{64, 1400}, LBSizes: 1, ShareScenarios: 1, Trial: 200 * time.Millisecond, Settle: 50 * time.Millisecond,
			Resolution: 0.15, CurvePoints: 1, Confirmations: 1, HTTPLoads: []float64{200, 800}, HTTPTrial: time.Second, Drain: 2500 * time.Millisecond,
			HTTPConns: 8, DecodeTrial: 500 * time.Millisecond, DecodePackets: 200_000, ApplyRounds: 3, LabSources: []int{10, 100}}
	}
	return Config{Runs: 3, Sizes: []int{64, 512, 1400, 8947}, ShareLibrary: true, Trial: time.Second, Settle: 100 * time.Millisecond,
		Resolution: 0.05, CurvePoints: 3, Confirmations: 2, HTTPLoads: []float64{500, 1000, 2000, 4000, 8000, 12000, 16000, 24000, 32000}, HTTPTrial: 3 * time.Second,
		Drain: 3 * time.Second, HTTPConns: 32, DecodeTrial: 2 * time.Second, DecodePackets: 1_000_000, ApplyRounds: 10,
		LabSources: []int{10, 100, 1000}}
}

// Validate checks the settings.
func (c *Config) Validate() error {
	switch {
	case c.Runs < 1:
		return fmt.Errorf("runs %d: want at least 1", c.Runs)
	case len(c.Sizes) == 0:
		return fmt.Errorf("no packet sizes")
	case c.Trial <= 0:
		return fmt.Errorf("trial duration %v: want > 0", c.Trial)
	case c.LBSizes < 0:
		return fmt.Errorf("load balancer sizes %d: want 0 (every size) or more", c.LBSizes)
	case c.ShareScenarios < 0:
		return fmt.Errorf("kernel share scenarios per kind %d: want 0 (every one) or more", c.ShareScenarios)
	}
	for i, l := range c.HTTPLoads {
		if i > 0 && l <= c.HTTPLoads[i-1] {
			return fmt.Errorf("http loads %v: want them rising", c.HTTPLoads)
		}
	}
	for _, s := range c.Sizes {
		if s < 28 || s > 8947 {
			return fmt.Errorf("packet size %d: want 28 to 8947 (the largest untruncated size at MTU 9001)", s)
		}
	}
	for _, n := range c.LabSources {
		if _, err := gen.LabScale(n); err != nil {
			return err
		}
	}
	for _, p := range c.Parts {
		ok := false
		for _, q := range AllParts {
			ok = ok || p == q
		}
		if !ok {
			return fmt.Errorf("unknown part %q (want one of %v)", p, AllParts)
		}
	}
	return nil
}

func (c *Config) wants(part string) bool {
	return len(c.Parts) == 0 || slices.Contains(c.Parts, part)
}

func (c *Config) logf(format string, args ...any) {
	if c.Progress != nil {
		c.Progress(fmt.Sprintf(format, args...))
	}
}
