package suite

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/mirrorlab/mirrorlab/bench/report"
	"github.com/mirrorlab/mirrorlab/bench/vpc"
	"github.com/mirrorlab/mirrorlab/scenarios/workload"
)

const labelGoReplay = "goreplay"

// HTTPPort is where production and the test server listen.
const HTTPPort = 80

func loadParams(load float64) map[string]string {
	return map[string]string{"load": strconv.FormatFloat(load, 'f', -1, 64)}
}

// servers are production's and the test environment's HTTP servers.
type servers struct {
	prod, test         *workload.Server
	prodURL, testURL   string
	prodAddr, testAddr netip.Addr
	nextID             uint64
}

func startServers(env *vpc.Env) (*servers, error) {
	s := &servers{prodAddr: vpc.ENI(env.Prod).IP, testAddr: vpc.ENI(env.Test).IP, nextID: 1}
	s.prodURL = "http://" + netip.AddrPortFrom(s.prodAddr, HTTPPort).String()
	s.testURL = "http://" + netip.AddrPortFrom(s.testAddr, HTTPPort).String()
	ln, err := vpc.Listen(env.Prod, ":"+strconv.Itoa(HTTPPort))
	if err != nil {
		return nil, err
	}
	s.prod = serve(ln)
	ln, err = vpc.Listen(env.Test, ":"+strconv.Itoa(HTTPPort))
	if err != nil {
		return nil, errors.Join(err, s.prod.Close())
	}
	s.test = serve(ln)
	return s, nil
}

// serve starts the built-in http-server (200 "ok\n", no log) on ln.
func serve(ln net.Listener) *workload.Server {
	s := workload.NewServer(workload.DefaultServerConfig(), nil)
	s.Start(ln)
	return s
}

// load runs a numbered keep-alive load over b.cfg.HTTPConns connections
// from the client instance for b.cfg.HTTPTrial (rate 0: unpaced).
func (b *bench) load(ctx context.Context, env *vpc.Env, url string, rate float64, firstID uint64) (workload.LoadResult, error) {
	res := workload.RunHTTPLoad(ctx, workload.Net{Dial: vpc.Dialer(env.Client)}, workload.HTTPLoad{
		URL: url, Rate: rate, Duration: b.cfg.HTTPTrial, Connections: b.cfg.HTTPConns, KeepAlive: true,
		Numbered: true, FirstID: firstID})
	return res, ctx.Err()
}

func (s *servers) Close() error { return errors.Join(s.prod.Close(), s.test.Close()) }

// replayer is a running replay agent (ours or the peer).
type replayer interface {
	// Sample returns the agent's CPU time so far and its peak RSS in bytes
	// (ok false when it cannot be told apart from the bench process).
	Sample() (cpu time.Duration, peakRSS uint64, ok bool)
	Stop() error
	// Diag is a one-line summary of the agent's own counters, for the
	// progress display ("" when it has none).
	Diag() string
	// Exited reports why the agent is no longer running (nil: running).
	Exited() error
}

// mirrorLost is the number of copies the mirror service lost so far
// (decided but not sent, or dropped by a full capture ring).
func mirrorLost(env *vpc.Env) uint64 {
	s := env.MirrorSnapshot()
	if s == nil {
		return 0
	}
	t := s.Totals
	lost := t.RingDrops
	if t.Mirrored > t.Sent {
		lost += t.Mirrored - t.Sent
	}
	return lost
}

// httpParts runs the HTTP figures of one run: the direct ceiling, our
// agent's replay and decode, and the peer's replay.
func (b *bench) httpParts(ctx context.Context, run int, env *vpc.Env, envErr, mirrorErr error) error {
	if !b.cfg.wants(PartHTTP) && !b.cfg.wants(PartAgent) && !b.cfg.wants(PartPeer) {
		return nil
	}
	direct := spec{name: "http/direct/max-rate", group: "reference", unit: "req/s", higherIsBetter: true}
	var srv *servers
	err := envErr
	if err == nil {
		if err = env.ReleaseMirrorPort(); err == nil {
			srv, err = startServers(env)
		}
	}
	if err != nil {
		b.col.fail(direct, err)
		b.failReplay(labelOurs, err)
		b.failReplay(labelGoReplay, err)
		return nil
	}
	defer func() {
		if err := srv.Close(); err != nil {
			b.cfg.logf("close test servers: %v", err)
		}
	}()
	if b.cfg.wants(PartHTTP) {
		b.cfg.logf("  run %d http: direct load on the test server", run)
		res, err := b.load(ctx, env, srv.testURL, 0, srv.take(1<<30))
		switch {
		case err != nil:
			b.col.fail(direct, err)
		case res.Succeeded == 0:
			b.col.fail(direct, fmt.Errorf("no request succeeded: %s", res.FirstError()))
		default:
			b.col.add(direct, res.Rate())
			b.cfg.logf("  run %d http direct: %.0f req/s (%d failed)", run, res.Rate(), res.Failed)
		}
	}
	if mirrorErr != nil {
		// No mirrored stream: neither agent has anything to replay.
		if b.cfg.wants(PartAgent) {
			b.failReplay(labelOurs, mirrorErr)
			b.col.fail(decodeSpec(), mirrorErr)
		}
		if b.cfg.wants(PartPeer) {
			b.failReplay(labelGoReplay, mirrorErr)
		}
		return ctx.Err()
	}
	if b.cfg.wants(PartAgent) {
		b.agentPhase(ctx, run, env, srv)
	}
	if b.cfg.wants(PartPeer) {
		b.peerPhase(ctx, run, env, srv)
	}
	return ctx.Err()
}

// take reserves n request ids.
func (s *servers) take(n uint64) uint64 {
	id := s.nextID
	s.nextID += n
	return id
}

type replaySpecs struct {
	completeness, rate, p50, p99, served, cpu, rss, mirrorLost spec
}

func replaySpecsFor(who string, load float64) replaySpecs {
	group := "ours"
	if who == labelGoReplay {
		group = "peer"
	}
	lp := loadParams(load)
	return replaySpecs{
		completeness: spec{name: "replay/" + who + "/completeness", group: group, unit: "fraction", params: lp, higherIsBetter: true},
		// The replay rate repeats completeness × load: shown, not compared.
		rate: spec{name: "replay/" + who + "/replay-rate", group: group, unit: "req/s", params: lp, higherIsBetter: true, informational: true},
		p50:  spec{name: "replay/" + who + "/lag-p50", group: group, unit: "ms", params: lp},
		// One late request moves a p99 of a few thousand by seconds on a
		// shared machine: shown, not compared (p50 is).
		p99:        spec{name: "replay/" + who + "/lag-p99", group: group, unit: "ms", params: lp, informational: true},
		served:     spec{name: "replay/" + who + "/production-served-rate", group: group, unit: "req/s", params: lp, informational: true},
		cpu:        spec{name: "replay/" + who + "/cpu-per-1k-req", group: group, unit: "cpu-ms/1k req", params: lp},
		rss:        spec{name: "replay/" + who + "/peak-rss", group: group, unit: "MiB", params: lp},
		mirrorLost: spec{name: "replay/" + who + "/mirror-copies-lost", group: group, unit: "packets", params: lp, informational: true},
	}
}

func highestLosslessSpec(who string) spec {
	s := spec{name: "replay/" + who + "/highest-lossless-load", group: "ours", unit: "req/s", higherIsBetter: true}
	if who == labelGoReplay {
		s.group = "peer"
	} else {
		s.reference = report.Key("replay/"+labelGoReplay+"/highest-lossless-load", nil)
	}
	return s
}

func (b *bench) failReplay(who string, err error) {
	for _, load := range b.cfg.HTTPLoads {
		s := replaySpecsFor(who, load)
		for _, x := range []spec{s.completeness, s.rate, s.p50, s.p99} {
			b.col.fail(x, err)
		}
	}
	b.col.fail(highestLosslessSpec(who), err)
}

// Lossless is the completeness that counts as no loss (99.9%).
const Lossless = 0.999

// replayLoads drives each offered load on production while r replays, and
// records the figures of who.
func (b *bench) replayLoads(ctx context.Context, run int, who string, env *vpc.Env, srv *servers, r replayer) {
	var hl highestLossless
	for _, load := range b.cfg.HTTPLoads {
		sp := replaySpecsFor(who, load)
		if err := r.Exited(); err != nil {
			b.failLoad(sp, err)
			hl.see(load, false)
			continue
		}
		srv.prod.Reset()
		srv.test.Reset()
		cpu0, _, sampled := r.Sample()
		lost0 := mirrorLost(env)
		n := uint64(load*b.cfg.HTTPTrial.Seconds()*2) + 1000
		lr, err := b.load(ctx, env, srv.prodURL, load, srv.take(n))
		if err != nil {
			b.failLoad(sp, err)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(b.cfg.Drain):
		}
		cpu1, rss, _ := r.Sample()
		if err := r.Exited(); err != nil {
			// It died during this load: its figures would blame the load.
			b.failLoad(sp, err)
			b.cfg.logf("  run %d %s at %.0f req/s: %v", run, who, load, err)
			hl.see(load, false)
			continue
		}
		lost := mirrorLost(env) - lost0
		b.col.add(sp.mirrorLost, float64(lost))
		rep := workload.CompareArrivals(srv.prod.Arrivals(), srv.test.Arrivals())
		if rep.Served == 0 {
			b.failLoad(sp, fmt.Errorf("production served nothing: %s", lr.FirstError()))
			hl.see(load, false)
			continue
		}
		b.col.add(sp.completeness, rep.Completeness)
		b.col.add(sp.rate, float64(rep.Replayed)/lr.Elapsed.Seconds())
		b.col.add(sp.served, float64(rep.Served)/lr.Elapsed.Seconds())
		if rep.Replayed > 0 {
			b.col.add(sp.p50, float64(rep.LagP50)/float64(time.Millisecond))
			b.col.add(sp.p99, float64(rep.LagP99)/float64(time.Millisecond))
		} else {
			b.col.fail(sp.p50, errors.New("nothing replayed"))
			b.col.fail(sp.p99, errors.New("nothing replayed"))
		}
		if sampled {
			b.col.add(sp.cpu, float64(cpu1-cpu0)/float64(time.Millisecond)/(float64(rep.Served)/1000))
			b.col.add(sp.rss, float64(rss)/(1<<20))
		}
		hl.see(load, rep.Completeness >= Lossless)
		if b.replay[who] == nil {
			b.replay[who] = map[float64][]float64{}
		}
		b.replay[who][load] = append(b.replay[who][load], rep.Completeness)
		b.cfg.logf("  run %d %s at %.0f req/s: served %d, replayed %d (%.2f%%), lag p50 %v p99 %v; mirror lost %d copies %s", run, who, load,
			rep.Served, rep.Replayed, 100*rep.Completeness, rep.LagP50.Round(time.Microsecond), rep.LagP99.Round(time.Microsecond), lost, r.Diag())
	}
	b.col.add(highestLosslessSpec(who), hl.highest)
	if len(b.cfg.HTTPLoads) > 0 && hl.highest == slices.Max(b.cfg.HTTPLoads) {
		b.col.note(highestLosslessSpec(who), "lossless at every load tried: the highest load tried is a lower bound")
	}
}

func (b *bench) failLoad(sp replaySpecs, err error) {
	for _, x := range []spec{sp.completeness, sp.rate, sp.p50, sp.p99} {
		b.col.fail(x, err)
	}
}

// highestLossless tracks the highest load that, with every lower load seen
// before it (loads rise), replayed without loss.
type highestLossless struct {
	highest float64
	broken  bool
}

func (h *highestLossless) see(load float64, lossless bool) {
	if !lossless {
		h.broken = true
		return
	}
	if !h.broken {
		h.highest = max(h.highest, load)
	}
}
