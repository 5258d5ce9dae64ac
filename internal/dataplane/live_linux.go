package dataplane

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// view is one configuration of a running service: the model and the
// receiving addresses of its targets. Apply publishes a new one
// atomically; each packet is decided, delivered and queued with the one
// view its pipeline loaded for it, so a packet sees the old configuration
// or the new one, never a mix.
type view struct {
	model   *cloudmock.Model
	spec    *cloudmock.Spec
	targets map[targetKey]*targetAddr
}

// target returns the receiving address of a copy (no allocation).
func (v *view) target(id string, addr netip.Addr) (*targetAddr, bool) {
	t, ok := v.targets[targetKey{id, addr}]
	return t, ok
}

// Model returns the model in force.
func (s *Service) Model() *cloudmock.Model { return s.cur.Load().model }

// Apply replaces the running configuration by spec, atomically and
// without stopping: it builds a new model that carries over the old one's
// counters, flow tables, assigned VNIs and target health
// (cloudmock.WithStateFrom), indexes new receiving addresses (opening
// their pcapng files), publishes it to every pipeline at once, and moves
// the health checks to the new load balancers' registered targets. Each
// pipeline sees the new model from its next packet on.
//
// A session may take as source only an ENI the service captures: a source
// ENI of the first model, or any ENI with Config.AllENIs. With AllENIs the
// service also follows the lab: it starts capturing at an ENI of spec the
// lab realises since (realise it before Apply), and stops at one gone
// from spec or from the lab (remove it from the lab after Apply), without
// touching the other pipelines or their counters. An invalid spec,
// or a source that is not captured, is refused and the running
// configuration is kept. Safe for concurrent use (calls are serialised).
func (s *Service) Apply(spec cloudmock.Spec) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("apply mirror configuration: service is closed")
	}
	old := s.cur.Load()
	m, err := cloudmock.New(spec, cloudmock.WithStateFrom(old.model))
	if err != nil {
		return fmt.Errorf("apply mirror configuration: %w", err)
	}
	ports, err := s.planPorts(m)
	if err != nil {
		return fmt.Errorf("apply mirror configuration: %w", err)
	}
	for _, ref := range m.SourceENIs() {
		id := m.ENIID(ref)
		if _, ok := s.captured[id]; !ok && !slices.ContainsFunc(ports.open, func(r cloudmock.ENIRef) bool { return m.ENIID(r) == id }) {
			return fmt.Errorf("apply mirror configuration: network interface %s is a session source but the mirror service does not capture on it (start it with AllENIs)", id)
		}
	}
	v, err := s.newView(m, &spec)
	if err != nil {
		return fmt.Errorf("apply mirror configuration: %w", err)
	}
	return s.switchTo(v, ports)
}

// switchTo retires the pipelines of ENIs that left, opens those of new
// ENIs, programs the kernel and publishes v. Called with mu held.
func (s *Service) switchTo(v *view, ports portChanges) error {
	m, spec := v.model, v.spec
	s.retirePorts(ports.retire)
	added, err := s.openPorts(context.Background(), v, ports.open)
	if err != nil {
		return fmt.Errorf("apply mirror configuration: capture at new interfaces: %w", err)
	}
	if len(added)+len(ports.retire) > 0 {
		gone := map[*pipeline]bool{}
		for _, p := range ports.retire {
			gone[p] = true
		}
		live := slices.DeleteFunc(slices.Clone(s.pipelines()), func(p *pipeline) bool { return gone[p] })
		s.setPipes(append(live, added...))
	}
	if s.kern != nil {
		if err := s.kern.apply(v); err != nil {
			s.cfg.Logger.Warn("in-kernel path: some ports are decided in user space", "error", err)
		}
	}
	s.cur.Store(v)
	if err := s.moveHealthChecks(m, spec); err != nil {
		// The model is in force; only the checks could not follow.
		return fmt.Errorf("apply mirror configuration: health checks: %w", err)
	}
	s.cfg.Logger.Info("mirror configuration applied", "sessions", len(spec.TrafficMirrorSessions),
		"targets", len(spec.TrafficMirrorTargets), "filters", len(spec.TrafficMirrorFilters),
		"ports_added", len(added)/2, "ports_removed", len(ports.retire)/2)
	return nil
}

// newView indexes the receiving addresses of m's targets, reusing those
// already known (their counters and pcapng writer go on) and adding the
// new ones. Called with mu held, or before the service starts.
func (s *Service) newView(m *cloudmock.Model, spec *cloudmock.Spec) (*view, error) {
	v := &view{model: m, spec: spec, targets: map[targetKey]*targetAddr{}}
	all := m.TargetAddrs()
	ids := make([]string, 0, len(all))
	for id := range all {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		for _, addr := range all[id] {
			k := targetKey{id, addr}
			t := s.byKey[k]
			if t == nil || s.staleTarget(m, t) {
				w, err := s.pcapWriter(id)
				if err != nil {
					return nil, err
				}
				t = s.newTargetAddr(m, id, addr, w)
				s.byKey[k] = t
				s.targets = append(s.targets, t)
			}
			v.targets[k] = t
		}
	}
	return v, nil
}

// staleTarget says whether receiving address t was indexed for a port
// the lab no longer has (its ENI removed, or realised anew).
func (s *Service) staleTarget(m *cloudmock.Model, t *targetAddr) bool {
	ref, ok := m.ENIByIP(t.addr)
	if !ok {
		return false
	}
	e, err := s.simENI(m, ref)
	if err != nil {
		return t.port.ok
	}
	return !t.port.ok || int32(e.PeerIndex) != t.port.ifindex
}

// newTargetAddr makes a receiving address, with the MACs of the outer
// frame and the port it is written on (see txPort). Its fields never change afterwards: the
// pipelines read them without a lock.
func (s *Service) newTargetAddr(m *cloudmock.Model, id string, addr netip.Addr, w *pcapWriter) *targetAddr {
	t := &targetAddr{id: id, addr: addr, pcap: w}
	ref, ok := m.ENIByIP(addr)
	if !ok {
		return t
	}
	t.eniID = m.ENIID(ref)
	e, err := s.simENI(m, ref)
	if err != nil {
		s.cfg.Logger.Warn("mirror target address not realised in the lab", "target", id, "addr", addr)
		return t
	}
	t.dstMAC = [6]byte(e.MAC)
	for i, f := range s.cfg.Lab.Fabrics() {
		if f.VPC != e.VPC {
			continue
		}
		if b := f.Bridge(e.Subnet); b != nil {
			t.srcMAC = [6]byte(b.MAC)
			t.port = txPort{fabric: i, ifindex: int32(e.PeerIndex), ok: e.PeerIndex > 0}
		}
	}
	return t
}

// pcapWriter returns target id's pcapng writer, creating it on first use;
// nil without Config.PcapDir.
func (s *Service) pcapWriter(id string) (*pcapWriter, error) {
	if s.cfg.PcapDir == "" {
		return nil, nil
	}
	if w := s.pcaps[id]; w != nil {
		return w, nil
	}
	w, err := newPcapWriter(s.cfg.PcapDir, id, s.cfg.Logger)
	if err != nil {
		return nil, err
	}
	s.pcaps[id] = w
	return w, nil
}
