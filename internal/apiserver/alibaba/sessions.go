package alibaba

import (
	"slices"
	"strconv"
	"time"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// Target types of a session.
const (
	targetENI = "NetworkInterface"
	targetSLB = "SLB"
)

// defaultPacketLength is Alibaba's PacketLength when a request gives none.
const defaultPacketLength = 1500

// sessionItem is a session as ListTrafficMirrorSessions shows it.
type sessionItem struct {
	TrafficMirrorSessionId             string   `json:"TrafficMirrorSessionId"`
	TrafficMirrorSessionName           string   `json:"TrafficMirrorSessionName"`
	TrafficMirrorSessionDescription    string   `json:"TrafficMirrorSessionDescription"`
	TrafficMirrorSessionStatus         string   `json:"TrafficMirrorSessionStatus"`
	TrafficMirrorSessionBusinessStatus string   `json:"TrafficMirrorSessionBusinessStatus"`
	TrafficMirrorFilterId              string   `json:"TrafficMirrorFilterId"`
	TrafficMirrorSourceIds             []string `json:"TrafficMirrorSourceIds"`
	TrafficMirrorTargetId              string   `json:"TrafficMirrorTargetId"`
	TrafficMirrorTargetType            string   `json:"TrafficMirrorTargetType"`
	Priority                           int      `json:"Priority"`
	VirtualNetworkId                   int      `json:"VirtualNetworkId"`
	PacketLength                       int      `json:"PacketLength"`
	Enabled                            bool     `json:"Enabled"`
	CreationTime                       string   `json:"CreationTime"`
	ResourceGroupId                    string   `json:"ResourceGroupId"`
	Tags                               []tag    `json:"Tags"`
}

// sessionSources are a session's source ENIs in order.
func sessionSources(x *cloudmock.TrafficMirrorSession) []string {
	if x.NetworkInterfaceId == "" {
		return append([]string{}, x.TrafficMirrorSourceIds...)
	}
	return append([]string{x.NetworkInterfaceId}, x.TrafficMirrorSourceIds...)
}

// setSources stores a session's source ENIs: the first as the model's
// NetworkInterfaceId, the others as TrafficMirrorSourceIds.
func setSources(x *cloudmock.TrafficMirrorSession, srcs []string) {
	x.NetworkInterfaceId, x.TrafficMirrorSourceIds = "", nil
	if len(srcs) > 0 {
		x.NetworkInterfaceId = srcs[0]
		x.TrafficMirrorSourceIds = append([]string(nil), srcs[1:]...)
	}
}

// targetOf names a model target the way Alibaba's API does.
func targetOf(a *account, id string) (typ, rid string) {
	for _, t := range a.spec.TrafficMirrorTargets {
		if t.TrafficMirrorTargetId == id {
			if t.NetworkInterfaceId != "" {
				return targetENI, t.NetworkInterfaceId
			}
			return targetSLB, t.NetworkLoadBalancerArn + t.GatewayLoadBalancerEndpointId
		}
	}
	return "", ""
}

// ensureTarget returns the model target for an ENI or an SLB instance,
// adding one when no target points at it yet (Alibaba's API has no target
// resource; the model has). The model checks that the ENI or SLB exists.
func (c *call) ensureTarget(a *account, typ, rid string) (string, error) {
	if typ != targetENI && typ != targetSLB {
		return "", errInvalid("TrafficMirrorTargetType", typ, "It must be NetworkInterface or SLB.")
	}
	for _, t := range a.spec.TrafficMirrorTargets {
		if (typ == targetENI && t.NetworkInterfaceId == rid) || (typ == targetSLB && t.NetworkLoadBalancerArn == rid) {
			return t.TrafficMirrorTargetId, nil
		}
	}
	t := cloudmock.TrafficMirrorTarget{TrafficMirrorTargetId: c.s.newID(a, "tmt")}
	if typ == targetENI {
		t.NetworkInterfaceId = rid
	} else {
		t.NetworkLoadBalancerArn = rid
	}
	a.spec.TrafficMirrorTargets = append(a.spec.TrafficMirrorTargets, &t)
	return t.TrafficMirrorTargetId, nil
}

// dropUnusedTargets removes the model targets no session uses.
func dropUnusedTargets(a *account) {
	used := map[string]bool{}
	for _, x := range a.spec.TrafficMirrorSessions {
		used[x.TrafficMirrorTargetId] = true
	}
	a.spec.TrafficMirrorTargets = slices.DeleteFunc(a.spec.TrafficMirrorTargets, func(t *cloudmock.TrafficMirrorTarget) bool { return !used[t.TrafficMirrorTargetId] })
}

// settledSession returns a session that exists and is Created, for the
// change to write: a copy of it, put in its place in the account's list
// (the change's own), so that no Spec that shares the session sees the
// write.
func settledSession(a *account, id string, now time.Time) (*cloudmock.TrafficMirrorSession, error) {
	p, err := settled(a, a.spec.TrafficMirrorSessions, func(x **cloudmock.TrafficMirrorSession) string { return (*x).TrafficMirrorSessionId }, id, now,
		settledKind{codeSessionNotFound, codeSessionStatus, "traffic mirror session", "traffic mirror session"})
	if err != nil {
		return nil, err
	}
	*p = (*p).Clone()
	return *p, nil
}

// sessionParams are the settable fields of CreateTrafficMirrorSession and
// UpdateTrafficMirrorSessionAttribute.
type sessionParams struct {
	name, desc, filter, target, targetType *string
	priority, vni, packetLength            *int
	enabled                                *bool
}

func (c *call) sessionParams() (sessionParams, error) {
	sp := sessionParams{name: c.p.opt("TrafficMirrorSessionName"), desc: c.p.opt("TrafficMirrorSessionDescription"),
		filter: c.p.opt("TrafficMirrorFilterId"), target: c.p.opt("TrafficMirrorTargetId"), targetType: c.p.opt("TrafficMirrorTargetType")}
	for _, f := range []struct {
		name string
		dst  **int
	}{{"Priority", &sp.priority}, {"VirtualNetworkId", &sp.vni}, {"PacketLength", &sp.packetLength}} {
		*f.dst = c.in.int(f.name)
	}
	if sp.enabled = c.in.bool("Enabled"); !c.in.ok() {
		return sp, c.in.err
	}
	if err := checkName("TrafficMirrorSessionName", sp.name, 128); err != nil {
		return sp, err
	}
	return sp, checkName("TrafficMirrorSessionDescription", sp.desc, 256)
}

// apply sets the given fields on a session and its meta.
func (c *call) apply(a *account, x *cloudmock.TrafficMirrorSession, m *meta, sp sessionParams) error {
	if sp.name != nil {
		m.Name = *sp.name
	}
	if sp.desc != nil {
		x.Description = *sp.desc
	}
	if sp.filter != nil {
		x.TrafficMirrorFilterId = *sp.filter
	}
	if sp.priority != nil {
		x.SessionNumber = *sp.priority
	}
	if sp.vni != nil {
		x.VirtualNetworkId = sp.vni
	}
	if sp.packetLength != nil {
		x.PacketLength = sp.packetLength
	}
	if sp.enabled != nil {
		m.Enabled = *sp.enabled
	}
	if sp.target != nil || sp.targetType != nil {
		typ, rid := targetOf(a, x.TrafficMirrorTargetId)
		if sp.target != nil {
			rid = *sp.target
		}
		if sp.targetType != nil {
			typ = *sp.targetType
		}
		t, err := c.ensureTarget(a, typ, rid)
		if err != nil {
			return err
		}
		x.TrafficMirrorTargetId = t
	}
	return nil
}

type createSessionResult struct {
	TrafficMirrorSessionId string `json:"TrafficMirrorSessionId"`
	ResourceGroupId        string `json:"ResourceGroupId"`
}

func opCreateSession(c *call) (any, error) {
	sp, err := c.sessionParams()
	if err != nil {
		return nil, err
	}
	for _, req := range []struct {
		name  string
		given bool
	}{{"TrafficMirrorFilterId", sp.filter != nil}, {"TrafficMirrorTargetId", sp.target != nil},
		{"TrafficMirrorTargetType", sp.targetType != nil}, {"Priority", sp.priority != nil}} {
		if !req.given {
			return nil, errMissing(req.name)
		}
	}
	srcs := c.in.requiredList("TrafficMirrorSourceIds")
	return c.create(func(a *account, now time.Time, m meta) (any, error) {
		x := cloudmock.TrafficMirrorSession{TrafficMirrorSessionId: c.s.newID(a, "tms"), PacketLength: new(defaultPacketLength)}
		setSources(&x, srcs)
		if err := c.apply(a, &x, &m, sp); err != nil {
			return nil, err
		}
		if x.VirtualNetworkId == nil {
			x.VirtualNetworkId = new(a.spec.NewVNI(c.s.rng))
		}
		a.spec.TrafficMirrorSessions = append(a.spec.TrafficMirrorSessions, &x)
		a.meta[x.TrafficMirrorSessionId] = c.s.busy(m, statusCreating, now)
		return createSessionResult{TrafficMirrorSessionId: x.TrafficMirrorSessionId, ResourceGroupId: m.RG}, nil
	})
}

func opUpdateSession(c *call) (any, error) {
	id := c.in.required("TrafficMirrorSessionId")
	sp, err := c.sessionParams()
	if err != nil {
		return nil, err
	}
	return changeSettled(c, id, settledSession, func(a *account, x *cloudmock.TrafficMirrorSession, now time.Time) (any, error) {
		m := a.meta[id]
		if err := c.apply(a, x, &m, sp); err != nil {
			return nil, err
		}
		dropUnusedTargets(a)
		a.meta[id] = c.s.busy(m, statusModifying, now)
		return struct{}{}, nil
	})
}

func opDeleteSession(c *call) (any, error) {
	id := c.in.required("TrafficMirrorSessionId")
	return changeSettled(c, id, settledSession, func(a *account, x *cloudmock.TrafficMirrorSession, now time.Time) (any, error) {
		item := sessionItemOf(a, x, now)
		item.TrafficMirrorSessionStatus = statusDeleting
		a.spec.TrafficMirrorSessions = slices.DeleteFunc(a.spec.TrafficMirrorSessions, func(x *cloudmock.TrafficMirrorSession) bool { return x.TrafficMirrorSessionId == id })
		dropUnusedTargets(a)
		delete(a.meta, id)
		a.ghosts = append(a.ghosts, ghost{Kind: "session", ID: id, Until: now.Add(c.s.settle), Sess: &item})
		return struct{}{}, nil
	})
}

// changeSources adds (add) or removes source ENIs of a session.
func changeSources(c *call, add bool) (any, error) {
	id := c.in.required("TrafficMirrorSessionId")
	srcs := c.in.requiredList("TrafficMirrorSourceIds")
	return changeSettled(c, id, settledSession, func(a *account, x *cloudmock.TrafficMirrorSession, now time.Time) (any, error) {
		cur := sessionSources(x)
		for i, s := range srcs {
			has := slices.Contains(cur, s)
			switch {
			case add && has:
				return nil, errInvalid("TrafficMirrorSourceIds."+strconv.Itoa(i+1), s, "It is already a source of "+id+".")
			case add:
				cur = append(cur, s)
			case !has:
				return nil, errInvalid("TrafficMirrorSourceIds."+strconv.Itoa(i+1), s, "It is not a source of "+id+".")
			default:
				cur = slices.DeleteFunc(cur, func(v string) bool { return v == s })
			}
		}
		setSources(x, cur)
		a.meta[id] = c.s.busy(a.meta[id], statusModifying, now)
		return struct{}{}, nil
	})
}

func opAddSources(c *call) (any, error)    { return changeSources(c, true) }
func opRemoveSources(c *call) (any, error) { return changeSources(c, false) }

// sessionRefItem renders a session of the account's list.
func sessionRefItem(a *account, x **cloudmock.TrafficMirrorSession, now time.Time) sessionItem {
	return sessionItemOf(a, *x, now)
}

// sessionItemOf renders a session.
func sessionItemOf(a *account, x *cloudmock.TrafficMirrorSession, now time.Time) sessionItem {
	m := a.meta[x.TrafficMirrorSessionId]
	typ, rid := targetOf(a, x.TrafficMirrorTargetId)
	item := sessionItem{TrafficMirrorSessionId: x.TrafficMirrorSessionId, TrafficMirrorSessionName: m.Name,
		TrafficMirrorSessionDescription: x.Description, TrafficMirrorSessionStatus: m.status(now),
		TrafficMirrorSessionBusinessStatus: "Normal", TrafficMirrorFilterId: x.TrafficMirrorFilterId,
		TrafficMirrorSourceIds: sessionSources(x), TrafficMirrorTargetId: rid, TrafficMirrorTargetType: typ,
		Priority: x.SessionNumber, Enabled: m.Enabled, CreationTime: m.Created.UTC().Format(timeFormat),
		ResourceGroupId: m.RG, Tags: append([]tag{}, m.Tags...)}
	if x.VirtualNetworkId != nil {
		item.VirtualNetworkId = *x.VirtualNetworkId
	}
	if x.PacketLength != nil {
		item.PacketLength = *x.PacketLength
	}
	return item
}

type listSessionsResult struct {
	TrafficMirrorSessions []sessionItem `json:"TrafficMirrorSessions"`
	NextToken             string        `json:"NextToken"`
	TotalCount            string        `json:"TotalCount"`
}

// sessionQuery is ListTrafficMirrorSessions' filters.
type sessionQuery struct {
	ids                              []string
	name, filter, source, target, rg *string
	priority, vni                    *int
	enabled                          *bool
	tags                             []tag
}

func (q sessionQuery) match(s sessionItem) bool {
	eq := func(want *string, have string) bool { return want == nil || *want == have }
	eqi := func(want *int, have int) bool { return want == nil || *want == have }
	return (len(q.ids) == 0 || slices.Contains(q.ids, s.TrafficMirrorSessionId)) && eq(q.name, s.TrafficMirrorSessionName) &&
		eq(q.filter, s.TrafficMirrorFilterId) && eq(q.target, s.TrafficMirrorTargetId) && eq(q.rg, s.ResourceGroupId) &&
		(q.source == nil || slices.Contains(s.TrafficMirrorSourceIds, *q.source)) && eqi(q.priority, s.Priority) &&
		eqi(q.vni, s.VirtualNetworkId) && (q.enabled == nil || *q.enabled == s.Enabled) && hasTags(s.Tags, q.tags)
}

func opListSessions(c *call) (any, error) {
	q := sessionQuery{name: c.p.opt("TrafficMirrorSessionName"), filter: c.p.opt("TrafficMirrorFilterId"),
		source: c.p.opt("TrafficMirrorSourceId"), target: c.p.opt("TrafficMirrorTargetId"), rg: c.p.opt("ResourceGroupId")}
	q.ids = c.in.list("TrafficMirrorSessionIds")
	q.tags = c.in.tags("Tags")
	q.priority = c.in.int("Priority")
	q.vni = c.in.int("VirtualNetworkId")
	q.enabled = c.in.bool("Enabled")
	pg := c.paging()
	return c.read(func(a *account, now time.Time) (any, error) {
		items := withGhosts(a, now, a.spec.TrafficMirrorSessions, sessionRefItem, "session", func(g ghost) sessionItem { return *g.Sess })
		items = slices.DeleteFunc(items, func(s sessionItem) bool { return !q.match(s) })
		out, p := paginate(items, pg, func(s sessionItem) string { return s.TrafficMirrorSessionId })
		return listSessionsResult{TrafficMirrorSessions: out, NextToken: p.NextToken, TotalCount: p.TotalCount}, nil
	})
}

type serviceStatus struct {
	Enabled bool `json:"Enabled"`
}

func opServiceStatus(c *call) (any, error) {
	return c.read(func(a *account, _ time.Time) (any, error) { return serviceStatus{Enabled: a.open}, nil })
}

func opOpenService(c *call) (any, error) {
	return c.mutate(func(a *account, _ time.Time) (any, error) {
		a.open = true
		return struct{}{}, nil
	})
}
