package dataplane

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// ErrFabricsChanged: the lab lost a fabric (a VPC) or reordered them, or
// gained or lost a peering or transit gateway, since the service
// started. The service indexes fabrics by their place in the lab
// (sockets, kernel paths, receivers' ports) and keeps the ways between
// them (the in-kernel path forwards over the links), so it must be
// started again; a fabric the lab appends is taken on the fly.
var ErrFabricsChanged = errors.New("the lab's VPCs were removed or reordered, or the links between them changed: start the mirror service again")

// portChanges are the pipelines Apply opens and retires.
type portChanges struct {
	open   []cloudmock.ENIRef // in the new model
	retire []*pipeline
}

// planPorts compares the ENIs m says to capture (with Config.AllENIs,
// every ENI of m that the lab realises; otherwise none is added) with
// the captured ones: an ENI new to the lab is opened, one gone from the
// model or from the lab, or realised anew (an instance rebuilt), is
// retired. It costs a lookup per ENI of m. Called with mu held.
func (s *Service) planPorts(m *cloudmock.Model) (portChanges, error) {
	var c portChanges
	if !s.cfg.AllENIs {
		return c, nil
	}
	fabs := s.cfg.Lab.Fabrics()
	if len(fabs) < len(s.fabrics) || !slices.Equal(fabs[:len(s.fabrics)], s.fabrics) ||
		!slices.Equal(s.cfg.Lab.Peerings(), s.peerings) || !slices.Equal(s.cfg.Lab.TransitGateways(), s.transits) {
		return c, ErrFabricsChanged
	}
	s.fabrics = fabs
	realised := map[netip.Addr]*sim.ENI{} // as Lab.ENIByIP finds them, in one pass
	for _, e := range slices.Backward(s.cfg.Lab.ENIs()) {
		realised[e.IP] = e
	}
	keep, opened := map[string]bool{}, map[string]bool{}
	for _, ref := range m.ENIs() {
		id := m.ENIID(ref)
		e := s.cfg.ENIs[id] // as simENI finds it
		if e == nil {
			e = realised[m.ENIAddr(ref)]
		}
		if e == nil {
			continue // not attached to an instance: not realised
		}
		if old, ok := s.captured[id]; ok && old == e {
			keep[id] = true
			continue
		}
		c.open = append(c.open, ref)
		keep[id], opened[id] = true, true
	}
	for _, p := range s.pipelines() {
		if !keep[p.eniID] || s.captured[p.eniID] != p.sim || opened[p.eniID] {
			c.retire = append(c.retire, p)
		}
	}
	return c, nil
}

// openPorts opens and starts the pipelines of refs in view v (the kernel
// path, when on, loaded in their fabrics and attached to their ports
// first, since the rings take its socket filters). Called with mu held.
func (s *Service) openPorts(ctx context.Context, v *view, refs []cloudmock.ENIRef) ([]*pipeline, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	for _, ref := range refs {
		e, err := s.simENI(v.model, ref)
		if err != nil {
			return nil, err
		}
		s.slotSize = max(s.slotSize, slotFor(e))
		if err := s.kernelPort(e); err != nil {
			return nil, fmt.Errorf("network interface %s: %w", v.model.ENIID(ref), err)
		}
	}
	total := len(s.pipelines()) + 2*len(refs)
	pipes, err := s.newPipelines(ctx, v, refs, s.slotSize, total)
	if err != nil {
		for _, p := range pipes {
			s.closePipeline(p)
		}
		return nil, err
	}
	if s.kern != nil {
		if err := s.kern.shareConnTablesOf(v.model, pipes); err != nil {
			s.cfg.Logger.Warn("in-kernel path: some security groups are applied in user space only", "error", err)
		}
	}
	for _, p := range pipes {
		s.startPipeline(p)
	}
	return pipes, nil
}

// kernelPort readies the in-kernel path for a new port: its fabric's
// programs loaded (a fabric new to the service gets them), attached to
// the port.
func (s *Service) kernelPort(e *sim.ENI) error {
	k := s.kern
	if k == nil {
		return nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for len(k.fabrics) < len(s.fabrics) {
		k.fabrics = append(k.fabrics, nil)
	}
	fi := s.fabricIndex(e)
	if fi < 0 {
		return fmt.Errorf("no fabric for VPC %s", e.VPC)
	}
	if err := k.loadFabric(fi); err != nil {
		return err
	}
	return k.attach(fi, e.PeerIndex, portOf("", e))
}

// retirePorts stops the pipelines of ENIs that left (mu held): they are
// off the list at once; their goroutines end, their queues drain and
// their sockets close in the background (Close waits for it). Their
// counters join the retired totals; the kernel path forgets their ports.
func (s *Service) retirePorts(gone []*pipeline) {
	if len(gone) == 0 {
		return
	}
	for _, p := range gone {
		s.retired.add(p.stats())
		if s.captured[p.eniID] == p.sim {
			delete(s.captured, p.eniID)
		}
		p.halt()
		if s.kern != nil && p.dir == cloudmock.Ingress {
			s.kern.forgetPort(p)
		}
		s.retireWG.Add(1)
		go func() {
			defer s.retireWG.Done()
			<-p.exited
			close(p.quit)
			<-p.sent
			s.closePipeline(p)
		}()
	}
}

// closePipeline closes p's ring and sockets (its goroutines have ended or
// never started).
func (s *Service) closePipeline(p *pipeline) {
	if p.ring != nil {
		p.ring.release()
	}
	if p.snd != nil {
		if err := p.snd.close(); err != nil {
			s.cfg.Logger.Warn("close a retired pipeline's sockets", "eni", p.eniID, "error", err)
		}
	}
}

// forgetPort takes the programs off the port of p's ENI, and gives its
// table of allowed flows and its receiver settings up.
func (k *kernelPath) forgetPort(p *pipeline) {
	k.mu.Lock()
	defer k.mu.Unlock()
	fi := k.svc.fabricIndex(p.sim)
	if fi < 0 || fi >= len(k.fabrics) || k.fabrics[fi] == nil {
		return
	}
	kf := k.fabrics[fi]
	ifindex := p.sim.PeerIndex
	if created, ok := kf.attached[ifindex]; ok {
		if err := tcDetach(kf.nl, ifindex, created); err != nil {
			k.svc.cfg.Logger.Warn("in-kernel path: detach from a retired port", "eni", p.eniID, "error", err)
		}
		delete(kf.attached, ifindex)
		kf.path.MarkAttached(ifindex, false)
	}
	delete(kf.conns, p.eniID)
	delete(k.txOff, kernelPortKey{fabric: fi, ifindex: ifindex})
}

// shareConnTablesOf shares the flow tables of the new pipelines pipes
// (see shareConnTables), in the free tables of their fabrics.
func (k *kernelPath) shareConnTablesOf(m *cloudmock.Model, pipes []*pipeline) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.shareTables(m, pipes)
}
