//go:build linux

package kpath

import (
	"fmt"
	"net/netip"

	"github.com/mirrorlab/mirrorlab/internal/encap"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// Plan is the part of a model that the kernel can decide exactly, read
// through the model's SourceRules: per source ENI and direction, the
// port's contents, or why its packets must be decided in user space
// (cloudmock's Decide). The kernel decides plain IPv4 packets and, when
// the profile mirrors IPv6, IPv6 packets without extension headers, and
// punts every other one; a plan holds no never-mirrored classes (the
// programs punt those). PlanSession.Copies
// says where each copy goes (an ENI target, the receiver a load balancer
// chooses, in the source's VPC or another, over IPv4 or IPv6); a direction
// where anything fails is left to user space whole.
type Plan struct {
	// RejectStops: the first matching rule of any session decides;
	// otherwise a reject ends only its session (Config.RejectStops).
	RejectStops bool
	ENIs        []PlanENI
	// Sessions are the sessions the rules lead to (PlanDirection.Sessions).
	Sessions []PlanSession
}

// PlanENI is one source ENI of a Plan, with its two directions (by
// cloudmock.Direction).
type PlanENI struct {
	Ref   cloudmock.ENIRef
	ENIId string
	Dirs  [2]PlanDirection
}

// PlanDirection is what the kernel decides for one ENI and direction.
type PlanDirection struct {
	// Why is empty when the kernel may decide this direction's IPv4
	// packets; otherwise it names what needs the user-space path.
	Why string
	// Port is the port's entry but for what the lab knows: its MAC,
	// the accepting rules' Slot, and SecurityGroups.ConnTable (the table
	// where the ENI's flow table is placed).
	Port Port
	// Sessions maps each rule group of Port.Rules (Rule.Group) to its
	// session's index in Plan.Sessions.
	Sessions []int
}

// PlanSession is a session of a Plan, from one source ENI.
type PlanSession struct {
	SessionId, TargetId string
	// TargetENIId is the receiving ENI.
	TargetENIId string
	// Session is the kernel's session but for what the lab knows: the
	// MACs and ReceiverIfindex, or the Routes (see Copies).
	Session Session
	// Copies are the session's copies by outer source port
	// (cloudmock.OuterPortBase+i): where each goes, or why it is lost
	// on the way. The lab turns each into a Route (PlanCopy.Route).
	Copies []PlanCopy
}

// PlanCopy is what becomes of the copies of a session that carry one
// outer source port: the model's Decision for them (but for the packet's
// own fields) and its Delivery.
type PlanCopy struct {
	Decision cloudmock.Decision
	Delivery cloudmock.Delivery
}

// Route is the kernel's route for these copies, given what the lab
// knows: the receiver's MACs (the router's in the receiver's subnet, the
// receiver's own), its bridge port, and the slot that counts them. The
// header is what the model's AppendWire writes before the inner frame.
func (c *PlanCopy) Route(srcMAC, dstMAC [6]byte, ifindex int, countIn uint32) Route {
	if !c.Delivery.Delivered {
		return Route{Lost: c.Delivery.Reason, CountIn: countIn}
	}
	var inner [encap.EthernetHeaderLen]byte // an inner frame of an Ethernet header alone
	b := c.Decision.AppendWire(nil, cloudmock.FrameHeader{SrcMAC: srcMAC, DstMAC: dstMAC}, &c.Delivery, inner[:])
	return Route{ReceiverIfindex: ifindex, CountIn: countIn, Header: b[:len(b)-len(inner)]}
}

// PlanModel compiles m for the kernel (see Plan). Sources lists the ENIs
// to compile (nil: every source ENI).
func PlanModel(m *cloudmock.Model, sources []cloudmock.ENIRef) Plan {
	if sources == nil {
		sources = m.SourceENIs()
	}
	p := Plan{RejectStops: m.RejectBehavior() == cloudmock.RejectStops}
	index := map[[2]string]int{} // by ENI and session id
	for _, ref := range sources {
		pe := PlanENI{Ref: ref}
		for _, dir := range []cloudmock.Direction{cloudmock.Ingress, cloudmock.Egress} {
			r, ok := m.SourceRules(ref, dir)
			if !ok {
				break
			}
			pe.ENIId = r.ENIId
			pe.Dirs[dir] = planDirection(m, ref, &p, index, &r, dir)
		}
		if pe.ENIId != "" {
			p.ENIs = append(p.ENIs, pe)
		}
	}
	return p
}

func planDirection(m *cloudmock.Model, ref cloudmock.ENIRef, p *Plan, index map[[2]string]int, r *cloudmock.SourceRules, dir cloudmock.Direction) PlanDirection {
	if why := sourceWhy(r); why != "" {
		return PlanDirection{Why: why}
	}
	copies := make([][]PlanCopy, len(r.Sessions))
	for i := range r.Sessions {
		var why string
		if copies[i], why = planCopies(m, ref, &r.Sessions[i], dir); why != "" {
			return PlanDirection{Why: fmt.Sprintf("session %s: %s", r.Sessions[i].SessionId, why)}
		}
	}
	v6 := m.Profile().IPv6
	pd := PlanDirection{Port: Port{Resolver: r.Resolver, IPv6: v6}}
	if r.ACLId != "" {
		pd.Port.NetworkACL = planACL(r, v6)
		if why := overLimit(len(pd.Port.NetworkACL.Entries), MaxACL, func(i int) netip.Prefix { return pd.Port.NetworkACL.Entries[i].CIDR }); why != "" {
			return PlanDirection{Why: fmt.Sprintf("network ACL %s has %s entries %s (the kernel path holds %d per family)", r.ACLId, why, dir, MaxACL)}
		}
	}
	if r.HasGroups {
		pd.Port.SecurityGroups = planGroups(r, v6)
		if why := overLimit(len(pd.Port.SecurityGroups.Allow), MaxAllow, func(i int) netip.Prefix { return pd.Port.SecurityGroups.Allow[i].Peer }); why != "" {
			return PlanDirection{Why: fmt.Sprintf("security groups with %s peers %s (the kernel path holds %d per family)", why, dir, MaxAllow)}
		}
	}
	for si, s := range r.Sessions {
		group := len(pd.Sessions)
		for _, fr := range s.Rules {
			if !kernelFamily(fr.Src, v6) || family(fr.Dst) != family(fr.Src) {
				continue // never matches a packet the kernel decides
			}
			pd.Port.Rules = append(pd.Port.Rules, planRule(fr, group, s.AmazonDNS))
		}
		if len(pd.Port.Rules) == 0 || pd.Port.Rules[len(pd.Port.Rules)-1].Group != uint16(group) {
			continue // no rule of this session the kernel decides by
		}
		if s.MaxInner > 0 && s.MaxInner < MinMaxInner {
			return PlanDirection{Why: fmt.Sprintf("session %s: copies cut to %d bytes (the kernel cuts no shorter than %d)", s.SessionId, s.MaxInner, MinMaxInner)}
		}
		key := [2]string{r.ENIId, s.SessionId}
		i, ok := index[key]
		if !ok {
			i = len(p.Sessions)
			index[key] = i
			p.Sessions = append(p.Sessions, PlanSession{SessionId: s.SessionId, TargetId: s.TargetId, TargetENIId: s.TargetENIId,
				Session: Session{VNI: s.VNI, OuterSrc: s.OuterSrc, OuterDst: s.OuterDst, MaxInner: s.MaxInner}, Copies: copies[si]})
		}
		pd.Sessions = append(pd.Sessions, i)
	}
	if why := overLimit(len(pd.Port.Rules), MaxRules, func(i int) netip.Prefix { return pd.Port.Rules[i].Src }); why != "" {
		return PlanDirection{Why: fmt.Sprintf("%s filter rules (the kernel path holds %d per family)", why, MaxRules)}
	}
	return pd
}

// kernelFamily reports whether a prefix is of a family the kernel decides
// (IPv4, and IPv6 when v6).
func kernelFamily(p netip.Prefix, v6 bool) bool {
	f := family(p)
	return f == ipv4 || (v6 && f == ipv6)
}

// overLimit counts n entries by the family of prefix(i): "" when each
// family's fit in max, else the count of one that does not ("41 IPv6").
func overLimit(n, max int, prefix func(int) netip.Prefix) string {
	var count [3]int
	for i := range n {
		count[family(prefix(i))]++
	}
	for _, f := range []int{ipv4, ipv6} {
		if count[f] > max {
			return fmt.Sprintf("%d %s", count[f], familyNames[f])
		}
	}
	return ""
}

// sourceWhy returns why none of a source's packets can be decided in the
// kernel ("" when they can, as far as the ENI goes).
func sourceWhy(r *cloudmock.SourceRules) string {
	if !r.IPv4.IsValid() {
		return "the ENI has no IPv4 address"
	}
	return ""
}

// planCopies asks the model what becomes of session s's copies, outer
// source port by port (a receiver in another VPC is the lab's to reach:
// see AttachForward); why is not empty when the program could not
// complete a copy's header.
func planCopies(m *cloudmock.Model, ref cloudmock.ENIRef, s *cloudmock.SessionRules, dir cloudmock.Direction) ([]PlanCopy, string) {
	copies := make([]PlanCopy, cloudmock.OuterPorts)
	for i := range copies {
		port := uint16(cloudmock.OuterPortBase + i)
		d, ok := m.CopyDecision(ref, s.SessionId, dir, port)
		if !ok {
			return nil, "not in the model"
		}
		dl := m.Deliver(&d)
		copies[i] = PlanCopy{Decision: d, Delivery: dl}
		if dl.Delivered {
			if _, err := walkHeader(copies[i].Route([6]byte{}, [6]byte{}, 1, 0).Header); err != nil {
				return nil, fmt.Sprintf("copies from port %d: the kernel cannot complete their header: %v", port, err)
			}
		}
	}
	return copies, ""
}

func planRule(fr cloudmock.FilterRule, group int, amazonDNS bool) Rule {
	k := Rule{Group: uint16(group), Accept: fr.Accept, Proto: fr.Proto, Src: fr.Src, Dst: fr.Dst, AmazonDNS: amazonDNS}
	if fr.HasSport {
		k.SrcPorts = &PortRange{fr.Sport[0], fr.Sport[1]}
	}
	if fr.HasDport {
		k.DstPorts = &PortRange{fr.Dport[0], fr.Dport[1]}
	}
	return k
}

// planACL lists the network ACL's entries that can match a packet the
// kernel decides (IPv4, and IPv6 when v6).
func planACL(r *cloudmock.SourceRules, v6 bool) *NetworkACL {
	a := &NetworkACL{Subnet: r.Subnet4, Entries: []ACLEntry{}}
	if v6 && r.Subnet6.Addr().Is6() {
		a.Subnet6 = r.Subnet6
	}
	for _, e := range r.ACL {
		if !kernelFamily(e.CIDR, v6) {
			continue // never matches a packet the kernel decides
		}
		k := ACLEntry{Allow: e.Allow, All: e.All, Proto: e.Proto, CIDR: e.CIDR}
		if e.HasPorts {
			k.Ports = &PortRange{e.Ports[0], e.Ports[1]}
		}
		a.Entries = append(a.Entries, k)
	}
	return a
}

// planGroups lists the security groups' peers of the families the
// kernel decides (IPv4, and IPv6 when v6).
func planGroups(r *cloudmock.SourceRules, v6 bool) *SecurityGroups {
	sg := &SecurityGroups{Allow: []Allow{}}
	for _, g := range r.Groups {
		if kernelFamily(g.Peer, v6) {
			sg.Allow = append(sg.Allow, Allow{All: g.All, Proto: g.Proto, From: g.From, To: g.To, Peer: g.Peer})
		}
	}
	return sg
}
