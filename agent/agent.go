package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mirrorlab/mirrorlab/agent/internal/budget"
	"github.com/mirrorlab/mirrorlab/agent/internal/geneve"
	"github.com/mirrorlab/mirrorlab/agent/internal/httpparse"
	"github.com/mirrorlab/mirrorlab/agent/internal/input"
	"github.com/mirrorlab/mirrorlab/agent/internal/metrics"
	"github.com/mirrorlab/mirrorlab/agent/internal/pipeline"
	"github.com/mirrorlab/mirrorlab/agent/internal/replay"
	"github.com/mirrorlab/mirrorlab/agent/internal/shadow"
	"github.com/mirrorlab/mirrorlab/agent/internal/stream"
)

// Version is the agent's version, set at build time with
// -ldflags "-X github.com/mirrorlab/mirrorlab/agent.Version=...".
var Version = "dev"

// Stats is a JSON-able snapshot of the agent's counters.
type Stats = metrics.Snapshot

// Agent is a configured agent; Run it once.
type Agent struct {
	cfg      Config
	log      *slog.Logger
	counters *metrics.Counters
	reg      *prometheus.Registry
	ready    chan struct{}

	mu     sync.Mutex
	addrs  map[string]net.Addr
	ran    bool
	shadow *shadow.Shadow // with -compare, once running
}

// New checks cfg and returns an agent. Nothing is opened until Run.
func New(cfg Config) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = withDefaults(cfg)
	a := &Agent{cfg: cfg, log: cfg.Logger, counters: metrics.New(), reg: prometheus.NewRegistry(),
		ready: make(chan struct{}), addrs: map[string]net.Addr{}}
	a.counters.Memory = budget.New(int64(cfg.MaxBufferedBytes))
	if err := a.reg.Register(metrics.NewCollector(a.counters)); err != nil {
		return nil, fmt.Errorf("register metrics: %w", err)
	}
	return a, nil
}

func withDefaults(c Config) Config {
	n := runtime.GOMAXPROCS(0)
	if c.Input == "" {
		c.Input = "udp"
	}
	if c.Listen == "" {
		c.Listen = ":4789"
		if c.Geneve {
			c.Listen = ":6081"
		}
	}
	if c.UDPSockets == 0 {
		c.UDPSockets = n
	}
	if c.Workers == 0 {
		c.Workers = n
		if n <= 2 {
			// Reassembly inline on the input goroutines: in the bench,
			// as cheap or cheaper per request than two workers, and
			// lossless as high (issue 23).
			c.Workers = 1
		}
	}
	if len(c.Ports) == 0 {
		c.Ports = []uint16{80}
	}
	if c.VXLANPort == 0 {
		c.VXLANPort = 4789
	}
	if c.Frames == "" {
		c.Frames = "auto"
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = 10 * time.Second
	}
	if c.MaxBufferedBytes == 0 {
		c.MaxBufferedBytes = 256 << 20
	}
	if c.CompareBodyBytes == 0 {
		c.CompareBodyBytes = 64 << 10
	}
	if c.SummaryInterval == 0 {
		c.SummaryInterval = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Stats returns a snapshot of the counters.
func (a *Agent) Stats() Stats {
	s := a.counters.Snapshot()
	a.mu.Lock()
	sh := a.shadow
	a.mu.Unlock()
	if sh != nil {
		cs := sh.Stats()
		s.Compare = &cs
	}
	return s
}

// Registry returns the agent's own Prometheus registry.
func (a *Agent) Registry() *prometheus.Registry { return a.reg }

// Ready is closed once every socket is open and packets are being read.
func (a *Agent) Ready() <-chan struct{} { return a.ready }

// Addr returns the bound address of a listener once Ready: "udp",
// "health" or "metrics" (nil when not open).
func (a *Agent) Addr(name string) net.Addr {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.addrs[name]
}

func (a *Agent) setAddr(name string, addr net.Addr) {
	a.mu.Lock()
	a.addrs[name] = addr
	a.mu.Unlock()
}

// Run runs the agent until ctx is done (or a pcap input ends), then drains:
// complete requests are replayed (within DrainTimeout), partial ones
// dropped, outputs flushed. The error joins every failure.
func (a *Agent) Run(ctx context.Context) (err error) {
	if err := a.claimRun(); err != nil {
		return err
	}
	cfg := &a.cfg
	var closers []func() error
	defer func() {
		for i := len(closers) - 1; i >= 0; i-- {
			err = errors.Join(err, closers[i]())
		}
	}()

	out, err := a.openSinks(&closers)
	if err != nil {
		return err
	}
	engine := pipeline.New(a.pipelineConfig(out))

	servers, err := a.startServers()
	closers = append(closers, servers.close)
	if err != nil {
		out.abandonReplay() // nothing was queued
		return err
	}

	tuner := a.newProcTuner()
	run, err := a.openInput(engine, tuner.inputBacklog())
	if err != nil {
		out.abandonReplay()
		return err
	}
	engine.Start()
	a.log.Info("agent started", "version", Version, "input", cfg.Input, "ports", cfg.Ports,
		"destination", cfg.Destination, "workers", cfg.Workers)
	close(a.ready)

	stopSummaries := a.startSummaries(ctx, out.jw, out.pw)
	stopTuner := tuner.start()
	inputErr := run(ctx)
	stopTuner() // every P for the drain
	// Drain.
	stopSummaries()
	engine.Close()
	err = errors.Join(err, out.drain(cfg.DrainTimeout))
	s := a.Stats()
	a.log.Info("agent stopped", "summary", s.Summary())
	if out.sh != nil {
		a.logCompareSummary(s.Compare)
	}
	return errors.Join(err, inputErr)
}

// claimRun fails if Run was already called.
func (a *Agent) claimRun() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ran {
		return errors.New("agent: Run called twice")
	}
	a.ran = true
	return nil
}

// sinks are where reassembled requests and captured frames go: the
// comparison (-compare), the replayer, and the JSONL and pcap outputs.
// Any of them may be nil.
type sinks struct {
	sh *shadowRun
	rp *replay.Replayer
	jw *jsonlWriter
	pw *pcapWriter
}

// openSinks opens the configured sinks, pushing onto closers what Run
// must close at the end (the replayer is drained by Run instead).
func (a *Agent) openSinks(closers *[]func() error) (*sinks, error) {
	cfg := &a.cfg
	out := &sinks{}
	var err error
	if cfg.Compare {
		if out.sh, err = a.startShadow(); err != nil {
			return nil, err
		}
		*closers = append(*closers, out.sh.close)
	}
	if cfg.Destination != "" {
		if out.rp, err = a.openReplay(out.sh); err != nil {
			return nil, err
		}
	}
	if cfg.OutputJSONL != "" {
		if out.jw, err = openJSONL(cfg.OutputJSONL); err != nil {
			return nil, err
		}
		*closers = append(*closers, out.jw.close)
	}
	if cfg.OutputPcap != "" {
		if out.pw, err = openPcap(cfg.OutputPcap); err != nil {
			return nil, err
		}
		*closers = append(*closers, out.pw.close)
	}
	return out, nil
}

// openReplay starts the replayer to Destination and, with -compare (sh not
// nil), makes it the comparison's test side and starts the baseline.
func (a *Agent) openReplay(sh *shadowRun) (*replay.Replayer, error) {
	cfg := &a.cfg
	rc := cfg.replayConfig()
	rc.Counters = a.counters
	rc.Budget = a.counters.Memory
	rc.Logger = a.log
	rc.DialContext = cfg.dialer(max(cfg.ReplayTimeout, time.Second))
	if sh != nil {
		sh.configure(&rc, false)
	}
	rp, err := replay.New(rc)
	if err != nil {
		return nil, err
	}
	if sh != nil {
		sh.test = rp
		if err := sh.startBaseline(cfg); err != nil {
			_ = rp.Close(context.Background())
			return nil, err
		}
	}
	return rp, nil
}

// request hands a complete request to the JSONL output and to the
// comparison or, without one, to the replayer.
func (o *sinks) request(c stream.Conn, r *httpparse.Request) {
	if o.jw != nil {
		o.jw.write(c, r)
	}
	switch {
	case o.sh != nil:
		o.sh.submit(c, r)
	case o.rp != nil:
		o.rp.Submit(c, r)
	}
}

// abandonReplay closes the replayer when Run fails before any request was
// queued.
func (o *sinks) abandonReplay() {
	if o.rp != nil {
		_ = o.rp.Close(context.Background())
	}
}

// drain replays what is queued and lets the comparison finish, both
// within timeout.
func (o *sinks) drain(timeout time.Duration) error {
	if o.rp == nil {
		return nil
	}
	dctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := o.rp.Close(dctx)
	if o.sh != nil {
		err = errors.Join(err, o.sh.drain(dctx))
	}
	return err
}

// pipelineConfig is the engine's configuration, delivering to out.
func (a *Agent) pipelineConfig(out *sinks) pipeline.Config {
	cfg := &a.cfg
	offline := cfg.Input == "pcap"
	pc := pipeline.Config{
		Ports: cfg.Ports, VNIs: cfg.VNIs, VXLANPort: cfg.VXLANPort, Geneve: cfg.Geneve, Workers: cfg.Workers,
		QueueLen: cfg.QueueLen, Block: offline, Inline: cfg.Workers == 1, PacketClock: offline, Counters: a.counters,
		Stream: stream.Config{
			MaxStreams: cfg.MaxStreams, MaxBufferedBytes: cfg.MaxBufferedBytes, Budget: a.counters.Memory,
			MaxConnBufferedBytes: cfg.MaxConnBufferedBytes, GapTimeout: cfg.GapTimeout,
			IdleTimeout: cfg.IdleTimeout,
			Limits:      httpparse.Limits{MaxHeader: cfg.MaxHeaderBytes, MaxBody: cfg.MaxBodyBytes},
			Sink:        out.request,
		},
	}
	if out.sh != nil {
		pc.Stream.Responses = out.sh.s
		pc.Stream.ResponseBody = cfg.CompareBodyBytes // production's side kept as the test's is
	}
	if out.pw != nil {
		pc.Tap = out.pw.write
	}
	return pc
}

// startSummaries logs a summary every SummaryInterval until the returned
// function is called; that function waits for the last one.
func (a *Agent) startSummaries(ctx context.Context, jw *jsonlWriter, pw *pcapWriter) (stop func()) {
	sumCtx, stopSummary := context.WithCancel(ctx)
	var sumWG sync.WaitGroup
	sumWG.Add(1)
	go func() {
		defer sumWG.Done()
		a.summaries(sumCtx, jw, pw)
	}()
	return func() {
		stopSummary()
		sumWG.Wait()
	}
}

func (a *Agent) summaries(ctx context.Context, jw *jsonlWriter, pw *pcapWriter) {
	if a.cfg.SummaryInterval < 0 {
		<-ctx.Done()
		return
	}
	t := time.NewTicker(a.cfg.SummaryInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s := a.Stats()
			a.log.Info("summary " + s.Summary())
			if jw != nil {
				if err := jw.flush(); err != nil {
					a.log.Error("output-jsonl", "err", err)
				}
			}
			if pw != nil {
				if err := pw.flush(); err != nil {
					a.log.Error("output-pcap", "err", err)
				}
			}
		}
	}
}

// frameAdapter gives captured frames to a decoder with the frame kind.
type frameAdapter struct {
	d    *pipeline.Decoder
	kind pipeline.FrameKind
}

func (f frameAdapter) Frame(b []byte, ethernet bool, ts time.Time) {
	f.d.Frame(b, ethernet, f.kind, ts)
}

// openInput opens the configured input and returns the function that
// reads it until ctx is done. The UDP input calls backlog (when not nil)
// whenever it finds datagrams waiting (a full batch).
func (a *Agent) openInput(engine *pipeline.Engine, backlog func()) (func(context.Context) error, error) {
	cfg := &a.cfg
	switch cfg.Input {
	case "pcap":
		kind := frameKind(cfg.Frames, pipeline.FramesAuto)
		return func(ctx context.Context) error {
			return input.ReadPcap(ctx, input.PcapConfig{Path: cfg.PcapFile, Pace: cfg.PcapPace},
				frameAdapter{engine.NewDecoder(), kind})
		}, nil
	case "afpacket":
		def := pipeline.FramesVXLAN
		if strings.HasPrefix(cfg.Interface, "vxlan") {
			def = pipeline.FramesInner
		}
		kind := frameKind(cfg.Frames, def)
		var filterPort uint16
		if kind == pipeline.FramesVXLAN {
			filterPort = cfg.VXLANPort // the kernel drops the rest
			if cfg.Geneve {
				filterPort = geneve.Port
			}
		}
		af, err := input.OpenAFPacket(input.AFPacketConfig{Interface: cfg.Interface, RingBytes: cfg.RingBytes,
			VXLANPort: filterPort, InNamespace: cfg.InNamespace, Drops: &a.counters.InputDrops})
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) error {
			defer af.Close()
			return af.Run(ctx, frameAdapter{engine.NewDecoder(), kind})
		}, nil
	default:
		u, err := input.ListenUDP(context.Background(), input.UDPConfig{Addr: cfg.Listen, Sockets: cfg.UDPSockets,
			RcvBuf: cfg.RcvBuf, InNamespace: cfg.InNamespace, Drops: &a.counters.InputDrops, Backlog: backlog})
		if err != nil {
			return nil, err
		}
		a.setAddr("udp", u.LocalAddr())
		return func(ctx context.Context) error {
			defer u.Close()
			return u.Run(ctx, func() input.DatagramHandler { return engine.NewDecoder() })
		}, nil
	}
}

func frameKind(s string, auto pipeline.FrameKind) pipeline.FrameKind {
	switch s {
	case "vxlan":
		return pipeline.FramesVXLAN
	case "inner":
		return pipeline.FramesInner
	}
	return auto
}

// Handler serves /metrics (Prometheus), /stats (JSON) and /healthz.
func (a *Agent) Handler() http.Handler {
	return a.handler()
}
