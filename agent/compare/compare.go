package compare

import (
	"cmp"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/mirrorlab/mirrorlab/agent/internal/budget"
)

// Options configure a Comparer.
type Options struct {
	// IgnoreHeaders are header names not compared, beyond those that
	// differ on every response or describe the connection (Date, Server,
	// Set-Cookie, Content-Length, …: defaultIgnoredHeaders).
	IgnoreHeaders []string
	// IgnoreJSON are JSON paths not compared, such as ".meta.ts" or
	// "items[].updated" (a leading "$" or "." is optional).
	IgnoreJSON []string
	// MaxEndpoints bounds the endpoints tracked (default 1000); further
	// endpoints are counted under "other".
	MaxEndpoints int
	// LearnEntries bounds the production responses kept per endpoint to
	// learn noise from identical requests (default 64; -1 turns learning
	// off).
	LearnEntries int
	// LearnBytes bounds the bytes of the production responses kept for
	// learning, over every endpoint (default 8 MiB).
	LearnBytes int64
	// Budget, when set, is charged for every response kept for learning
	// (the agent's memory budget); a refused charge keeps nothing.
	Budget *budget.Budget
}

// Outcome is the verdict on one pair.
type Outcome uint8

// Outcomes of a comparison.
const (
	Identical  Outcome = iota
	Different          // a regression: a difference not explained by noise
	Noise              // every difference is a known noisy field
	Incomplete         // a side was incomplete: not compared
)

// String names o.
func (o Outcome) String() string {
	switch o {
	case Identical:
		return "identical"
	case Different:
		return "different"
	case Noise:
		return "noise"
	case Incomplete:
		return "incomplete"
	}
	return "unknown"
}

// Pair is one request with its responses.
type Pair struct {
	Method, Target string
	// RequestKey identifies identical requests (e.g. a hash of method,
	// target and body); 0 disables noise learning for this pair.
	RequestKey uint64
	Prod, Test *Response
	// Baseline is the response of the baseline destination (production's
	// version), or nil.
	Baseline *Response
}

// Result is the verdict on one pair.
type Result struct {
	Endpoint string
	Outcome  Outcome
	// Diffs are the regressions (Different) or the noisy differences
	// (Noise).
	Diffs []Diff
}

// Comparer compares pairs and aggregates them per endpoint. Safe for
// concurrent use.
type Comparer struct {
	ignoreHdr  []string
	ignoreJSON []pattern
	maxEP      int
	learnN     int
	learnMax   int64
	budget     *budget.Budget

	mu        sync.Mutex
	endpoints map[string]*endpoint
	other     *endpoint
	buf       []Diff
	noiseBuf  []Diff
	prodAll   hist // over every endpoint
	testAll   hist
	// learning from production: responses and bytes kept, responses
	// not kept (an endpoint's or the byte cap reached, memory refused)
	kept, keptBytes int64
	learnSkipped    uint64
}

// New checks opts and returns a Comparer.
func New(opts Options) (*Comparer, error) {
	c := &Comparer{maxEP: opts.MaxEndpoints, learnN: opts.LearnEntries, learnMax: opts.LearnBytes,
		budget: opts.Budget, endpoints: map[string]*endpoint{}}
	if c.maxEP <= 0 {
		c.maxEP = 1000
	}
	c.learnN = cmp.Or(c.learnN, 64)
	if c.learnMax <= 0 {
		c.learnMax = 8 << 20
	}
	c.ignoreHdr = append(append(c.ignoreHdr, defaultIgnoredHeaders...), opts.IgnoreHeaders...)
	var errs []error
	for _, h := range opts.IgnoreHeaders {
		if h == "" || strings.ContainsAny(h, " :\t") {
			errs = append(errs, fmt.Errorf("ignore header %q: not a header name", h))
		}
	}
	for _, p := range opts.IgnoreJSON {
		pp, err := parseJSONPath(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c.ignoreJSON = append(c.ignoreJSON, pp)
	}
	c.other = newEndpoint("other")
	return c, errors.Join(errs...)
}

// Compare compares p, records it under its endpoint and returns the
// verdict. The returned Diffs are valid until the next call.
func (c *Comparer) Compare(p *Pair) Result {
	name := endpointName(p.Method, p.Target)
	c.mu.Lock()
	defer c.mu.Unlock()
	ep := c.endpoint(name)
	res := Result{Endpoint: ep.name}
	if p.Prod.Incomplete || p.Test.Incomplete || p.Baseline != nil && p.Baseline.Incomplete {
		ep.incomplete++
		res.Outcome = Incomplete
		return res
	}
	ep.latency(p.Prod, p.Test)
	c.prodAll.add(p.Prod.Latency)
	c.testAll.add(p.Test.Latency)
	if p.Prod.BodyCut || p.Test.BodyCut {
		ep.bodyUnchecked++
	}
	if p.Baseline != nil {
		c.noiseBuf = c.diff(c.noiseBuf[:0], p.Prod, p.Baseline)
		for _, d := range c.noiseBuf {
			ep.learnNoise(d.key())
		}
	}
	if p.RequestKey != 0 && c.learnN > 0 {
		c.learnFromProduction(ep, p)
	}
	c.buf = c.diff(c.buf[:0], p.Prod, p.Test)
	res.Outcome, res.Diffs = ep.record(c.buf)
	return res
}

func (c *Comparer) endpoint(name string) *endpoint {
	if ep, ok := c.endpoints[name]; ok {
		return ep
	}
	if len(c.endpoints) >= c.maxEP {
		return c.other
	}
	ep := newEndpoint(name)
	c.endpoints[name] = ep
	return ep
}

// learnFromProduction compares production's response with the first one
// it gave to an identical request (the one kept): fields that differ are
// noise.
func (c *Comparer) learnFromProduction(ep *endpoint, p *Pair) {
	if p.Prod.BodyCut {
		return
	}
	if prev, ok := ep.seen[p.RequestKey]; ok {
		c.noiseBuf = c.diff(c.noiseBuf[:0], prev, p.Prod)
		for _, d := range c.noiseBuf {
			ep.learnNoise(d.key())
		}
		return
	}
	if len(ep.seen) >= c.learnN {
		c.learnSkipped++
		return
	}
	cost := keptCost(p.Prod)
	if c.keptBytes+cost > c.learnMax || !c.budget.TryCharge(cost) {
		c.learnSkipped++
		return
	}
	ep.seen[p.RequestKey] = &Response{Status: p.Prod.Status, Header: p.Prod.Header, Body: p.Prod.Body}
	c.keptBytes += cost
	c.kept++
}

// keptCost approximates the bytes a response kept for learning holds.
func keptCost(r *Response) int64 {
	n := int64(96 + cap(r.Body))
	for _, f := range r.Header {
		n += int64(len(f.Name) + len(f.Value) + 32)
	}
	return n
}

// Close forgets the responses kept for learning and gives their bytes
// back to the budget; the figures stay.
func (c *Comparer) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.budget.Release(c.keptBytes)
	c.keptBytes, c.kept = 0, 0
	c.learnN = -1
	for _, ep := range append(c.endpointList(), c.other) {
		clear(ep.seen)
	}
}

func (c *Comparer) endpointList() []*endpoint {
	out := make([]*endpoint, 0, len(c.endpoints))
	for _, ep := range c.endpoints {
		out = append(out, ep)
	}
	return out
}
