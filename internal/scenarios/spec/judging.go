package spec

import (
	"fmt"
	"strings"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/workload"
)

// Observations is what a run saw, as the expectations judge it: plain data,
// so that judging needs neither the run nor the agent.
type Observations struct {
	// Ran is false when nothing was built (validation refused, or the run
	// failed before traffic); only validationError can then hold.
	Ran        bool
	Validation Problems
	Model      cloudmock.Snapshot
	Arrivals   map[string]*ArrivalCounts     // by receiving ENI name
	Requests   map[string][]workload.Request // by http-server program
	AgentStats map[string]map[string]float64 // by agent program
	Responses  map[string]*ResponseStats     // by agent program (with -compare)
	Output     map[string]map[string]int64   // program -> text -> matching lines
	Traffic    map[string]TrafficCounts      // by traffic step name
}

// ArrivalCounts are the VXLAN datagrams (UDP 4789) that one receiving
// interface captured, by VNI, and the sizes of their inner frames.
type ArrivalCounts struct {
	Total int64 `json:"total"`
	// Geneve is how many of Total came wrapped in GENEVE from a Gateway
	// Load Balancer.
	Geneve int64 `json:"geneve,omitempty"`
	// IPv6 is how many of Total came with an outer IPv6 header (IPv6ByVNI:
	// per VNI); behind a Gateway Load Balancer, the header of the datagram
	// inside GENEVE, as the endpoint received it.
	IPv6      int64            `json:"ipv6,omitempty"`
	IPv6ByVNI map[uint32]int64 `json:"ipv6ByVni,omitempty"`
	ByVNI     map[uint32]int64 `json:"byVni,omitempty"`
	MinInner  int              `json:"minInner,omitempty"`
	MaxInner  int              `json:"maxInner,omitempty"`
	// MaxInnerByVNI is the largest inner frame per VNI.
	MaxInnerByVNI map[uint32]int `json:"maxInnerByVni,omitempty"`
	MinInnerByVNI map[uint32]int `json:"minInnerByVni,omitempty"`
	// CaptureDrops are frames the kernel dropped before the capture read
	// them (its buffer was full): the counts above are then too low.
	CaptureDrops int64  `json:"captureDrops,omitempty"`
	Error        string `json:"error,omitempty"`
}

// TrafficCounts is how a traffic step went: its sender's counts.
type TrafficCounts = workload.Counts

// ResponseStats is an agent's response comparison (shadow testing) as the
// expectations read it.
type ResponseStats struct {
	Compared, Identical, Noise, Different, Incomplete uint64
	// NotCompared counts the pairs never compared, whatever the reason.
	NotCompared uint64
	// Latency percentiles over every endpoint, in milliseconds.
	ProdP50ms, ProdP90ms, ProdP99ms float64
	TestP50ms, TestP90ms, TestP99ms float64
	Endpoints                       []EndpointResponses
}

// EndpointResponses is one endpoint's share of a ResponseStats.
type EndpointResponses struct {
	Endpoint             string
	Compared, Different  uint64
	ProdP99ms, TestP99ms float64
	// Fields are the fields that differ, most frequent first; Example
	// describes one difference.
	Fields  []string
	Example string
}

// Outcome is one expectation's judgement.
type Outcome struct {
	Want     string
	Observed string
	Passed   bool
	// Detail explains a failure (or a notable pass) in a sentence.
	Detail string
	// Requests is a sameRequests check's comparison.
	Requests *RequestComparison
}

// RequestComparison is what two http-server programs received.
type RequestComparison struct {
	Production, Test string
	workload.Comparison
}

// judging is what an expectation kind's judge sees and fills in.
type judging struct {
	s *Scenario
	o *Observations
	v *Outcome
}

// count judges an observed number against bounds (none: at least 1).
func (j *judging) count(c Count, got int64) {
	j.v.Observed = fmt.Sprint(got)
	j.v.Want, j.v.Passed = c.bounds(got)
}

// sessionsOf returns the scenario's sessions that send to target (all
// sessions when target is empty).
func (j *judging) sessionsOf(target string) []cloudmock.TrafficMirrorSession {
	var out []cloudmock.TrafficMirrorSession
	for _, ss := range j.s.Mirror.Sessions {
		if target == "" || ss.TrafficMirrorTargetId == target {
			out = append(out, ss)
		}
	}
	return out
}

// Judge decides the expectation against o; ShouldFail inverts it.
func (e *Expectation) Judge(s *Scenario, o *Observations) Outcome {
	var v Outcome
	if e.Check == nil {
		v.Observed = "no kind"
		return v
	}
	e.Check.judge(&judging{s: s, o: o, v: &v})
	if e.ShouldFail {
		v.Passed = !v.Passed
		v.Want = "to fail: " + v.Want
		if v.Passed {
			v.Detail = strings.TrimSpace("failed, as it should: " + v.Detail)
		} else {
			v.Detail = strings.TrimSpace("held, but it should fail " + v.Detail)
		}
	}
	return v
}

// Label is the expectation's name in reports: its own, or its kind's
// description.
func (e *Expectation) Label() string {
	switch {
	case e.Name != "":
		return e.Name
	case e.Check != nil:
		return e.Check.describe()
	}
	return "expectation"
}
