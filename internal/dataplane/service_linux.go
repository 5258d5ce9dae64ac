package dataplane

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/dataplane/internal/kpath"
	"github.com/mirrorlab/mirrorlab/internal/sim"
	"golang.org/x/sync/errgroup"
)

// Service is a running mirror service. Its kernel state is sockets (per
// captured ENI: two AF_PACKET rings, two raw sockets, and two AF_PACKET
// send sockets per fabric; short-lived TCP health-check sockets) and the
// in-kernel path's programs, maps and cls_bpf filters, inside the lab's
// fabric namespaces: when the process dies, the kernel closes the sockets,
// programs and maps. The filters and the one setting it changes, the
// receivers' ports' transmit checksum offload, Close removes and restores
// (see doc.go).
type Service struct {
	cfg Config
	cur atomic.Pointer[view] // the configuration in force (see Apply)
	// pipes are the running pipelines; Apply replaces the slice (with mu
	// held), readers load it (pipelines).
	pipes atomic.Pointer[[]*pipeline]
	// captured lists the ENIs with pipelines, by NetworkInterfaceId: the
	// sim ENI they capture at.
	captured map[string]*sim.ENI
	// fabrics are the lab's fabrics the service knows, by index (a lab
	// may append more; see portsPlan).
	fabrics []*sim.Fabric
	// peerings and transits are the lab's links between fabrics when
	// the service started.
	peerings []*sim.Peering
	transits []*sim.TransitGateway
	// retired sums the counters of the pipelines of ENIs removed while
	// the service ran (guarded by mu), so that Totals never go back.
	retired  PipeStats
	retireWG sync.WaitGroup
	slotSize int // the largest copy of any pipeline so far
	// kern is the in-kernel path (nil: off; kernWhy says why).
	kern    *kernelPath
	kernWhy string
	kernErr error // why the kernel could not take it (ErrKernelUnsupported)
	vnet    bool  // the rings carry a virtio_net_hdr (vnetHdrSupported)

	done      chan struct{} // closed by Close: senders drain and return
	captureWG sync.WaitGroup
	sendWG    sync.WaitGroup

	// mu serialises Apply and Close and guards what follows.
	mu      sync.Mutex
	closed  bool
	targets []*targetAddr // every receiving address indexed so far, in order
	byKey   map[targetKey]*targetAddr
	pcaps   map[string]*pcapWriter // by TrafficMirrorTargetId
	health  *healthGen

	closeOnce sync.Once
	closeErr  error
	// steps are Start's steps, timed (written by Start only).
	steps startSteps
}

// Start opens a capture on the fabric end of every source ENI of the model
// (both directions; every ENI of the model with Config.AllENIs), the
// senders and the health checks, and starts mirroring. ctx bounds the
// start only; Close stops the service.
func Start(ctx context.Context, cfg Config) (*Service, error) {
	cfg = cfg.withDefaults()
	if cfg.Model == nil {
		return nil, errors.New("start mirror service: config: Model is nil")
	}
	if cfg.Lab == nil {
		return nil, errors.New("start mirror service: config: Lab is nil")
	}
	s := &Service{cfg: cfg, captured: map[string]*sim.ENI{}, byKey: map[targetKey]*targetAddr{},
		pcaps: map[string]*pcapWriter{}, done: make(chan struct{}), fabrics: cfg.Lab.Fabrics(),
		peerings: cfg.Lab.Peerings(), transits: cfg.Lab.TransitGateways()}
	if err := s.build(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("start mirror service: %w", err), s.release())
	}
	for _, p := range s.pipelines() {
		s.startPipeline(p)
	}
	s.health.start()
	cfg.Logger.Info(StartedMessage, append([]any{"pipelines", len(s.pipelines()), "targets", len(s.targets),
		"health_checks", len(s.health.checks)}, s.steps.attrs()...)...)
	return s, nil
}

// simENI finds the sim ENI realising ENI ref of model m.
func (s *Service) simENI(m *cloudmock.Model, ref cloudmock.ENIRef) (*sim.ENI, error) {
	id := m.ENIID(ref)
	if e, ok := s.cfg.ENIs[id]; ok && e != nil {
		return e, nil
	}
	addr := m.ENIAddr(ref)
	if e := s.cfg.Lab.ENIByIP(addr); e != nil {
		return e, nil
	}
	return nil, fmt.Errorf("network interface %s (%s) is not realised in the lab", id, addr)
}

func (s *Service) build(ctx context.Context) error {
	m := s.cfg.Model
	if s.cfg.PcapDir != "" {
		if err := os.MkdirAll(s.cfg.PcapDir, 0o755); err != nil {
			return fmt.Errorf("pcap directory: %w", err)
		}
	}
	v, err := s.newView(m, s.cfg.Spec)
	if err != nil {
		return err
	}
	s.cur.Store(v)
	s.vnet = vnetHdrSupported()
	refs := m.SourceENIs()
	if s.cfg.AllENIs {
		refs = m.ENIs()
	}
	t := time.Now()
	if err := s.startKernelPath(refs); err != nil {
		return err
	}
	s.steps.add(StepLoad, time.Since(t))
	for _, ref := range refs {
		e, err := s.simENI(m, ref)
		if err != nil {
			return fmt.Errorf("source %w", err)
		}
		s.slotSize = max(s.slotSize, slotFor(e))
	}
	// The programs go onto the ports, and the kernel plan is computed,
	// while the rings open: the three are independent until the plan is
	// written (the rings need only the loaded programs' socket filter),
	// and each waits in turn (for the kernel, for a CPU).
	prep := s.prepareKernel(m, refs)
	t = time.Now()
	err = s.openPipelines(ctx, v, refs, s.slotSize)
	s.steps.add(StepRings, time.Since(t))
	if prep != nil {
		p := <-prep
		s.steps.add(StepAttach, s.kernAttachTook())
		s.steps.add(StepPlan, p.took)
		if p.err != nil {
			return fmt.Errorf("in-kernel path (Config.UserSpaceOnly turns it off): %w", p.err)
		}
		if err == nil {
			t := time.Now()
			err = s.programKernel(v, p.plan)
			s.steps.add(StepPlan, time.Since(t))
		}
	}
	if err != nil {
		return err
	}
	t = time.Now()
	s.health, err = s.buildHealthChecks(m, s.cfg.Spec)
	s.steps.add(StepHealth, time.Since(t))
	return err
}

// kernelPrep is what prepareKernel did.
type kernelPrep struct {
	plan kpath.Plan
	took time.Duration // computing plan
	err  error         // attaching
}

// prepareKernel, with the in-kernel path on, attaches its programs to the
// source ports and computes the plan of model m for the ENIs refs,
// concurrently, and sends what it did once both are done (nil without the
// in-kernel path).
func (s *Service) prepareKernel(m *cloudmock.Model, refs []cloudmock.ENIRef) <-chan kernelPrep {
	if s.kern == nil {
		return nil
	}
	c, planned := make(chan kernelPrep, 1), make(chan kernelPrep, 1)
	go func() {
		t := time.Now()
		plan := kpath.PlanModel(m, refs)
		planned <- kernelPrep{plan: plan, took: time.Since(t)}
	}()
	go func() {
		err := s.kern.attachSources()
		p := <-planned
		p.err = err
		c <- p
	}()
	return c
}

// programKernel programs the in-kernel path with plan, v's: its
// receivers' ports attached (their time counts as StepAttach's, not as
// StepPlan's, in which the caller times this) and the maps written.
func (s *Service) programKernel(v *view, plan kpath.Plan) error {
	attached := s.kernAttachTook()
	defer func() {
		d := s.kernAttachTook() - attached
		s.steps.add(StepAttach, d)
		s.steps.add(StepPlan, -d)
	}()
	if err := s.kern.shareConnTables(v.model); err != nil {
		s.cfg.Logger.Warn("in-kernel path: some security groups are applied in user space only", "error", err)
	}
	// The plan is written with every ring open: what the kernel mirrors
	// from then on, the rings' filters drop, and nothing in between.
	s.kern.mu.Lock()
	defer s.kern.mu.Unlock()
	if err := s.kern.applyPlanLocked(v, plan); err != nil {
		return fmt.Errorf("in-kernel path (Config.UserSpaceOnly turns it off): %w", err)
	}
	return nil
}

// slotFor is the largest copy from ENI e: outer Ethernet + IPv4 + UDP +
// VXLAN + the inner frame at the source's MTU (with up to two VLAN tags).
func slotFor(e *sim.ENI) int {
	return EthernetHeaderLen + outerLen + EthernetHeaderLen + 8 + max(e.MTU, cloudmock.DefaultMTU)
}

// openConcurrency bounds how many pipelines open at once. Opening an
// AF_PACKET ring mostly waits: bind and PACKET_RX_RING on a running socket
// each wait for an RCU grace period (synchronize_net), tens of
// milliseconds on a loaded machine, and concurrent waiters share one grace
// period. In sequence, a lab of 100 sources spent 12 s here.
const openConcurrency = 64

// openPipelines opens the pipelines of refs (both directions each)
// concurrently and appends them to s.pipes in the order of refs, so that
// what follows (the kernel plan, the counters) does not depend on timing.
// On failure the pipelines opened so far are in s.pipes too, for release.
func (s *Service) openPipelines(ctx context.Context, v *view, refs []cloudmock.ENIRef, slotSize int) error {
	pipes, err := s.newPipelines(ctx, v, refs, slotSize, len(refs)*2)
	s.setPipes(append(s.pipelines(), pipes...))
	return err
}

// pipelines returns the running pipelines.
func (s *Service) pipelines() []*pipeline {
	if p := s.pipes.Load(); p != nil {
		return *p
	}
	return nil
}

// setPipes replaces the list of running pipelines (mu held, or before
// the service starts).
func (s *Service) setPipes(p []*pipeline) { s.pipes.Store(&p) }

// newPipelines opens the pipelines of refs (both directions each, on one
// ring) of view v's model concurrently, in the order of refs (ingress,
// then egress); sized for a service of total pipelines. On failure it
// returns those it opened too.
func (s *Service) newPipelines(ctx context.Context, v *view, refs []cloudmock.ENIRef, slotSize, total int) ([]*pipeline, error) {
	m := v.model
	pipes := make([]*pipeline, 2*len(refs))
	ql := s.cfg.queueLenFor(total)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(openConcurrency)
	for i, ref := range refs {
		e, err := s.simENI(m, ref)
		if err != nil {
			return nil, fmt.Errorf("source %w", err)
		}
		f := s.cfg.Lab.Fabric(e.VPC)
		if f == nil {
			return nil, fmt.Errorf("source network interface %s: no fabric for VPC %s", m.ENIID(ref), e.VPC)
		}
		s.captured[m.ENIID(ref)] = e
		sz := pipeSizes{slot: slotSize, queue: ql, ring: s.cfg.Ring.forRings(total/2, e.MTU)}
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			in, err := s.newPipeline(f, v, ref, e, cloudmock.Ingress, sz, nil)
			pipes[2*i] = in
			if err != nil {
				return err
			}
			out, err := s.newPipeline(f, v, ref, e, cloudmock.Egress, sz, in)
			pipes[2*i+1] = out
			if err == nil {
				in.opp, out.opp = out, in // one reader for both: see pipeline.capture
			}
			return err
		})
	}
	err := g.Wait()
	pipes = slices.DeleteFunc(pipes, func(p *pipeline) bool { return p == nil })
	if err == nil {
		err = ctx.Err()
	}
	return pipes, err
}

// startPipeline starts p's capture and sender goroutines; p.quit ends
// the sender once its queue is empty.
//
// The ENI's ingress pipeline reads the ring for both; the egress one's
// capture "ends" when the ingress one's does (it queues into the egress
// queue until then).
func (s *Service) startPipeline(p *pipeline) {
	s.captureWG.Add(1)
	if p.opp != nil && p.dir == cloudmock.Egress {
		go func() { defer s.captureWG.Done(); defer close(p.exited); <-p.opp.exited }()
	} else {
		go func() { defer s.captureWG.Done(); defer close(p.exited); p.capture() }()
	}
	s.sendWG.Add(1)
	go func() { defer s.sendWG.Done(); defer close(p.sent); p.send(p.quit) }()
}

// newPipeline opens one capture and its sender. On failure it also
// returns what it opened, for release to close.
// pipeSizes sizes a pipeline: its largest datagram, its queue's length
// and its ring.
type pipeSizes struct {
	slot, queue int
	ring        RingOptions
}

// With twin (the ENI's other direction) the pipeline shares its ring and
// its sockets; otherwise it opens them.
func (s *Service) newPipeline(f *sim.Fabric, v *view, ref cloudmock.ENIRef, e *sim.ENI, dir cloudmock.Direction, sz pipeSizes, twin *pipeline) (*pipeline, error) {
	id := v.model.ENIID(ref)
	p := &pipeline{svc: s, view: v, eni: ref, eniID: id, sim: e, dir: dir,
		mac: [6]byte(e.MAC), logger: s.cfg.Logger.With("eni", id, "direction", dir.String()),
		failed: make([]bool, s.cfg.Batch),
		quit:   make(chan struct{}), exited: make(chan struct{}), sent: make(chan struct{})}
	p.onErr = p.markFailed
	if twin != nil {
		p.ring, p.snd = twin.ring.share(), twin.snd.twin()
	} else if err := s.openCapture(f, e, p, sz.ring); err != nil {
		return p, fmt.Errorf("source network interface %s %s (fabric %s, %s): %w", p.eniID, dir, f.NsName, e.PeerName, err)
	}
	p.q = newQueue(sz.queue, sz.slot)
	p.seg.buf = make([]byte, sz.slot)
	return p, nil
}

// openCapture opens p's ring on ENI e's port in fabric f and its sender's
// sockets, for both directions of the ENI (see newPipeline).
func (s *Service) openCapture(f *sim.Fabric, e *sim.ENI, p *pipeline, ro RingOptions) error {
	filter := -1
	if s.kern != nil {
		filter = s.kern.socketFilter(s.fabricIndex(e))
	}
	err := f.Run(func() error {
		r, err := openRing(e.PeerName, e.PeerIndex, s.vnet, s.cfg.Mark, filter, ro)
		if err != nil {
			return err
		}
		p.ring = r
		p.snd, err = newSender(s.cfg.Batch, s.cfg.Mark)
		return err
	})
	if err == nil {
		err = s.openDirect(p.snd)
	}
	if err == nil && !p.ring.vnet {
		p.logger.Warn("kernel lacks PACKET_VNET_HDR_SZ: GSO aggregates and partial checksums are mirrored as captured")
	}
	return err
}

// openDirect opens snd's direct sockets, one in each fabric of the lab (a
// copy may go to a receiver in another VPC), unless every copy is routed.
func (s *Service) openDirect(snd *sender) error {
	if s.cfg.RoutedSend {
		return nil
	}
	for _, f := range s.cfg.Lab.Fabrics() {
		var fd int
		err := f.Run(func() (err error) {
			fd, err = openPacketSocket(s.cfg.Mark)
			return err
		})
		if err != nil {
			return fmt.Errorf("fabric %s: %w", f.NsName, err)
		}
		snd.pkt = append(snd.pkt, fd)
	}
	return nil
}

// Close stops the captures, lets the senders drain their queues, stops the
// health checks, and closes every socket and file. It returns the joined
// errors; calling it again returns the same result.
func (s *Service) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		for _, p := range s.pipelines() {
			p.halt()
		}
		s.captureWG.Wait()
		close(s.done)
		for _, p := range s.pipelines() {
			close(p.quit)
		}
		s.sendWG.Wait()
		s.retireWG.Wait()
		s.health.stop()
		s.closeErr = s.release()
		s.cfg.Logger.Info("mirror service stopped", "error", s.closeErr)
	})
	return s.closeErr
}

// release closes the rings, sockets and files and detaches the in-kernel
// path (goroutines have stopped). The sockets close concurrently, and
// alongside the detach: closing an AF_PACKET socket waits for an RCU grace
// period (synchronize_net), and the in-kernel path detaches under the RTNL
// lock; in sequence, the sockets of 200 sources took 25 s.
func (s *Service) release() error {
	var (
		mu   sync.Mutex
		errs []error
	)
	keep := func(err error) {
		if err != nil {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
	}
	var g errgroup.Group
	g.SetLimit(openConcurrency)
	if s.kern != nil {
		s.kern.flush()
		g.Go(func() error { keep(s.kern.close()); return nil })
	}
	for _, p := range s.pipelines() {
		g.Go(func() error {
			if p.ring != nil {
				p.ring.release()
			}
			if p.snd != nil {
				keep(p.snd.close())
			}
			return nil
		})
	}
	_ = g.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, w := range s.pcaps {
		errs = append(errs, w.close())
		delete(s.pcaps, id)
	}
	return errors.Join(errs...)
}
