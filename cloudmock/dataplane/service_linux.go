package dataplane

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"sync"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/sim"
)

// Service is a running mirror service. All its kernel state is sockets (two
// AF_PACKET rings and two raw sockets per source ENI, short-lived TCP
// health-check sockets) inside the lab's fabric namespaces: when the process
// dies, the kernel closes them, and nothing is left behind.
type Service struct {
	cfg     Config
	model   *cloudmock.Model
	pipes   []*pipeline
	targets []*targetAddr
	byKey   map[targetKey]int
	pcaps   []*pcapWriter
	checks  []*healthChecker

	done      chan struct{} // closed by Close: senders drain and return
	captureWG sync.WaitGroup
	sendWG    sync.WaitGroup
	healthWG  sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
}

// Start opens a capture on the fabric end of every source ENI of the model
// (both directions), the senders and the health checks, and starts
// mirroring. ctx bounds the start only; Close stops the service.
func Start(ctx context.Context, cfg Config) (*Service, error) {
	cfg = cfg.withDefaults()
	if cfg.Model == nil {
		return nil, errors.New("start mirror service: config: Model is nil")
	}
	if cfg.Lab == nil {
		return nil, errors.New("start mirror service: config: Lab is nil")
	}
	s := &Service{cfg: cfg, model: cfg.Model, byKey: map[targetKey]int{}, done: make(chan struct{})}
	if err := s.build(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("start mirror service: %w", err), s.release())
	}
	for _, p := range s.pipes {
		s.captureWG.Add(1)
		go func() { defer s.captureWG.Done(); p.capture() }()
		s.sendWG.Add(1)
		go func() { defer s.sendWG.Done(); p.send(s.done) }()
	}
	for _, h := range s.checks {
		s.healthWG.Add(1)
		go func() { defer s.healthWG.Done(); h.run(s.done) }()
	}
	cfg.Logger.Info("mirror service started", "pipelines", len(s.pipes), "targets", len(s.targets),
		"health_checks", len(s.checks))
	return s, nil
}

// simENI finds the sim ENI realising the model's ENI ref.
func (s *Service) simENI(ref cloudmock.ENIRef) (*sim.ENI, error) {
	id := s.model.ENIID(ref)
	if e, ok := s.cfg.ENIs[id]; ok && e != nil {
		return e, nil
	}
	addr := s.model.ENIAddr(ref)
	if s.cfg.Lab == nil {
		return nil, fmt.Errorf("network interface %s (%s): no lab", id, addr)
	}
	if e := s.cfg.Lab.ENIByIP(addr); e != nil {
		return e, nil
	}
	return nil, fmt.Errorf("network interface %s (%s) is not realised in the lab", id, addr)
}

func (s *Service) build(ctx context.Context) error {
	if err := s.buildTargets(); err != nil {
		return err
	}
	slotSize := 0
	for _, ref := range s.model.SourceENIs() {
		e, err := s.simENI(ref)
		if err != nil {
			return fmt.Errorf("source %w", err)
		}
		// The largest copy: outer Ethernet + IPv4 + UDP + VXLAN + the inner
		// frame at the source's MTU (with up to two VLAN tags).
		slotSize = max(slotSize, EthernetHeaderLen+outerLen+EthernetHeaderLen+8+max(e.MTU, cloudmock.DefaultMTU))
	}
	for _, ref := range s.model.SourceENIs() {
		if err := ctx.Err(); err != nil {
			return err
		}
		e, _ := s.simENI(ref)
		f := s.cfg.Lab.Fabric(e.VPC)
		if f == nil {
			return fmt.Errorf("source network interface %s: no fabric for VPC %s", s.model.ENIID(ref), e.VPC)
		}
		for _, dir := range []cloudmock.Direction{cloudmock.Ingress, cloudmock.Egress} {
			p, err := s.newPipeline(f, ref, e, dir, slotSize)
			if err != nil {
				return err
			}
			s.pipes = append(s.pipes, p)
		}
	}
	return s.buildHealthChecks()
}

func (s *Service) newPipeline(f *sim.Fabric, ref cloudmock.ENIRef, e *sim.ENI, dir cloudmock.Direction, slotSize int) (*pipeline, error) {
	p := &pipeline{svc: s, model: s.model, eni: ref, eniID: s.model.ENIID(ref), sim: e, dir: dir,
		mac: [6]byte(e.MAC), logger: s.cfg.Logger.With("eni", s.model.ENIID(ref), "direction", dir.String()),
		failed: make([]bool, s.cfg.Batch)}
	p.onErr = p.markFailed
	err := f.Run(func() error {
		r, err := openRing(e.PeerName, dir == cloudmock.Ingress, s.cfg.Mark, s.cfg.Ring)
		if err != nil {
			return err
		}
		p.ring = r
		snd, err := newRawSender(s.cfg.Batch, s.cfg.Mark)
		if err != nil {
			return err
		}
		p.snd = snd
		return nil
	})
	if err != nil {
		// Keep what was opened so release closes it.
		s.pipes = append(s.pipes, p)
		return nil, fmt.Errorf("source network interface %s %s (fabric %s, %s): %w", p.eniID, dir, f.NsName, e.PeerName, err)
	}
	if !p.ring.vnet {
		p.logger.Warn("kernel lacks PACKET_VNET_HDR_SZ: GSO aggregates and partial checksums are mirrored as captured")
	}
	p.q = newQueue(s.cfg.QueueLen, slotSize)
	p.seg.buf = make([]byte, slotSize)
	return p, nil
}

// buildTargets indexes every address that receives copies, with the MACs
// of the outer frame (for the pcapng) and the per-target pcapng writer.
func (s *Service) buildTargets() error {
	if s.cfg.PcapDir != "" {
		if err := os.MkdirAll(s.cfg.PcapDir, 0o755); err != nil {
			return fmt.Errorf("pcap directory: %w", err)
		}
	}
	all := s.model.TargetAddrs()
	ids := make([]string, 0, len(all))
	for id := range all {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		var w *pcapWriter
		if s.cfg.PcapDir != "" {
			var err error
			if w, err = newPcapWriter(s.cfg.PcapDir, id, s.cfg.Logger); err != nil {
				return err
			}
			s.pcaps = append(s.pcaps, w)
		}
		for _, addr := range all[id] {
			t := &targetAddr{idx: len(s.targets), id: id, addr: addr, pcap: w}
			if ref, ok := s.model.ENIByIP(addr); ok {
				t.eniID = s.model.ENIID(ref)
				if e, err := s.simENI(ref); err == nil {
					t.dstMAC = [6]byte(e.MAC)
					if f := s.cfg.Lab.Fabric(e.VPC); f != nil {
						if b := f.Bridge(e.Subnet); b != nil {
							t.srcMAC = [6]byte(b.MAC)
						}
					}
				} else {
					s.cfg.Logger.Warn("mirror target address not realised in the lab", "target", id, "addr", addr)
				}
			}
			s.byKey[targetKey{id, addr}] = t.idx
			s.targets = append(s.targets, t)
		}
	}
	return nil
}

// target returns the receiving address of a copy (no allocation).
func (s *Service) target(id string, addr netip.Addr) (*targetAddr, bool) {
	i, ok := s.byKey[targetKey{id, addr}]
	if !ok {
		return nil, false
	}
	return s.targets[i], true
}

// Close stops the captures, lets the senders drain their queues, stops the
// health checks, and closes every socket and file. It returns the joined
// errors; calling it again returns the same result.
func (s *Service) Close() error {
	s.closeOnce.Do(func() {
		for _, p := range s.pipes {
			p.stop.Store(true)
		}
		s.captureWG.Wait()
		close(s.done)
		s.sendWG.Wait()
		s.healthWG.Wait()
		s.closeErr = s.release()
		s.cfg.Logger.Info("mirror service stopped", "error", s.closeErr)
	})
	return s.closeErr
}

// release closes the rings, sockets and files (goroutines have stopped).
func (s *Service) release() error {
	var errs []error
	for _, p := range s.pipes {
		if p.ring != nil {
			p.ring.close()
		}
		if p.snd != nil {
			errs = append(errs, p.snd.close())
		}
	}
	for _, w := range s.pcaps {
		errs = append(errs, w.close())
	}
	return errors.Join(errs...)
}
