package spec

// Expectation is one check of the run. Exactly one kind is set.
type Expectation struct {
	// Name labels the check in reports (default: derived from its kind).
	Name string `yaml:"name"`
	// ShouldFail inverts the check: the expectation holds when its check
	// does not (a regression that a demonstration scenario must catch);
	// the verdict keeps the check's own detail, so reports still say what
	// was found.
	ShouldFail bool `yaml:"shouldFail"`

	Mirrored        *MirrorCount     `yaml:"mirrored"`
	NotMirrored     *NotMirrored     `yaml:"notMirrored"`
	Arrived         *Arrived         `yaml:"arrived"`
	Truncated       *MirrorCount     `yaml:"truncated"`
	Delivered       *TargetCount     `yaml:"delivered"`
	Dropped         *DropCount       `yaml:"dropped"`
	Requests        *RequestCount    `yaml:"requests"`
	SameRequests    *SameRequests    `yaml:"sameRequests"`
	SameResponses   *SameResponses   `yaml:"sameResponses"`
	ResponseLatency *ResponseLatency `yaml:"responseLatency"`
	Metric          *Metric          `yaml:"metric"`
	Output          *OutputMatch     `yaml:"output"`
	Traffic         *TrafficResult   `yaml:"traffic"`
	ValidationError *ValidationMatch `yaml:"validationError"`
}

// Count bounds an observed number; every bound given must hold (none given:
// at least 1).
type Count struct {
	Min    *int64 `yaml:"min"`
	Max    *int64 `yaml:"max"`
	Equals *int64 `yaml:"equals"`
}

// MirrorCount counts mirrored (or truncated) packets, by session, by target,
// or by source interface; with none of them, over all sessions.
type MirrorCount struct {
	Session          string `yaml:"session"`
	Target           string `yaml:"target"`
	NetworkInterface string `yaml:"networkInterface"`
	// Direction ingress or egress (default both; with networkInterface only).
	Direction string `yaml:"direction"`
	Count     `yaml:",inline"`
}

// NotMirrored counts the packets a source interface saw that were not
// mirrored, by the model's reason code (rejected-by-rule, no-rule-matched,
// never-mirrored-amazon-dns, …; empty: every reason).
type NotMirrored struct {
	NetworkInterface string `yaml:"networkInterface"`
	Reason           string `yaml:"reason"`
	Count            `yaml:",inline"`
}

// Arrived counts the VXLAN datagrams (UDP 4789) that really arrived at a
// receiving interface (a target's ENI, or an NLB's registered target), as
// captured there, optionally only those with a VNI; InnerBytes bounds the
// largest inner frame seen (truncation made visible on the wire).
//
// OuterFamily ("ipv4" or "ipv6") counts only the datagrams whose outer
// header is of that family (behind a Gateway Load Balancer: the VXLAN
// datagram's inside GENEVE, the copy as the endpoint received it).
type Arrived struct {
	NetworkInterface string `yaml:"networkInterface"`
	VNI              *int   `yaml:"vni"`
	OuterFamily      string `yaml:"outerFamily"`
	InnerBytes       *Count `yaml:"innerBytes"`
	Count            `yaml:",inline"`
}

// TargetCount counts mirrored datagrams delivered to a target.
type TargetCount struct {
	Target string `yaml:"target"`
	Count  `yaml:",inline"`
}

// DropCount counts mirrored datagrams dropped on the way to a target.
type DropCount struct {
	Target string `yaml:"target"`
	// By is nacl, security-group, no-listener, no-healthy-target,
	// no-route, queue or any (default).
	By    string `yaml:"by"`
	Count `yaml:",inline"`
}

// Drop causes for DropCount.By.
var DropCauses = []string{"any", "nacl", "security-group", "no-listener", "no-healthy-target", "no-route", "queue"}

// RequestCount counts the requests an http-server program received.
type RequestCount struct {
	Program string `yaml:"program"`
	Count   `yaml:",inline"`
}

// SameRequests checks that the test server received the requests production
// received (method, path and body), at least Completeness of them (0..1,
// default 1), and nothing production did not.
type SameRequests struct {
	Production   string  `yaml:"production"`
	Test         string  `yaml:"test"`
	Completeness float64 `yaml:"completeness"`
}

// SameResponses checks, by the agent's response comparison (shadow
// testing), that the test server answered as production did: at least
// MinIdentical (0..1, default 1) of the compared pairs are identical or
// differ only in noise, and at least one pair was compared. Its presence
// turns on -compare in the agent (Agent, or the scenario's only built-in
// agent) with IgnoreHeaders and IgnoreJSON added to its ignore lists. The
// mirror filter must also mirror production's egress from the port.
//
// Baseline names a third built-in http-server running production's
// version (Diffy's method): the agent replays every request to it too
// (-compare-baseline http://<its address>:<its port>), and a difference
// that also shows between production and the baseline is noise, not a
// regression.
type SameResponses struct {
	Production    string   `yaml:"production"`
	Test          string   `yaml:"test"`
	Baseline      string   `yaml:"baseline"`
	Agent         string   `yaml:"agent"`
	MinIdentical  float64  `yaml:"minIdentical"`
	IgnoreHeaders []string `yaml:"ignoreHeaders"`
	IgnoreJSON    []string `yaml:"ignoreJson"`
}

// ResponseLatency checks the test server's response latency against
// production's at a percentile (50, 90 or 99; default 99): test <=
// production x MaxRatio (default 1.5) + SlackMs (default 5: production's
// latency is seen from the mirror, the test's from the replaying client,
// which adds its own overhead). Turns on -compare like SameResponses.
type ResponseLatency struct {
	Test       string   `yaml:"test"`
	Agent      string   `yaml:"agent"`
	MaxRatio   float64  `yaml:"maxRatio"`
	Percentile float64  `yaml:"percentile"`
	SlackMs    *float64 `yaml:"slackMs"`
}

// Metric checks a named counter: a provider metric of a source interface
// (NetworkPacketsMirrorIn, …), or a counter of an agent program's stats.
type Metric struct {
	NetworkInterface string `yaml:"networkInterface"`
	Program          string `yaml:"program"`
	Name             string `yaml:"name"`
	Count            `yaml:",inline"`
}

// OutputMatch counts the output lines of a program that contain a text.
type OutputMatch struct {
	Program  string `yaml:"program"`
	Contains string `yaml:"contains"`
	Count    `yaml:",inline"`
}

// TrafficResult checks a traffic step: how many of its requests (or
// packets) succeeded.
type TrafficResult struct {
	Name      string `yaml:"name"`
	Succeeded *Count `yaml:"succeeded"`
	Failed    *Count `yaml:"failed"`
}

// ValidationMatch expects the mirror configuration to be refused: the run
// passes when validation reports a problem with this code (and resource and
// field when given), and builds nothing.
type ValidationMatch struct {
	Code     string `yaml:"code"`
	Resource string `yaml:"resource"`
	Field    string `yaml:"field"`
}
