package agent

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	respcmp "github.com/mirrorlab/mirrorlab/agent/compare"
	"github.com/mirrorlab/mirrorlab/agent/internal/httpparse"
	"github.com/mirrorlab/mirrorlab/agent/internal/metrics"
	"github.com/mirrorlab/mirrorlab/agent/internal/replay"
	"github.com/mirrorlab/mirrorlab/agent/internal/shadow"
	"github.com/mirrorlab/mirrorlab/agent/internal/stream"
)

// shadowRun is the comparison's part of a running agent (-compare).
type shadowRun struct {
	a          *Agent
	s          *shadow.Shadow
	test, base *replay.Replayer
	out        *lockedWriter
	file       *os.File
	stop       chan struct{}
	wg         sync.WaitGroup
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Flush()
}

func (a *Agent) startShadow() (*shadowRun, error) {
	cfg := &a.cfg
	r := &shadowRun{a: a, stop: make(chan struct{})}
	sc := shadow.Config{
		Compare:  respcmp.Options{IgnoreHeaders: cfg.CompareIgnoreHeaders, IgnoreJSON: cfg.CompareIgnoreJSON},
		Baseline: cfg.CompareBaseline != "",
		Timeout:  cfg.CompareTimeout,
		Budget:   a.counters.Memory,
	}
	if cfg.CompareOutput != "" {
		f, err := os.Create(cfg.CompareOutput)
		if err != nil {
			return nil, fmt.Errorf("compare-output: %w", err)
		}
		r.file = f
		r.out = &lockedWriter{w: bufio.NewWriterSize(f, 64<<10)}
		sc.Output = r.out
	}
	lat := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "mirror_agent_response_latency_seconds",
		Help:    "Latency of compared responses: production's (request's last packet to response's last, as mirrored) and the test's (replay sent to response read).",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
	}, []string{"side"})
	prod, test := lat.WithLabelValues("production"), lat.WithLabelValues("test")
	sc.Observe = func(p, t time.Duration) {
		prod.Observe(p.Seconds())
		test.Observe(t.Seconds())
	}
	s, err := shadow.New(sc)
	if err != nil {
		_ = r.closeFile()
		return nil, err
	}
	r.s = s
	if err := errors.Join(a.reg.Register(lat), a.reg.Register(compareCollector{s})); err != nil {
		_ = r.closeFile()
		return nil, fmt.Errorf("register compare metrics: %w", err)
	}
	a.mu.Lock()
	a.shadow = s
	a.mu.Unlock()
	r.wg.Add(1)
	go r.sweep()
	return r, nil
}

// configure makes a replay configuration report its results to the
// comparison; sampling is decided once, in submit, for both destinations.
func (r *shadowRun) configure(rc *replay.Config, baseline bool) {
	rc.Percentage = 100
	rc.KeepBody = r.a.cfg.CompareBodyBytes
	rc.OnResult = r.s.TestResult
	if baseline {
		rc.OnResult = r.s.BaselineResult
	}
}

func (r *shadowRun) startBaseline(cfg *Config) error {
	if cfg.CompareBaseline == "" {
		return nil
	}
	bc := cfg.replayConfig()
	bc.Destination = cfg.CompareBaseline
	bc.Counters = metrics.New() // the agent's replay figures are the test destination's
	bc.Budget = r.a.counters.Memory
	bc.Logger = r.a.log.With("destination", "baseline")
	bc.DialContext = cfg.dialer(max(cfg.ReplayTimeout, time.Second))
	r.configure(&bc, true)
	var err error
	r.base, err = replay.New(bc)
	return err
}

// submit samples a request once, registers it and replays it to the test
// destination (and the baseline).
func (r *shadowRun) submit(c stream.Conn, req *httpparse.Request) {
	cfg := &r.a.cfg
	pct := cfg.Percentage
	if pct == 0 {
		pct = 100 // the default
	}
	if !replay.Sampled(pct, cfg.PercentageBy, cfg.PercentageByHeader, c, req) {
		r.a.counters.RequestsSampledOut.Add(1)
		return
	}
	r.s.Request(c, req)
	r.test.Submit(c, req)
	if r.base != nil {
		r.base.Submit(c, req)
	}
}

func (r *shadowRun) sweep() {
	defer r.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			r.s.Sweep()
			if r.out != nil {
				if err := r.out.flush(); err != nil {
					r.a.log.Error("compare-output", "err", err)
				}
			}
		}
	}
}

// drain waits for the baseline's replays (the test's are drained by the
// caller) and counts what is still pending as not compared.
func (r *shadowRun) drain(ctx context.Context) error {
	var err error
	if r.base != nil {
		err = r.base.Close(ctx)
	}
	r.s.Close()
	return err
}

func (r *shadowRun) close() error {
	close(r.stop)
	r.wg.Wait()
	return r.closeFile()
}

func (r *shadowRun) closeFile() error {
	if r.file == nil {
		return nil
	}
	var err error
	if r.out != nil {
		err = r.out.flush()
	}
	return errors.Join(err, r.file.Close())
}

// logCompareSummary logs the comparison's totals and each endpoint that
// differs.
func (a *Agent) logCompareSummary(s *respcmp.Stats) {
	if s == nil {
		return
	}
	var dropped uint64
	reasons := make([]string, 0, len(s.Dropped))
	for k, v := range s.Dropped {
		dropped += v
		reasons = append(reasons, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(reasons)
	a.log.Info(fmt.Sprintf("responses: compared %d, identical %d, different %d, noise %d, incomplete %d, not compared %d",
		s.Compared, s.Identical, s.Different, s.Noise, s.Incomplete, dropped), "not_compared", strings.Join(reasons, " "))
	for _, e := range s.Endpoints {
		if e.Different > 0 {
			a.log.Warn("responses differ", "endpoint", e.Endpoint, "different", e.Different, "compared", e.Compared,
				"example", e.Example)
		}
	}
}

// compareCollector exposes the comparison's counters to Prometheus.
type compareCollector struct{ s *shadow.Shadow }

var (
	dCmpPairs    = prometheus.NewDesc("mirror_agent_compare_pairs_total", "Request/response pairs compared, by outcome.", []string{"outcome"}, nil)
	dCmpEndpoint = prometheus.NewDesc("mirror_agent_compare_endpoint_pairs_total", "Pairs compared per endpoint (method and path template), by outcome.", []string{"endpoint", "outcome"}, nil)
	dCmpDiffs    = prometheus.NewDesc("mirror_agent_compare_differences_total", "Differing pairs by the kind of their first difference.", []string{"kind"}, nil)
	dCmpDropped  = prometheus.NewDesc("mirror_agent_compare_dropped_total", "Pairs not compared, by reason.", []string{"reason"}, nil)
	dCmpPending  = prometheus.NewDesc("mirror_agent_compare_pending", "Pairs waiting for a response.", nil, nil)
	dCmpLatency  = prometheus.NewDesc("mirror_agent_compare_endpoint_latency_seconds",
		"Latency of compared pairs per endpoint, production's and the test's (quantiles 0.5 and 0.99 from a histogram of about 10% resolution).",
		[]string{"endpoint", "side"}, nil)
)

func (k compareCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dCmpPairs, dCmpEndpoint, dCmpDiffs, dCmpDropped, dCmpPending, dCmpLatency} {
		ch <- d
	}
}

func (k compareCollector) Collect(ch chan<- prometheus.Metric) {
	s := k.s.Stats()
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	counter(dCmpPairs, s.Identical, "identical")
	counter(dCmpPairs, s.Different, "different")
	counter(dCmpPairs, s.Noise, "noise")
	counter(dCmpPairs, s.Incomplete, "incomplete")
	kinds := map[string]uint64{}
	for _, e := range s.Endpoints {
		counter(dCmpEndpoint, e.Identical, e.Endpoint, "identical")
		counter(dCmpEndpoint, e.Different, e.Endpoint, "different")
		counter(dCmpEndpoint, e.Noise, e.Endpoint, "noise")
		counter(dCmpEndpoint, e.Incomplete, e.Endpoint, "incomplete")
		for kd, v := range e.DifferentBy {
			kinds[kd] += v
		}
		n := e.Compared // the pairs whose latencies were taken
		if n == 0 {
			continue
		}
		for _, side := range [2]struct {
			name           string
			p50, p99, mean float64
		}{{"production", e.ProdP50ms, e.ProdP99ms, e.ProdMeanMs}, {"test", e.TestP50ms, e.TestP99ms, e.TestMeanMs}} {
			ch <- prometheus.MustNewConstSummary(dCmpLatency, n, side.mean*float64(n)/1000,
				map[float64]float64{0.5: side.p50 / 1000, 0.99: side.p99 / 1000}, e.Endpoint, side.name)
		}
	}
	for _, kd := range []string{"status", "header", "body"} {
		counter(dCmpDiffs, kinds[kd], kd)
	}
	for r, v := range s.Dropped {
		counter(dCmpDropped, v, r)
	}
	ch <- prometheus.MustNewConstMetric(dCmpPending, prometheus.GaugeValue, float64(s.Pending))
}
