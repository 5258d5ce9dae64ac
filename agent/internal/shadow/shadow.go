package shadow

import (
	"encoding/json"
	"hash/fnv"
	"io"
	"sync"
	"time"

	"github.com/mirrorlab/mirrorlab/agent/compare"
	"github.com/mirrorlab/mirrorlab/agent/internal/budget"
	"github.com/mirrorlab/mirrorlab/agent/internal/httpparse"
	"github.com/mirrorlab/mirrorlab/agent/internal/replay"
	"github.com/mirrorlab/mirrorlab/agent/internal/stream"
)

// Config configures a Shadow.
type Config struct {
	Compare compare.Options
	// Baseline: a baseline destination's responses are joined too, and
	// noise is what production and the baseline disagree on (Diffy's
	// method); learning noise from production's own answers to identical
	// requests, the way without a baseline, is then off.
	Baseline bool
	// Timeout drops a pair still missing a response after that long
	// (default 30s).
	Timeout time.Duration
	// MaxPending caps the pairs waiting for a response (default 100 000).
	MaxPending int
	// Budget is charged for every pending pair and the bodies it keeps.
	Budget *budget.Budget
	// Output receives one JSON line per differing pair (nil: none);
	// OutputBody cuts the bodies written (default 1 KiB).
	Output     io.Writer
	OutputBody int
	// Observe, when set, sees each compared pair's latencies.
	Observe func(prod, test time.Duration)
}

type key struct{ conn, seq uint64 }

type entry struct {
	method, target string
	line           string
	reqKey         uint64
	reqTime        time.Time
	created        time.Time
	prod, test     *compare.Response
	base           *compare.Response
	cost           int64
}

// entryCost approximates the bytes of a pending pair beyond its bodies.
const entryCost = 320

// Shadow joins responses and compares them. Safe for concurrent use.
type Shadow struct {
	cfg Config
	cmp *compare.Comparer

	mu      sync.Mutex
	pending map[key]*entry
	dropped map[string]uint64
	outMu   sync.Mutex
	enc     *json.Encoder
	now     func() time.Time
}

// New returns a Shadow; bad compare options are reported.
func New(cfg Config) (*Shadow, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = 100_000
	}
	if cfg.OutputBody <= 0 {
		cfg.OutputBody = 1024
	}
	if cfg.Budget == nil {
		cfg.Budget = budget.New(256 << 20)
	}
	if cfg.Baseline && cfg.Compare.LearnEntries == 0 {
		cfg.Compare.LearnEntries = -1
	}
	if cfg.Compare.Budget == nil {
		cfg.Compare.Budget = cfg.Budget
	}
	cmp, err := compare.New(cfg.Compare)
	if err != nil {
		return nil, err
	}
	s := &Shadow{cfg: cfg, cmp: cmp, pending: map[key]*entry{}, dropped: map[string]uint64{}, now: time.Now}
	if cfg.Output != nil {
		s.enc = json.NewEncoder(cfg.Output)
	}
	return s, nil
}

// Comparer returns the comparer (per-endpoint figures).
func (s *Shadow) Comparer() *compare.Comparer { return s.cmp }

// RequestKey hashes what makes two requests identical.
func RequestKey(r *httpparse.Request) uint64 {
	h := fnv.New64a()
	_, _ = io.WriteString(h, r.Method)
	_, _ = io.WriteString(h, " ")
	_, _ = io.WriteString(h, r.Target)
	_, _ = h.Write([]byte{0})
	_, _ = h.Write(r.Body)
	return h.Sum64() | 1 // never 0 (0 turns learning off)
}

// Request registers a parsed request (stream sink, before replay).
func (s *Shadow) Request(c stream.Conn, r *httpparse.Request) {
	e := &entry{method: r.Method, target: r.Target, line: r.Method + " " + r.Target + " " + r.Proto,
		reqKey: RequestKey(r), reqTime: r.Time, created: s.now()}
	e.cost = entryCost + int64(len(e.line)+len(e.target))
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case len(s.pending) >= s.cfg.MaxPending:
		s.dropped["pending_limit"]++
		return
	case !s.cfg.Budget.TryCharge(e.cost):
		s.dropped["memory"]++
		return
	}
	s.pending[key{c.ID, r.Seq}] = e
}

// Response implements stream.ResponseSink: production's response.
func (s *Shadow) Response(c stream.Conn, r *httpparse.Response, at time.Time) {
	s.fill(key{c.ID, r.Seq}, func(e *entry) **compare.Response { return &e.prod },
		&compare.Response{Status: r.Status, Header: r.Header, Body: r.Body, BodyCut: r.BodyCut,
			Incomplete: r.Incomplete}, at)
}

// Unanswered implements stream.ResponseSink.
func (s *Shadow) Unanswered(c stream.Conn, seq uint64, l httpparse.Loss) {
	s.drop(key{c.ID, seq}, "production_"+l.String())
}

// TestResult takes the test destination's replay result.
func (s *Shadow) TestResult(c stream.Conn, r *httpparse.Request, res *replay.Result) {
	s.replayed(c, r, res, "test", func(e *entry) **compare.Response { return &e.test })
}

// BaselineResult takes the baseline destination's replay result.
func (s *Shadow) BaselineResult(c stream.Conn, r *httpparse.Request, res *replay.Result) {
	s.replayed(c, r, res, "baseline", func(e *entry) **compare.Response { return &e.base })
}

func (s *Shadow) replayed(c stream.Conn, r *httpparse.Request, res *replay.Result, side string, slot func(*entry) **compare.Response) {
	k := key{c.ID, r.Seq}
	if res.Dropped != "" {
		s.drop(k, side+"_"+res.Dropped)
		return
	}
	s.fill(k, slot, &compare.Response{Status: res.Status, Header: res.Header, Body: res.Body,
		BodyCut: res.BodyCut, Latency: res.Latency}, time.Time{})
}

// fill stores one side's response; at (production only) gives its latency.
func (s *Shadow) fill(k key, slot func(*entry) **compare.Response, r *compare.Response, at time.Time) {
	s.mu.Lock()
	e, ok := s.pending[k]
	if !ok {
		s.mu.Unlock()
		return // already dropped (and counted), or never registered
	}
	if !at.IsZero() && !e.reqTime.IsZero() {
		r.Latency = max(at.Sub(e.reqTime), 0)
	}
	cost := int64(cap(r.Body))
	for _, f := range r.Header {
		cost += int64(len(f.Name) + len(f.Value) + 32)
	}
	if !s.cfg.Budget.TryCharge(cost) {
		s.removeLocked(k, e, "memory")
		s.mu.Unlock()
		return
	}
	e.cost += cost
	*slot(e) = r
	if e.prod == nil || e.test == nil || s.cfg.Baseline && e.base == nil {
		s.mu.Unlock()
		return
	}
	delete(s.pending, k)
	s.cfg.Budget.Release(e.cost)
	s.mu.Unlock()
	s.compare(e)
}

func (s *Shadow) drop(k key, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.pending[k]; ok {
		s.removeLocked(k, e, reason)
	}
}

func (s *Shadow) removeLocked(k key, e *entry, reason string) {
	delete(s.pending, k)
	s.cfg.Budget.Release(e.cost)
	s.dropped[reason]++
}

// Sweep drops the pairs older than the timeout, counted by the side they
// wait for.
func (s *Shadow) Sweep() {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, e := range s.pending {
		if now.Sub(e.created) < s.cfg.Timeout {
			continue
		}
		s.removeLocked(k, e, "timeout_"+e.waitingFor(s.cfg.Baseline))
	}
}

func (e *entry) waitingFor(baseline bool) string {
	switch {
	case e.prod == nil:
		return "production"
	case e.test == nil:
		return "test"
	case baseline && e.base == nil:
		return "baseline"
	}
	return "none"
}

// Close drops every pair still pending (reason "shutdown_<side>") and
// the responses kept for learning; the figures stay.
func (s *Shadow) Close() {
	s.mu.Lock()
	for k, e := range s.pending {
		s.removeLocked(k, e, "shutdown_"+e.waitingFor(s.cfg.Baseline))
	}
	s.mu.Unlock()
	s.cmp.Close()
}

// Stats returns the comparison's figures with the drops and the pairs
// pending.
func (s *Shadow) Stats() compare.Stats {
	st := s.cmp.Stats()
	s.mu.Lock()
	st.Pending = len(s.pending)
	st.Dropped = make(map[string]uint64, len(s.dropped))
	for k, v := range s.dropped {
		st.Dropped[k] = v
	}
	s.mu.Unlock()
	return st
}

func (s *Shadow) compare(e *entry) {
	res := s.cmp.Compare(&compare.Pair{Method: e.method, Target: e.target, RequestKey: e.reqKey,
		Prod: e.prod, Test: e.test, Baseline: e.base})
	if s.cfg.Observe != nil && res.Outcome != compare.Incomplete {
		s.cfg.Observe(e.prod.Latency, e.test.Latency)
	}
	if s.enc == nil || res.Outcome != compare.Different {
		return
	}
	d := res.Diffs[0]
	line := diffLine{Time: s.now().UTC(), Endpoint: res.Endpoint, Request: e.line,
		ProductionStatus: e.prod.Status, TestStatus: e.test.Status, Kind: d.Kind.String(), Field: d.Field,
		Production: d.Prod, Test: d.Test, ProductionBody: s.cut(e.prod.Body), TestBody: s.cut(e.test.Body),
		ProductionMs: ms(e.prod.Latency), TestMs: ms(e.test.Latency)}
	s.outMu.Lock()
	defer s.outMu.Unlock()
	_ = s.enc.Encode(line) // the writer reports its own errors on flush
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (s *Shadow) cut(b []byte) string {
	if len(b) > s.cfg.OutputBody {
		return string(b[:s.cfg.OutputBody]) + "…"
	}
	return string(b)
}

type diffLine struct {
	Time             time.Time `json:"time"`
	Endpoint         string    `json:"endpoint"`
	Request          string    `json:"request"`
	ProductionStatus int       `json:"productionStatus"`
	TestStatus       int       `json:"testStatus"`
	Kind             string    `json:"kind"`
	Field            string    `json:"field,omitempty"`
	Production       string    `json:"production"`
	Test             string    `json:"test"`
	ProductionBody   string    `json:"productionBody"`
	TestBody         string    `json:"testBody"`
	ProductionMs     float64   `json:"productionMs"`
	TestMs           float64   `json:"testMs"`
}
