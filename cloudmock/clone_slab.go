package cloudmock

// The lists an account holds thousands of (filters and their rules,
// interfaces, sessions) are copied with their small parts (a filter's
// rules, an interface's groups, a session's optional numbers) taken from
// one allocation per kind of part, a slab, instead of one allocation
// each: a copy of 10 000 filters then allocates a few times, not 20 000.
// Each part gets a capacity of its own length, so an append to it moves
// it out of the slab rather than over its neighbour.

// slab hands out the parts of one copy.
type slab[T any] struct{ free []T }

func newSlab[T any](n int) slab[T] { return slab[T]{free: make([]T, n)} }

// list returns a copy of src taken from the slab (nil stays nil).
func (s *slab[T]) list(src []T) []T {
	if src == nil {
		return nil
	}
	n := copy(s.free, src)
	out := s.free[:n:n]
	s.free = s.free[n:]
	return out
}

// ptr returns a copy of *p taken from the slab (nil stays nil).
func (s *slab[T]) ptr(p *T) *T {
	if p == nil {
		return nil
	}
	s.free[0] = *p
	out := &s.free[0]
	s.free = s.free[1:]
	return out
}

// nonNil counts the pointers that are set.
func nonNil[T any](ps ...*T) int {
	n := 0
	for _, p := range ps {
		if p != nil {
			n++
		}
	}
	return n
}

// cloneFilters deep-copies filters: the filters themselves are new
// (taken from one slab), their parts too (nil stays nil).
func cloneFilters(fs []*TrafficMirrorFilter) []*TrafficMirrorFilter {
	if fs == nil {
		return nil
	}
	out := make([]*TrafficMirrorFilter, len(fs))
	nFilters, nRules, nPorts, nServices := 0, 0, 0, 0
	for _, f := range fs {
		if f == nil {
			continue
		}
		nFilters++
		nRules += len(f.IngressFilterRules) + len(f.EgressFilterRules)
		nServices += len(f.NetworkServices)
		for _, rules := range [2][]TrafficMirrorFilterRule{f.IngressFilterRules, f.EgressFilterRules} {
			for j := range rules {
				nPorts += nonNil(rules[j].SourcePortRange, rules[j].DestinationPortRange)
			}
		}
	}
	filters, rules := newSlab[TrafficMirrorFilter](nFilters), newSlab[TrafficMirrorFilterRule](nRules)
	ports, services := newSlab[TrafficMirrorPortRange](nPorts), newSlab[string](nServices)
	for i, src := range fs {
		if src == nil {
			continue
		}
		f := filters.ptr(src)
		f.IngressFilterRules, f.EgressFilterRules = rules.list(f.IngressFilterRules), rules.list(f.EgressFilterRules)
		f.NetworkServices = services.list(f.NetworkServices)
		for _, list := range [2][]TrafficMirrorFilterRule{f.IngressFilterRules, f.EgressFilterRules} {
			for j := range list {
				r := &list[j]
				r.SourcePortRange, r.DestinationPortRange = ports.ptr(r.SourcePortRange), ports.ptr(r.DestinationPortRange)
			}
		}
		out[i] = f
	}
	return out
}

// cloneInterfaces deep-copies network interfaces.
func cloneInterfaces(es []NetworkInterface) []NetworkInterface {
	out := cloneSlice(es)
	nGroups, nChecks, nAttach := 0, 0, 0
	for i := range es {
		nGroups += len(es[i].Groups)
		nChecks += nonNil(es[i].SourceDestCheck)
		nAttach += nonNil(es[i].Attachment)
	}
	groups, checks, attach := newSlab[string](nGroups), newSlab[bool](nChecks), newSlab[NetworkInterfaceAttachment](nAttach)
	for i := range out {
		e := &out[i]
		e.Groups, e.SourceDestCheck, e.Attachment = groups.list(e.Groups), checks.ptr(e.SourceDestCheck), attach.ptr(e.Attachment)
	}
	return out
}

// cloneSessions deep-copies mirror sessions: the sessions themselves are
// new (taken from one slab), their parts too (nil stays nil).
func cloneSessions(ss []*TrafficMirrorSession) []*TrafficMirrorSession {
	if ss == nil {
		return nil
	}
	out := make([]*TrafficMirrorSession, len(ss))
	nSessions, nSources, nInts := 0, 0, 0
	for _, x := range ss {
		if x == nil {
			continue
		}
		nSessions++
		nSources += len(x.TrafficMirrorSourceIds)
		nInts += nonNil(x.VirtualNetworkId, x.PacketLength)
	}
	sessions, sources, ints := newSlab[TrafficMirrorSession](nSessions), newSlab[string](nSources), newSlab[int](nInts)
	for i, src := range ss {
		if src == nil {
			continue
		}
		x := sessions.ptr(src)
		x.TrafficMirrorSourceIds = sources.list(x.TrafficMirrorSourceIds)
		x.VirtualNetworkId, x.PacketLength = ints.ptr(x.VirtualNetworkId), ints.ptr(x.PacketLength)
		out[i] = x
	}
	return out
}
