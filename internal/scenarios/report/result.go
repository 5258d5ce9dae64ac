package report

import (
	"time"

	"github.com/mirrorlab/mirrorlab/agent/compare"
	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/labstatus"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/workload"
)

// The phases of a run, in order, as they appear in Result.Timeline.
const (
	PhaseBuild     = labstatus.PhaseBuild     // the VPC's namespaces, links, addresses, VXLAN devices
	PhaseDataPlane = labstatus.PhaseDataPlane // the mirror service and the receivers' captures
	PhasePrograms  = "programs"               // the programs started and ready
	PhaseTraffic   = "traffic"                // every traffic step
	PhaseSettle    = "settle"                 // the wait before the counters are read
	PhaseCollect   = "collect"                // programs stopped, counters and captures read
	PhaseTeardown  = "teardown"               // everything the run made removed
)

// Phase is one phase of a run and when it ran.
type Phase struct {
	Name  string    `json:"name"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Error is what ended the phase early, when something did.
	Error string `json:"error,omitempty"`
}

// Result is everything a run saw, and the verdicts. It is JSON-able.
type Result struct {
	Scenario string        `json:"scenario"`
	File     string        `json:"file"`
	Provider string        `json:"provider"`
	Passed   bool          `json:"passed"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration"`
	// Error is what stopped the run before it could judge (build failure,
	// a program that never got ready, interruption).
	Error string `json:"error,omitempty"`
	// Validation holds the provider's validation problems (the run built
	// nothing when there are some).
	Validation spec.Problems `json:"validation,omitempty"`
	// RunID names the lab; Kept says it was left up (Options.Keep).
	RunID string `json:"runId,omitempty"`
	Kept  bool   `json:"kept,omitempty"`
	// Lab describes the kept lab (with Kept), for exec, status and down.
	Lab *LabInfo `json:"lab,omitempty"`

	Programs []ProgramResult `json:"programs,omitempty"`
	Traffic  []TrafficResult `json:"traffic,omitempty"`
	Sessions []SessionResult `json:"sessions,omitempty"`
	// ENIs are the provider's counters per source interface.
	ENIs map[string]cloudmock.ENICounters `json:"enis,omitempty"`
	// DataPlane sums the mirror service's own counters.
	DataPlane *DataPlaneStats `json:"dataPlane,omitempty"`
	// Arrivals are what the receiving interfaces captured.
	Arrivals []Arrival `json:"arrivals,omitempty"`
	// Comparisons are the sameRequests checks' details.
	Comparisons  []Comparison `json:"comparisons,omitempty"`
	Expectations []Verdict    `json:"expectations"`
	// Losses are mirrored copies that did not reach their receiver, by
	// target and cause, in words.
	Losses []string `json:"losses,omitempty"`
	// PcapFiles written (with PcapDir).
	PcapFiles []string `json:"pcapFiles,omitempty"`
	// Timeline is the run's phases in the order they ran (none when the
	// provider refused the configuration and nothing was built).
	Timeline []Phase `json:"timeline,omitempty"`
}

// DataPlaneStats are the mirror service's counters over all source
// interfaces (the lab's).
type DataPlaneStats = labstatus.DataPlaneStats

// ProgramResult is one program of the scenario.
type ProgramResult struct {
	Name     string `json:"name"`
	Instance string `json:"instance"`
	Kind     string `json:"kind"` // http-server, agent, udp-sink, command
	Ready    bool   `json:"ready"`
	Error    string `json:"error,omitempty"`
	// Requests is how many requests an http-server received.
	Requests int `json:"requests,omitempty"`
	// Datagrams is how many datagrams a udp-sink swallowed.
	Datagrams int64 `json:"datagrams,omitempty"`
	// Stats are an agent's counters.
	Stats map[string]float64 `json:"stats,omitempty"`
	// Compare is an agent's response comparison (shadow testing), with
	// its per-endpoint table.
	Compare *compare.Stats `json:"compare,omitempty"`
	// ExitCode of a command (-1: killed at the end of the run, as expected
	// of a long-running program).
	ExitCode int `json:"exitCode,omitempty"`
	// OutputTail is the last of a command's output.
	OutputTail string `json:"outputTail,omitempty"`
}

// TrafficResult is one traffic step.
type TrafficResult struct {
	Name    string    `json:"name"`
	Kind    string    `json:"kind"`
	From    string    `json:"from,omitempty"`
	Started time.Time `json:"started"`
	spec.TrafficCounts
	Elapsed time.Duration `json:"elapsed"`
}

// SessionResult is one mirror session's counters.
type SessionResult = labstatus.Session

// Arrival is what one receiving interface captured: VXLAN datagrams (UDP
// 4789) by VNI, and the sizes of their inner frames.
type Arrival struct {
	ENI      string `json:"eni"`
	Instance string `json:"instance"`
	spec.ArrivalCounts

	// flows are the inner TCP/UDP flows seen (both directions as one),
	// up to maxArrivalFlows; see Flows.
	flows map[innerFlow]struct{}
}

// Comparison is a sameRequests check's detail. The programs' names have
// JSON keys of their own: the embedded counts are "production" and "test".
type Comparison struct {
	Production string `json:"productionProgram"`
	Test       string `json:"testProgram"`
	workload.Comparison
}

// Verdict is one expectation's outcome.
type Verdict struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Line     int    `json:"line"`
	Passed   bool   `json:"passed"`
	Want     string `json:"want"`
	Observed string `json:"observed"`
	// Detail explains a failure (or a notable pass) in a sentence.
	Detail string `json:"detail,omitempty"`
	// NotRun says the run stopped (Result.Error says why) before this
	// expectation could be observed: it is not passed, and not judged.
	NotRun bool `json:"notRun,omitempty"`
}

// LabInfo describes a kept run's lab (Result.Lab).
type LabInfo = labstatus.Info
