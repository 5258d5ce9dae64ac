package cloudmock

import "sync/atomic"

// WithStateFrom carries the running state of old over to the new model, so
// that a data plane can swap models while it runs (a configuration changed
// through the API) without losing what it counted or learned. Matched by
// id: an ENI's counters and its security groups' table of allowed flows
// (NetworkInterfaceId), a session's counters and the VNI it was assigned
// when the spec gives none (TrafficMirrorSessionId), a load balancer's
// registered target's health (LoadBalancerArn and NetworkInterfaceId).
// What is new starts from zero (healthy for a registered target); what is
// gone is dropped with old.
//
// The state is shared, not copied: packets still being handled with old
// count into the same counters as those handled with the new model, so no
// count is lost across a swap. A nil old carries nothing.
func WithStateFrom(old *Model) Option {
	return func(o *options) { o.from = old }
}

// eniState returns the counters and flow table of ENI id in m, or new ones
// when m is nil or lacks it.
func (m *Model) eniState(id string) (*eniCounters, *connTable) {
	if m != nil {
		if r, ok := m.eniByID[id]; ok {
			e := m.enis[r]
			return e.counters, e.conns
		}
	}
	return new(eniCounters), newConnTable()
}

// sessionState returns the counters of session id in m, or new ones.
func (m *Model) sessionState(id string) *sessionCounters {
	if m != nil {
		for _, s := range m.sessions {
			if s.id == id {
				return s.counters
			}
		}
	}
	return new(sessionCounters)
}

// backendHealth returns the health flag of networkInterfaceID registered
// with load balancer arn in m, or a new one set healthy. All registrations
// of one ENI with one load balancer share a flag, as SetTargetHealth sets
// them together.
func (m *Model) backendHealth(arn, networkInterfaceID string) *atomic.Bool {
	if m != nil {
		if l, ok := m.lbByArn[arn]; ok {
			for _, b := range l.backends {
				if b.eni.id == networkInterfaceID {
					return b.healthy
				}
			}
		}
	}
	h := new(atomic.Bool)
	h.Store(true)
	return h
}
