package cloudmock

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync/atomic"

	"github.com/mirrorlab/mirrorlab/internal/encap"

	"github.com/mirrorlab/mirrorlab/internal/subnetaddr"
)

// Direction is the direction of a packet at a source ENI.
type Direction uint8

const (
	// Ingress is towards the instance.
	Ingress Direction = iota
	// Egress is from the instance.
	Egress
)

// String returns "ingress" or "egress".
func (d Direction) String() string {
	if d == Egress {
		return "egress"
	}
	return "ingress"
}

// ENIRef is a resolved ENI of a Model (an index); see Model.ENI.
type ENIRef int32

// NoENI is the ENIRef of no ENI.
const NoENI ENIRef = -1

// Option configures New.
type Option func(*options)

type options struct {
	seed    uint64
	hasSeed bool
	from    *Model
}

// WithSeed makes the VNIs assigned to sessions without one deterministic.
func WithSeed(seed uint64) Option {
	return func(o *options) { o.seed, o.hasSeed = seed, true }
}

// Model is a resolved, validated Spec, ready for the packet path. Its
// methods are safe for concurrent use.
type Model struct {
	profile  Profile
	reject   RejectBehavior
	enis     []*eni
	eniByID  map[string]ENIRef
	eniByIP  map[netip.Addr]ENIRef
	sessions []*session
	targets  []*target
	lbs      []*loadBalancer
	lbByArn  map[string]*loadBalancer
	vnis     map[string]uint32
	// vpcIDs are the VPCs by index (Spec order); paths[a][b] is the route
	// from VPC a to VPC b (see buildPaths).
	vpcIDs []string
	paths  [][]vpcPath
}

type eni struct {
	ref      ENIRef
	id       string
	vpc      int // index in Model.vpcIDs
	ip, ip6  netip.Addr
	primary6 bool // ip6 is the primary IPv6 address (EnablePrimaryIpv6)
	mtu      int
	subnet4  netip.Prefix
	subnet6  netip.Prefix
	resolver netip.Addr
	nacl     *nacl       // nil: default ACL, allows all
	routes   *routeTable // nil: the VPC has no route tables (routing.go)
	sgs      []*securityGroup
	sessions []*session // as a source, ascending session number
	groups   []string
	counters *eniCounters // shared with the model it was carried over from
	conns    *connTable   // likewise
}

type session struct {
	idx          int
	id           string
	number       int
	vni          uint32
	packetLength int // 0: whole packet
	filter       *filter
	target       *target
	counters     *sessionCounters // shared with the model it was carried over from
}

type targetKind uint8

const (
	targetENI targetKind = iota
	targetNLB
	targetGWLB
)

type target struct {
	id   string
	kind targetKind
	eni  *eni          // targetENI
	lb   *loadBalancer // targetNLB, targetGWLB
	ip   netip.Addr    // the address the copies are sent to
}

type loadBalancer struct {
	arn         string
	kind        targetKind
	ip          netip.Addr
	ip6         netip.Addr // a dual-stack load balancer's IPv6 address
	vpc         int        // index in Model.vpcIDs
	hasListener bool
	backends    []*backend
	// endpointID and attachmentID: a Gateway Load Balancer's GENEVE TLVs.
	endpointID, attachmentID uint64
	// endpoint, subnet and nacl: a Gateway Load Balancer endpoint's id,
	// subnet and that subnet's network ACL (nil: allows all), which the
	// copy (UDP 4789 from the source) must pass.
	endpoint string
	subnet   netip.Prefix
	subnet6  netip.Prefix
	nacl     *nacl
}

type backend struct {
	eni     *eni
	healthy *atomic.Bool // shared with the model it was carried over from
}

type filter struct {
	id        string
	rules     [2][]filterRule // by Direction, ascending rule number
	amazonDNS bool
}

type portRange struct{ from, to uint16 }

func (p portRange) has(v uint16) bool { return v >= p.from && v <= p.to }

type filterRule struct {
	number   int
	accept   bool
	proto    uint8 // 0: all
	src, dst netip.Prefix
	sport    portRange
	dport    portRange
	hasSport bool
	hasDport bool
	// IPv4 rules as integers: address and mask.
	v4          bool
	src4, smask uint32
	dst4, dmask uint32
}

// New validates spec, resolves its references, assigns missing VNIs (random
// and unique; deterministic under WithSeed) and precomputes what the packet
// path needs.
func New(spec Spec, opts ...Option) (*Model, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("invalid spec: %w", err)
	}
	prof, _ := LookupProfile(spec.Profile)
	rb, _ := parseRejectBehavior(spec.RejectBehavior)
	m := &Model{
		profile: prof,
		reject:  rb,
		eniByID: map[string]ENIRef{},
		eniByIP: map[netip.Addr]ENIRef{},
		lbByArn: map[string]*loadBalancer{},
		vnis:    map[string]uint32{},
	}
	r := newResolver(&spec)
	m.buildPaths(&spec)
	m.addENIs(&spec, r, o)
	m.addRoutes(&spec)
	m.addLoadBalancers(&spec, r, o)
	targets := m.addTargets(&spec)
	filters := map[string]*filter{}
	for i := range spec.TrafficMirrorFilters {
		f := compileFilter(spec.TrafficMirrorFilters[i])
		filters[f.id] = f
	}
	m.assignVNIs(spec.TrafficMirrorSessions, o)
	m.addSessions(spec.TrafficMirrorSessions, filters, targets, o)
	return m, nil
}

// vpcOfSubnet returns the index in m.vpcIDs of a subnet's VPC.
func (m *Model) vpcOfSubnet(r *resolver, subnetID string) int {
	return slices.Index(m.vpcIDs, r.subnets[subnetID].VpcId)
}

// subnetPrefixes returns a subnet's IPv4 block and its IPv6 block (zero
// when it has none).
func subnetPrefixes(sn *Subnet) (v4, v6 netip.Prefix) {
	v4, _ = netip.ParsePrefix(sn.CidrBlock)
	if sn.Ipv6CidrBlock != "" {
		v6, _ = netip.ParsePrefix(sn.Ipv6CidrBlock)
	}
	return v4, v6
}

// addENIs adds the network interfaces, then compiles each one's subnet
// ACL and security groups (a group's rules may name the members of other
// groups, so every ENI must be in first).
func (m *Model) addENIs(spec *Spec, r *resolver, o options) {
	for i := range spec.NetworkInterfaces {
		ni := &spec.NetworkInterfaces[i]
		e := &eni{ref: ENIRef(len(m.enis)), id: ni.NetworkInterfaceId, mtu: ni.Mtu, groups: ni.Groups, vpc: m.vpcOfSubnet(r, ni.SubnetId)}
		e.counters, e.conns = o.from.eniState(e.id)
		if e.mtu == 0 {
			e.mtu = DefaultMTU
		}
		e.ip, _ = netip.ParseAddr(ni.PrivateIpAddress)
		if ni.Ipv6Address != "" {
			e.ip6, _ = netip.ParseAddr(ni.Ipv6Address)
			e.primary6 = ni.EnablePrimaryIpv6
		}
		sn := r.subnets[ni.SubnetId]
		e.subnet4, e.subnet6 = subnetPrefixes(sn)
		vpc := r.vpcs[sn.VpcId]
		if vp, err := netip.ParsePrefix(vpc.CidrBlock); err == nil && vp.Addr().Is4() {
			e.resolver = subnetaddr.Resolver(vp) // Amazon DNS: the VPC's base + 2
		}
		m.enis = append(m.enis, e)
		m.eniByID[e.id] = e.ref
		m.eniByIP[e.ip] = e.ref
		if e.ip6.IsValid() {
			m.eniByIP[e.ip6] = e.ref
		}
	}
	// a group compiles to the same rules for each of its members (its
	// peers are every member): compile it once, share it read-only
	sgs := map[string]*securityGroup{}
	for _, e := range m.enis {
		if acl := r.aclOfSubnet[spec.NetworkInterfaces[e.ref].SubnetId]; acl != nil {
			e.nacl = compileNACL(acl)
		}
		for _, g := range e.groups {
			if sgs[g] == nil {
				sgs[g] = compileSG(r.groups[g], m)
			}
			e.sgs = append(e.sgs, sgs[g])
		}
	}
}

// addLoadBalancers adds the Network and Gateway Load Balancers, indexed by
// ARN and by endpoint id, with their registered ENIs.
func (m *Model) addLoadBalancers(spec *Spec, r *resolver, o options) {
	for i := range spec.LoadBalancers {
		l := &spec.LoadBalancers[i]
		lb := &loadBalancer{arn: l.LoadBalancerArn, kind: targetNLB, vpc: m.vpcOfSubnet(r, l.SubnetId)}
		if l.Type == "gateway" {
			lb.kind = targetGWLB
		}
		lb.ip, _ = netip.ParseAddr(l.PrivateIpAddress)
		if l.Ipv6Address != "" {
			lb.ip6, _ = netip.ParseAddr(l.Ipv6Address)
		}
		for _, li := range l.Listeners {
			if (li.Protocol == "UDP" || li.Protocol == "udp" || li.Protocol == "TCP_UDP") && li.Port == encap.VXLANPort {
				lb.hasListener = true
			}
		}
		if lb.kind == targetGWLB {
			lb.setEndpoint(l, r)
		}
		for _, t := range l.Targets {
			b := &backend{eni: m.enis[m.eniByID[t.NetworkInterfaceId]]}
			b.healthy = o.from.backendHealth(lb.arn, t.NetworkInterfaceId)
			lb.backends = append(lb.backends, b)
		}
		m.lbs = append(m.lbs, lb)
		m.lbByArn[lb.arn] = lb
		if l.VpcEndpointId != "" {
			m.lbByArn[l.VpcEndpointId] = lb
		}
	}
}

// setEndpoint gives a Gateway Load Balancer its endpoint: its GENEVE TLVs,
// its id, and the subnet and network ACL the copies must pass.
func (lb *loadBalancer) setEndpoint(l *LoadBalancer, r *resolver) {
	lb.hasListener = true // a GWLB endpoint takes all traffic
	lb.endpointID = endpointID64(l.VpcEndpointId)
	lb.attachmentID = attachmentID64(l.LoadBalancerArn, l.VpcEndpointId)
	lb.endpoint = l.VpcEndpointId
	if sn := r.subnets[l.SubnetId]; sn != nil {
		lb.subnet, lb.subnet6 = subnetPrefixes(sn)
	}
	if acl := r.aclOfSubnet[l.SubnetId]; acl != nil {
		lb.nacl = compileNACL(acl)
	}
}

// addTargets adds the mirror targets and returns them by id.
func (m *Model) addTargets(spec *Spec) map[string]*target {
	targets := map[string]*target{}
	for i := range spec.TrafficMirrorTargets {
		t := spec.TrafficMirrorTargets[i]
		tg := &target{id: t.TrafficMirrorTargetId}
		switch {
		case t.NetworkInterfaceId != "":
			tg.kind = targetENI
			tg.eni = m.enis[m.eniByID[t.NetworkInterfaceId]]
			tg.ip = tg.eni.ip
		case t.NetworkLoadBalancerArn != "":
			tg.lb = m.lbByArn[t.NetworkLoadBalancerArn]
			tg.kind, tg.ip = tg.lb.kind, tg.lb.ip
		default:
			tg.lb = m.lbByArn[t.GatewayLoadBalancerEndpointId]
			tg.kind, tg.ip = targetGWLB, tg.lb.ip
		}
		m.targets = append(m.targets, tg)
		targets[tg.id] = tg
	}
	return targets
}

// addSessions adds the mirror sessions (their VNIs already assigned) and
// gives each source ENI its sessions in ascending session number.
func (m *Model) addSessions(ss []*TrafficMirrorSession, filters map[string]*filter, targets map[string]*target, o options) {
	for i := range ss {
		s := ss[i]
		sess := &session{
			idx:      i,
			id:       s.TrafficMirrorSessionId,
			number:   s.SessionNumber,
			vni:      m.vnis[s.TrafficMirrorSessionId],
			filter:   filters[s.TrafficMirrorFilterId],
			target:   targets[s.TrafficMirrorTargetId],
			counters: o.from.sessionState(s.TrafficMirrorSessionId),
		}
		if s.PacketLength != nil {
			sess.packetLength = *s.PacketLength
		}
		m.sessions = append(m.sessions, sess)
		for _, src := range sessionSources(s) {
			e := m.enis[m.eniByID[src]]
			e.sessions = append(e.sessions, sess)
		}
	}
	for _, e := range m.enis {
		slices.SortStableFunc(e.sessions, func(a, b *session) int { return a.number - b.number })
	}
}

// assignVNIs gives every session without a VirtualNetworkId a random VNI
// that no other session of the account uses; a session carried over (see
// WithStateFrom) keeps the VNI it had, unless another session now claims it.
func (m *Model) assignVNIs(ss []*TrafficMirrorSession, o options) {
	used := map[uint32]bool{}
	for _, s := range ss {
		if s.VirtualNetworkId != nil {
			v := uint32(*s.VirtualNetworkId)
			used[v] = true
			m.vnis[s.TrafficMirrorSessionId] = v
		}
	}
	for _, s := range ss {
		if s.VirtualNetworkId != nil || o.from == nil {
			continue
		}
		if v, ok := o.from.vnis[s.TrafficMirrorSessionId]; ok && !used[v] {
			used[v] = true
			m.vnis[s.TrafficMirrorSessionId] = v
		}
	}
	var rng *rand.Rand
	if o.hasSeed {
		rng = rand.New(rand.NewPCG(o.seed, o.seed^0x9e3779b97f4a7c15))
	} else {
		rng = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	for _, s := range ss {
		if _, ok := m.vnis[s.TrafficMirrorSessionId]; ok {
			continue
		}
		v := uint32(freeVNI(rng, func(v int) bool { return used[uint32(v)] }))
		used[v] = true
		m.vnis[s.TrafficMirrorSessionId] = v
	}
}

func sessionSources(s *TrafficMirrorSession) []string {
	out := make([]string, 0, 1+len(s.TrafficMirrorSourceIds))
	if s.NetworkInterfaceId != "" {
		out = append(out, s.NetworkInterfaceId)
	}
	for _, id := range s.TrafficMirrorSourceIds {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}
