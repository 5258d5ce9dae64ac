package cloudmock

import (
	"fmt"
	"net/netip"

	"github.com/mirrorlab/mirrorlab/internal/encap"
)

// DeliveryReason says whether a copy reaches its receiver, or why not.
type DeliveryReason uint8

const (
	// Delivered: the copy reaches the receiver's ENI.
	Delivered DeliveryReason = iota
	// DeliveryNotMirrored: the decision mirrored nothing.
	DeliveryNotMirrored
	// DroppedByTargetNACL: the receiver subnet's network ACL denies UDP 4789
	// from the source (inbound, stateless, first match, default deny).
	DroppedByTargetNACL
	// DroppedByTargetSG: no security group of the receiver allows inbound
	// UDP 4789 from the source.
	DroppedByTargetSG
	// NoListener: the network load balancer has no UDP 4789 listener (AWS
	// drops the copies silently).
	NoListener
	// NoHealthyTarget: the load balancer has no healthy registered target.
	NoHealthyTarget
	// NoRouteToTarget: the target is in another VPC that the source VPC
	// has no route to (no active peering connection between them, no
	// transit gateway both are attached to): the copy follows the source
	// VPC's route table and is lost.
	NoRouteToTarget
)

// numDeliveryReasons bounds the per-reason delivery counters.
const numDeliveryReasons = int(NoRouteToTarget) + 1

var deliveryCodes = [...]string{
	Delivered:           "delivered",
	DeliveryNotMirrored: "not-mirrored",
	DroppedByTargetNACL: "dropped-by-target-nacl",
	DroppedByTargetSG:   "dropped-by-target-sg",
	NoListener:          "no-udp-4789-listener",
	NoHealthyTarget:     "no-healthy-target",
	NoRouteToTarget:     "no-route-to-target",
}

// String returns the stable code, e.g. "dropped-by-target-nacl".
func (r DeliveryReason) String() string {
	if int(r) < len(deliveryCodes) {
		return deliveryCodes[r]
	}
	return fmt.Sprintf("delivery-%d", uint8(r))
}

// Delivery is what happens to a mirrored copy on its way to the target.
type Delivery struct {
	Delivered bool
	Reason    DeliveryReason
	// To and ToENI are the receiving ENI (for a load balancer target, the
	// registered target the outer 5-tuple hash chose); ToId is its id.
	To    netip.Addr
	ToENI ENIRef
	ToId  string
	// RuleNumber is the network ACL rule that decided (0: the default deny,
	// or no ACL).
	RuleNumber int
	// TargetId is the session's target.
	TargetId string
	// From and Port are the outer source address and UDP destination port
	// the receiver sees, the ones its network ACL and security groups must
	// allow: the source ENI's address and 4789, or, behind a Gateway Load
	// Balancer, the GWLB's address and 6081 (GENEVE).
	From netip.Addr
	Port uint16
	// Geneve is set when the receiver is a Gateway Load Balancer's
	// appliance: the copy reaches it wrapped in GENEVE (see Tunnel and
	// Decision.AppendWire).
	Geneve bool
	Tunnel GeneveTunnel
	// Healthy and Registered: for a load balancer target, how many of its
	// registered targets were healthy when the receiver was chosen.
	Healthy, Registered int
	// FromVpc and ToVpc are the source ENI's VPC and the target's (its
	// ENI's, or its load balancer's); Via is the peering connection or
	// transit gateway that carries the copy between them ("" within one
	// VPC), ViaKind says which ("peering connection", "transit gateway").
	FromVpc, ToVpc, Via, ViaKind string
}

// Deliver checks a mirrored copy on its way to the target: first the
// route from the source ENI's VPC to the target's (its ENI's, or its load
// balancer's or endpoint's): the same VPC, or an active peering between
// them (NoRouteToTarget otherwise); for a load balancer, the UDP 4789 listener and the choice of a healthy registered
// target by a hash of the outer 5-tuple (a flow sticks to one target while
// it stays healthy); then the receiver subnet's network ACL (inbound) and
// the receiver's security groups (inbound UDP 4789 from the source ENI). The
// source side's ACL and groups do not apply. It does not allocate.
//
// A Gateway Load Balancer endpoint target takes every copy (no listener);
// the GWLB chooses a healthy appliance by a symmetric hash of the 5-tuple
// of the datagram it receives (the copy's outer UDP 5-tuple, so each inner
// flow sticks to one appliance) and forwards the copy in GENEVE from its
// own address: the appliance's subnet ACL and groups must then allow
// inbound UDP 6081 from the GWLB's address. Before that, the endpoint's
// subnet ACL must let the copy in (UDP 4789 from the source ENI; the
// endpoint has no security group; the model gives the endpoint and the
// GWLB one address, in the load balancer's subnet).
//
// A copy carried over IPv6 (see overIPv6) meets the IPv6 rules: the
// receiver's from the source's IPv6 address, a dual-stack NLB forwarding
// it to its chosen target's IPv6 address; a dual-stack endpoint's subnet
// ACL by its IPv6 entries, while the GWLB's GENEVE leg stays IPv4.
func (m *Model) Deliver(d *Decision) Delivery {
	var dl Delivery
	if !d.Mirrored || d.session == nil {
		dl.Reason, dl.ToENI = DeliveryNotMirrored, NoENI
		return dl
	}
	t := d.session.target
	dl.TargetId, dl.ToENI = t.id, NoENI
	if !m.routeToTarget(d, t, &dl) {
		return dl
	}
	dl.From, dl.Port = d.Outer.Src, d.Outer.DstPort
	recv, sport := t.eni, d.Outer.SrcPort
	if t.lb != nil {
		var ok bool
		if recv, sport, ok = t.lb.forward(d, t.kind, &dl); !ok {
			return dl
		}
	}
	dl.To, dl.ToENI, dl.ToId = recv.ip, recv.ref, recv.id
	if recv.admits(sport, &dl) {
		dl.Delivered, dl.Reason = true, Delivered
	}
	return dl
}

// routeToTarget fills in the VPCs and the path from the source ENI's VPC
// to the target's; false (with the reason) when there is no route.
func (m *Model) routeToTarget(d *Decision, t *target, dl *Delivery) bool {
	src := m.eniAt(d.ENI)
	if src == nil {
		return true
	}
	to := -1
	if t.eni != nil {
		to = t.eni.vpc
	} else if t.lb != nil {
		to = t.lb.vpc
	}
	p := m.path(src.vpc, to)
	if src.routes != nil && to != src.vpc {
		p = src.routes.lookup(d.Outer.Dst, to)
	}
	dl.FromVpc, dl.ToVpc, dl.Via, dl.ViaKind = m.vpcID(src.vpc), m.vpcID(to), p.via, p.viaKind()
	if p.kind == pathNone {
		dl.Reason = NoRouteToTarget
		return false
	}
	return true
}

// forward is the load balancer's part of a delivery: the listener, a
// Gateway Load Balancer endpoint's subnet ACL, and the choice of a healthy
// target. It returns the receiving ENI and the copy's source port (a GWLB
// sends it in GENEVE from its own address); ok false (with the reason)
// when the copy goes no further.
func (lb *loadBalancer) forward(d *Decision, kind targetKind, dl *Delivery) (recv *eni, sport uint16, ok bool) {
	sport = d.Outer.SrcPort
	if !lb.hasListener {
		dl.Reason = NoListener
		return nil, 0, false
	}
	h := outerHash(&d.Outer)
	if kind == targetGWLB {
		if rule, ok := lb.endpointAllows(&d.Outer); !ok {
			dl.Reason, dl.RuleNumber = DroppedByTargetNACL, rule
			dl.To, dl.ToId = lb.ip, lb.endpoint
			return nil, 0, false
		}
		h = gwlbFlowHash(&d.Outer)
	}
	var b *backend
	b, dl.Healthy = lb.pick(h)
	dl.Registered = len(lb.backends)
	if b == nil {
		dl.Reason = NoHealthyTarget
		return nil, 0, false
	}
	if kind == targetGWLB {
		dl.Geneve, dl.Tunnel = true, lb.tunnel(h)
		dl.From, dl.Port, sport = lb.ip, encap.GenevePort, dl.Tunnel.SrcPort
	}
	return b.eni, sport, true
}

// admits reports whether the receiving ENI's subnet ACL and security
// groups let the copy in (from dl.From and sport to dl.Port); when not,
// dl says why.
func (recv *eni) admits(sport uint16, dl *Delivery) bool {
	f := Flow{EtherType: encap.EtherTypeIPv4, Proto: encap.ProtoUDP, Src: dl.From, Dst: recv.ip,
		SrcPort: sport, DstPort: dl.Port, HasPorts: true}
	if dl.From.Is6() {
		// Over IPv6 (see overIPv6): the ACL's and groups' IPv6 rules apply.
		dl.To, f.EtherType, f.Dst = recv.ip6, encap.EtherTypeIPv6, recv.ip6
	}
	if recv.nacl != nil && !recv.subnet4.Contains(f.Src) && !recv.subnet6.Contains(f.Src) {
		allow, rule := recv.nacl.eval(false, &f)
		dl.RuleNumber = rule
		if !allow {
			dl.Reason = DroppedByTargetNACL
			return false
		}
	}
	if len(recv.sgs) > 0 {
		ok := false
		for _, g := range recv.sgs {
			if sgAllows(g.in, f.Src, &f) {
				ok = true
				break
			}
		}
		if !ok {
			dl.Reason = DroppedByTargetSG
			return false
		}
	}
	return true
}

// vpcID returns the id of VPC index i ("" when out of range).
func (m *Model) vpcID(i int) string {
	if i < 0 || i >= len(m.vpcIDs) {
		return ""
	}
	return m.vpcIDs[i]
}

// endpointAllows applies a Gateway Load Balancer endpoint's subnet ACL
// (inbound, only across the subnet's boundary) to the copy, UDP 4789 from
// the source ENI; it returns the rule that decided.
func (lb *loadBalancer) endpointAllows(o *Outer) (int, bool) {
	if lb.nacl == nil || lb.subnet.Contains(o.Src) || lb.subnet6.Contains(o.Src) {
		return 0, true
	}
	et := uint16(encap.EtherTypeIPv4)
	if o.Src.Is6() {
		et = encap.EtherTypeIPv6 // over IPv6: the ACL's IPv6 entries apply
	}
	f := Flow{EtherType: et, Proto: encap.ProtoUDP, Src: o.Src, Dst: o.Dst, SrcPort: o.SrcPort, DstPort: o.DstPort, HasPorts: true}
	allow, rule := lb.nacl.eval(false, &f)
	return rule, allow
}

// outerHash hashes the outer 5-tuple (protocol UDP).
func outerHash(o *Outer) uint64 {
	h := mixAddr(uint64(encap.ProtoUDP), o.Src)
	h = mixAddr(h, o.Dst)
	return mix(h, uint64(o.SrcPort)<<16|uint64(o.DstPort))
}

// pick chooses a healthy backend by rendezvous hashing: a flow keeps its
// backend while that backend stays healthy, whatever happens to the others.
// It also returns how many registered targets were healthy.
func (lb *loadBalancer) pick(h uint64) (*backend, int) {
	var best *backend
	var bestScore uint64
	healthy := 0
	for i, b := range lb.backends {
		if !b.healthy.Load() {
			continue
		}
		healthy++
		if s := mix(h, uint64(i)+1); best == nil || s > bestScore {
			best, bestScore = b, s
		}
	}
	return best, healthy
}

// SetTargetHealth marks a load balancer's registered target (by
// NetworkInterfaceId) healthy or not; lb is the LoadBalancerArn or, for a
// Gateway Load Balancer, its VpcEndpointId. Safe for concurrent use.
func (m *Model) SetTargetHealth(lb, networkInterfaceID string, healthy bool) error {
	bs, err := m.backends(lb, networkInterfaceID)
	if err != nil {
		return fmt.Errorf("set target health: %w", err)
	}
	for _, b := range bs {
		b.healthy.Store(healthy)
	}
	return nil
}

// TargetHealth reports whether a registered target of load balancer lb is
// healthy, as last set by SetTargetHealth (targets start healthy).
func (m *Model) TargetHealth(lb, networkInterfaceID string) (bool, error) {
	bs, err := m.backends(lb, networkInterfaceID)
	if err != nil {
		return false, fmt.Errorf("target health: %w", err)
	}
	return bs[0].healthy.Load(), nil
}

// backends returns the registrations of networkInterfaceID with lb (at
// least one, or an error).
func (m *Model) backends(lb, networkInterfaceID string) ([]*backend, error) {
	l, ok := m.lbByArn[lb]
	if !ok {
		return nil, fmt.Errorf("unknown load balancer %q", lb)
	}
	var out []*backend
	for _, b := range l.backends {
		if b.eni.id == networkInterfaceID {
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%q is not a registered target of %q", networkInterfaceID, lb)
	}
	return out, nil
}

// String is a one-line human explanation of the delivery.
func (dl Delivery) String() string {
	switch dl.Reason {
	case Delivered:
		s := fmt.Sprintf("delivered to %s (%s) of target %s", dl.ToId, dl.To, dl.TargetId)
		if dl.Geneve {
			s = fmt.Sprintf("delivered to appliance %s (%s) of target %s, chosen by the flow hash among %d healthy of %d, in GENEVE from the gateway load balancer (%s:%d -> %d; endpoint id %#016x, attachment id %#016x, flow cookie %#08x)",
				dl.ToId, dl.To, dl.TargetId, dl.Healthy, dl.Registered, dl.From, dl.Tunnel.SrcPort, encap.GenevePort, dl.Tunnel.EndpointID, dl.Tunnel.AttachmentID, dl.Tunnel.FlowCookie)
		}
		if dl.Via != "" {
			s += fmt.Sprintf(", from VPC %s to VPC %s through %s %s", dl.FromVpc, dl.ToVpc, dl.ViaKind, dl.Via)
		}
		return s
	case DeliveryNotMirrored:
		return "nothing to deliver: not mirrored"
	case DroppedByTargetNACL:
		rule := "its default deny"
		if dl.RuleNumber != 0 {
			rule = fmt.Sprintf("rule %d", dl.RuleNumber)
		}
		return fmt.Sprintf("dropped before %s (%s): the target subnet's network ACL denies inbound UDP %d from %s (%s)", dl.ToId, dl.To, dl.Port, dl.sender(), rule)
	case DroppedByTargetSG:
		return fmt.Sprintf("dropped at %s (%s): no security group allows inbound UDP %d from %s", dl.ToId, dl.To, dl.Port, dl.sender())
	case NoListener:
		return fmt.Sprintf("lost silently: the load balancer of target %s has no UDP %d listener", dl.TargetId, encap.VXLANPort)
	case NoHealthyTarget:
		return fmt.Sprintf("lost: the load balancer of target %s has no healthy registered target", dl.TargetId)
	case NoRouteToTarget:
		return fmt.Sprintf("lost: target %s is in VPC %s and the source's VPC %s has no route to it (copies follow the source subnet's route table: peer the two VPCs or attach both to a transit gateway, and where the VPC has route tables, route the target's address through that connection)", dl.TargetId, dl.ToVpc, dl.FromVpc)
	}
	return dl.Reason.String()
}

// sender names the outer source the receiver checks.
func (dl Delivery) sender() string {
	if dl.Geneve {
		return fmt.Sprintf("the gateway load balancer (%s)", dl.From)
	}
	return "the source"
}
