package kpath

import (
	"fmt"
	"net/netip"

	"github.com/mirrorlab/mirrorlab/internal/encap"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// prefixMask is the mask of an IPv4 prefix of bits bits.
func prefixMask(bits int) uint32 {
	if bits <= 0 {
		return 0
	}
	return ^uint32(0) << (32 - bits)
}

func v4(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func checkDir(dir uint32) error {
	if dir != Ingress && dir != Egress {
		return fmt.Errorf("direction %d: want 0 (ingress) or 1 (egress)", dir)
	}
	return nil
}

func checkSlot(slot uint32) error {
	if slot >= MaxSlots {
		return fmt.Errorf("slot %d out of range 0-%d", slot, MaxSlots-1)
	}
	return nil
}

// compileRules checks rules and converts them into the map's layout.
func compileRules(rules []Rule, out *[MaxRules]kpathRule) error {
	if len(rules) > MaxRules {
		return fmt.Errorf("%d rules: at most %d per port and direction", len(rules), MaxRules)
	}
	seen := map[uint16]bool{}
	for i, r := range rules {
		if i > 0 && r.Group != rules[i-1].Group {
			if seen[r.Group] {
				return fmt.Errorf("rule %d: group %d is not consecutive (its rules must follow each other)", i, r.Group)
			}
		}
		seen[r.Group] = true
		c := &out[i]
		for _, p := range []struct {
			name       string
			pf         netip.Prefix
			addr, mask *uint32
		}{{"source", r.Src, &c.Src, &c.Smask}, {"destination", r.Dst, &c.Dst, &c.Dmask}} {
			if !p.pf.IsValid() || !p.pf.Addr().Is4() {
				return fmt.Errorf("rule %d: %s %v is not an IPv4 prefix", i, p.name, p.pf)
			}
			*p.mask = prefixMask(p.pf.Bits())
			*p.addr = v4(p.pf.Masked().Addr())
		}
		if err := checkSlot(r.Slot); err != nil && r.Accept {
			return fmt.Errorf("rule %d: %w", i, err)
		}
		c.Proto, c.Group, c.Slot = r.Proto, r.Group, r.Slot
		if r.Accept {
			c.Flags |= ruleAccept
		}
		if r.AmazonDNS {
			c.Flags |= ruleAmazonDNS
		}
		if p := r.SrcPorts; p != nil {
			if p.From > p.To {
				return fmt.Errorf("rule %d: source ports %d-%d: from > to", i, p.From, p.To)
			}
			c.Flags |= ruleHasSport
			c.SportLo, c.SportHi = p.From, p.To
		}
		if p := r.DstPorts; p != nil {
			if p.From > p.To {
				return fmt.Errorf("rule %d: destination ports %d-%d: from > to", i, p.From, p.To)
			}
			c.Flags |= ruleHasDport
			c.DportLo, c.DportHi = p.From, p.To
		}
	}
	return nil
}

// rule.flags, settings.flags, port.flags, allow.flags and acl.flags
// (bpf/kpath.h enum flag).
const (
	ruleAccept                = uint8(kpathFlagKPATH_RULE_ACCEPT)
	ruleHasSport              = uint8(kpathFlagKPATH_RULE_HAS_SPORT)
	ruleHasDport              = uint8(kpathFlagKPATH_RULE_HAS_DPORT)
	ruleAmazonDNS             = uint8(kpathFlagKPATH_RULE_AMAZON_DNS)
	flagRejectStops           = uint32(kpathFlagKPATH_REJECT_STOPS)
	flagReceiversCompleteCsum = uint32(kpathFlagKPATH_RECEIVERS_COMPLETE_CSUM)
	flagStreamCopies          = uint32(kpathFlagKPATH_STREAM_COPIES)
	portStateful              = uint16(kpathFlagKPATH_PORT_STATEFUL)
	portACL                   = uint16(kpathFlagKPATH_PORT_ACL)
	allowAll                  = uint8(kpathFlagKPATH_ALLOW_ALL)
	aclAllow                  = uint8(kpathFlagKPATH_ACL_ALLOW)
	aclAll                    = uint8(kpathFlagKPATH_ACL_ALL)
	aclPorts                  = uint8(kpathFlagKPATH_ACL_PORTS)
)

// compileACL checks a network ACL and converts it into the map's layout.
func compileACL(a *NetworkACL, v *kpathPort) error {
	if !a.Subnet.IsValid() || !a.Subnet.Addr().Is4() {
		return fmt.Errorf("network ACL: subnet %v is not an IPv4 prefix", a.Subnet)
	}
	if len(a.Entries) > MaxACL {
		return fmt.Errorf("network ACL: %d entries, at most %d", len(a.Entries), MaxACL)
	}
	sub := a.Subnet.Masked()
	v.Flags |= portACL
	v.Subnet, v.SubnetMask, v.Nacl = v4(sub.Addr()), prefixMask(sub.Bits()), uint32(len(a.Entries))
	for i, e := range a.Entries {
		if !e.CIDR.IsValid() || !e.CIDR.Addr().Is4() {
			return fmt.Errorf("network ACL entry %d: %v is not an IPv4 prefix", i, e.CIDR)
		}
		c := e.CIDR.Masked()
		k := kpathAcl{Addr: v4(c.Addr()), Mask: prefixMask(c.Bits()), Proto: e.Proto}
		if e.Allow {
			k.Flags |= aclAllow
		}
		if e.All {
			k.Flags |= aclAll
		}
		if e.Ports != nil {
			if e.Ports.From > e.Ports.To {
				return fmt.Errorf("network ACL entry %d: ports %d-%d: from > to", i, e.Ports.From, e.Ports.To)
			}
			k.Flags |= aclPorts
			k.PortLo, k.PortHi = e.Ports.From, e.Ports.To
		}
		v.Acl[i] = k
	}
	return nil
}

// compileAllow checks security group entries and converts them into the
// map's layout.
func compileAllow(allow []Allow, out *[MaxAllow]kpathAllow) error {
	if len(allow) > MaxAllow {
		return fmt.Errorf("security groups: %d entries, at most %d", len(allow), MaxAllow)
	}
	for i, a := range allow {
		if !a.Peer.IsValid() || !a.Peer.Addr().Is4() {
			return fmt.Errorf("security group entry %d: peer %v is not an IPv4 prefix", i, a.Peer)
		}
		if a.From < -1 || a.From > 65535 || a.To < -1 || a.To > 65535 {
			return fmt.Errorf("security group entry %d: range %d-%d out of -1..65535", i, a.From, a.To)
		}
		m := a.Peer.Masked()
		k := kpathAllow{Addr: v4(m.Addr()), Mask: prefixMask(m.Bits()), From: int32(a.From), To: int32(a.To), Proto: a.Proto}
		if a.All {
			k.Flags |= allowAll
		}
		out[i] = k
	}
	return nil
}

// compileSession checks s and converts it into the map's layout.
func compileSession(slot uint32, s Session) (*kpathSession, error) {
	k := new(kpathSession)
	if s.MaxInner != 0 && (s.MaxInner < MinMaxInner || s.MaxInner > 65535) {
		return nil, fmt.Errorf("max inner %d: want 0 (all) or %d-65535", s.MaxInner, MinMaxInner)
	}
	k.MaxInner = uint32(s.MaxInner)
	routes := s.Routes
	if routes == nil {
		var err error
		if routes, err = vxlanRoutes(slot, &s); err != nil {
			return nil, err
		}
	}
	if len(routes) != OuterPorts {
		return nil, fmt.Errorf("%d routes: want one per outer source port (%d)", len(routes), OuterPorts)
	}
	for i := range routes {
		if err := compileRoute(&routes[i], &k.Routes[i]); err != nil {
			return nil, fmt.Errorf("route of outer source port %d: %w", cloudmock.OuterPortBase+i, err)
		}
	}
	return k, nil
}

// vxlanRoutes are the routes of a session without Routes: every copy in
// VXLAN to s.OuterDst (as cloudmock's AppendFrame writes it), counted in
// slot.
func vxlanRoutes(slot uint32, s *Session) ([]Route, error) {
	switch {
	case s.VNI >= 1<<24:
		return nil, fmt.Errorf("vni %d: more than 24 bits", s.VNI)
	case !s.OuterSrc.Is4():
		return nil, fmt.Errorf("outer source %v: not an IPv4 address", s.OuterSrc)
	case !s.OuterDst.Is4():
		return nil, fmt.Errorf("outer destination %v: not an IPv4 address", s.OuterDst)
	case s.ReceiverIfindex <= 0:
		return nil, fmt.Errorf("receiver ifindex %d: want a positive interface index", s.ReceiverIfindex)
	}
	routes := make([]Route, OuterPorts)
	d := cloudmock.Decision{Mirrored: true, VNI: s.VNI, Outer: cloudmock.Outer{Src: s.OuterSrc, Dst: s.OuterDst, DstPort: encap.VXLANPort}}
	var inner [encap.EthernetHeaderLen]byte
	for i := range routes {
		d.Outer.SrcPort = uint16(cloudmock.OuterPortBase + i)
		h := d.AppendFrame(nil, cloudmock.FrameHeader{SrcMAC: s.SrcMAC, DstMAC: s.DstMAC}, inner[:])
		routes[i] = Route{ReceiverIfindex: s.ReceiverIfindex, CountIn: slot, Header: h[:len(h)-len(inner)]}
	}
	return routes, nil
}
