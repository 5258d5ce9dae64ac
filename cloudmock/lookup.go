package cloudmock

import "net/netip"

// Profile returns the model's provider profile.
func (m *Model) Profile() Profile { return m.profile }

// RejectBehavior returns the model's reject behaviour.
func (m *Model) RejectBehavior() RejectBehavior { return m.reject }

// ENI returns the reference of an ENI by its NetworkInterfaceId.
func (m *Model) ENI(id string) (ENIRef, bool) {
	r, ok := m.eniByID[id]
	return r, ok
}

// ENIByIP returns the ENI whose primary (or IPv6) address is ip.
func (m *Model) ENIByIP(ip netip.Addr) (ENIRef, bool) {
	r, ok := m.eniByIP[ip]
	return r, ok
}

// ENIID returns an ENI's NetworkInterfaceId ("" for an unknown ref).
func (m *Model) ENIID(r ENIRef) string {
	if e := m.eniAt(r); e != nil {
		return e.id
	}
	return ""
}

// ENIAddr returns an ENI's primary IPv4 address.
func (m *Model) ENIAddr(r ENIRef) netip.Addr {
	if e := m.eniAt(r); e != nil {
		return e.ip
	}
	return netip.Addr{}
}

// SourceENIs returns the ENIs that are the source of at least one session,
// in Spec order: the ENIs a data plane must capture on.
func (m *Model) SourceENIs() []ENIRef {
	var out []ENIRef
	for _, e := range m.enis {
		if len(e.sessions) > 0 {
			out = append(out, e.ref)
		}
	}
	return out
}

// ENIs returns every ENI of the model, in Spec order.
func (m *Model) ENIs() []ENIRef {
	out := make([]ENIRef, len(m.enis))
	for i, e := range m.enis {
		out[i] = e.ref
	}
	return out
}

// SessionVNI returns the VNI of a session (given or assigned) by id.
func (m *Model) SessionVNI(sessionID string) (uint32, bool) {
	v, ok := m.vnis[sessionID]
	return v, ok
}

// SessionTarget returns the TrafficMirrorTargetId of a session by id, as
// the model in force knows it (a session created or changed through the
// API after the lab started included).
func (m *Model) SessionTarget(sessionID string) (string, bool) {
	for _, s := range m.sessions {
		if s.id == sessionID && s.target != nil {
			return s.target.id, true
		}
	}
	return "", false
}

// TargetAddrs returns, per TrafficMirrorTargetId, the addresses that
// receive its copies: the target ENI's address (and its primary IPv6
// address, where copies from a source with one arrive), or the load
// balancer's registered targets.
func (m *Model) TargetAddrs() map[string][]netip.Addr {
	out := map[string][]netip.Addr{}
	for _, t := range m.targets {
		if t.eni != nil {
			out[t.id] = []netip.Addr{t.eni.ip}
			if t.eni.primary6 {
				out[t.id] = append(out[t.id], t.eni.ip6)
			}
			continue
		}
		for _, b := range t.lb.backends {
			out[t.id] = append(out[t.id], b.eni.ip)
			if t.lb.kind == targetNLB && t.lb.ip6.IsValid() && b.eni.ip6.IsValid() {
				// A dual-stack NLB forwards copies over IPv6 to this one.
				out[t.id] = append(out[t.id], b.eni.ip6)
			}
		}
	}
	return out
}

func (m *Model) eniAt(r ENIRef) *eni {
	if r < 0 || int(r) >= len(m.enis) {
		return nil
	}
	return m.enis[r]
}
