package ec2api

import (
	"slices"

	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

func findSession(spec *cloudmock.Spec, id string) int {
	return slices.IndexFunc(spec.TrafficMirrorSessions, func(x *cloudmock.TrafficMirrorSession) bool { return x.TrafficMirrorSessionId == id })
}

func sessionNotFound(id string) error {
	return notFound(codeSessionNotFound, "traffic mirror session", id)
}

func (s *Server) createTrafficMirrorSession(c *call) (any, error) {
	p := c.p
	var x cloudmock.TrafficMirrorSession
	x.NetworkInterfaceId = p.required("NetworkInterfaceId")
	x.TrafficMirrorTargetId = p.required("TrafficMirrorTargetId")
	x.TrafficMirrorFilterId = p.required("TrafficMirrorFilterId")
	x.SessionNumber = p.requiredInt("SessionNumber")
	x.PacketLength = p.int("PacketLength")
	x.VirtualNetworkId = p.int("VirtualNetworkId")
	x.Description, _ = p.str("Description")
	token, _ := p.str("ClientToken")
	tags := p.tagSpecs("traffic-mirror-session")
	if err := c.begin(); err != nil {
		return nil, err
	}
	// References, quotas (sessions per source and per target), session
	// number and packet length ranges are the model's rules. The list is
	// the published one: the change appends to a copy (of pointers; the
	// sessions are shared, and never written).
	return c.mutateIn(0, token, func(st *state) (any, error) {
		x.TrafficMirrorSessionId = st.newID("tms")
		if x.VirtualNetworkId == nil {
			x.VirtualNetworkId = new(st.spec.NewVNI(st.srv.rng))
		}
		st.spec.TrafficMirrorSessions = append(slices.Clip(st.spec.TrafficMirrorSessions), &x)
		if err := st.tags.set(x.TrafficMirrorSessionId, tags, "TagSpecification"); err != nil {
			return nil, err
		}
		return itemResult{name: "trafficMirrorSession", item: s.toXMLSession(&x, st.tags), token: token}, nil
	})
}

type deleteSessionResult struct {
	TrafficMirrorSessionId string `xml:"trafficMirrorSessionId"`
}

func (s *Server) deleteTrafficMirrorSession(c *call) (any, error) {
	id, err := c.beginWith("TrafficMirrorSessionId")
	if err != nil {
		return nil, err
	}
	return c.mutateIn(0, "", func(st *state) (any, error) { // the list: a copy less the session
		i := findSession(&st.spec, id)
		if i < 0 {
			return nil, sessionNotFound(id)
		}
		st.spec.TrafficMirrorSessions = withoutEntry(st.spec.TrafficMirrorSessions, i)
		st.tags.remove(id)
		return deleteSessionResult{TrafficMirrorSessionId: id}, nil
	})
}

// Fields ModifyTrafficMirrorSession's RemoveField.N may name.
var sessionRemovable = []string{"packet-length", "description", "virtual-network-id"}

func (s *Server) modifyTrafficMirrorSession(c *call) (any, error) {
	p := c.p
	id := p.required("TrafficMirrorSessionId")
	target, filter, desc := p.optStr("TrafficMirrorTargetId"), p.optStr("TrafficMirrorFilterId"), p.optStr("Description")
	number := p.int("SessionNumber")
	plen := p.int("PacketLength")
	vni := p.int("VirtualNetworkId")
	remove := p.removeFields(sessionRemovable...)
	given := map[string]bool{"packet-length": plen != nil, "description": desc != nil, "virtual-network-id": vni != nil}
	for _, field := range sessionRemovable { // in its order, not the map's: one answer for one request
		if given[field] && remove[field] {
			return nil, errorf(codes.InvalidParameterCombination, "RemoveField %s cannot be combined with a new value for it.", field)
		}
	}
	if err := c.begin(); err != nil {
		return nil, err
	}
	// The session is the published one: the change writes a copy of it
	// into a copy of the list of pointers (the others stay shared).
	return c.mutateIn(0, "", func(st *state) (any, error) {
		i := findSession(&st.spec, id)
		if i < 0 {
			return nil, sessionNotFound(id)
		}
		x := st.spec.TrafficMirrorSessions[i].Clone()
		st.spec.TrafficMirrorSessions = slices.Clone(st.spec.TrafficMirrorSessions)
		st.spec.TrafficMirrorSessions[i] = x
		if target != nil {
			x.TrafficMirrorTargetId = *target
		}
		if filter != nil {
			x.TrafficMirrorFilterId = *filter
		}
		if desc != nil {
			x.Description = *desc
		}
		if number != nil {
			x.SessionNumber = *number
		}
		if plen != nil {
			x.PacketLength = plen
		}
		if vni != nil {
			x.VirtualNetworkId = vni
		}
		if remove["packet-length"] {
			x.PacketLength = nil
		}
		if remove["description"] {
			x.Description = ""
		}
		if remove["virtual-network-id"] {
			// EC2 then chooses a VNI; it is drawn here and stored, so
			// that the model does not draw its own.
			x.VirtualNetworkId = nil // not counted as used by NewVNI
			x.VirtualNetworkId = new(st.spec.NewVNI(st.srv.rng))
		}
		return itemResult{name: "trafficMirrorSession", item: s.toXMLSession(x, st.tags)}, nil
	})
}

func (s *Server) sessionFilters() filterFields[**cloudmock.TrafficMirrorSession] {
	type x = **cloudmock.TrafficMirrorSession
	return filterFields[x]{
		"description":               func(v x) []string { return one((*v).Description) },
		"network-interface-id":      func(v x) []string { return one((*v).NetworkInterfaceId) },
		"owner-id":                  func(x) []string { return one(s.cfg.AccountID) },
		"packet-length":             func(v x) []string { return optNum((*v).PacketLength) },
		"session-number":            func(v x) []string { return num((*v).SessionNumber) },
		"traffic-mirror-filter-id":  func(v x) []string { return one((*v).TrafficMirrorFilterId) },
		"traffic-mirror-session-id": func(v x) []string { return one((*v).TrafficMirrorSessionId) },
		"traffic-mirror-target-id":  func(v x) []string { return one((*v).TrafficMirrorTargetId) },
		"virtual-network-id":        func(v x) []string { return optNum((*v).VirtualNetworkId) },
	}
}

func (s *Server) describeTrafficMirrorSessions(c *call) (any, error) {
	type X = *cloudmock.TrafficMirrorSession
	return describeByID(c, "TrafficMirrorSessionId", "trafficMirrorSessionSet", sessionNotFound, func(x *X) string { return (*x).TrafficMirrorSessionId },
		func(spec *cloudmock.Spec) ([]X, filterFields[*X]) {
			return spec.TrafficMirrorSessions, s.sessionFilters()
		},
		func(_ *cloudmock.Spec, x *X, tags tagStore) xres { return s.toXMLSession(*x, tags) })
}
