package kpath

import (
	"encoding/binary"
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

// The address families of prefixes (family), which index the per-family
// counts of the compile functions.
const (
	noFamily = iota // an invalid prefix
	ipv4
	ipv6
)

var familyNames = [...]string{noFamily: "invalid", ipv4: "IPv4", ipv6: "IPv6"}

func family(p netip.Prefix) int {
	switch {
	case !p.IsValid():
		return noFamily
	case p.Addr().Is4():
		return ipv4
	}
	return ipv6
}

// prefix6 converts an IPv6 prefix into the map's layout: its address
// and mask as words read from their bytes in memory order (the object is
// little-endian, bpfel).
func prefix6(p netip.Prefix) kpathPrefix6 {
	m := p.Masked()
	a := m.Addr().As16()
	var mask [16]byte
	for i := 0; i < m.Bits(); i++ {
		mask[i/8] |= 0x80 >> (i % 8)
	}
	le := binary.LittleEndian
	return kpathPrefix6{Addr: [2]uint64{le.Uint64(a[:8]), le.Uint64(a[8:])}, Mask: [2]uint64{le.Uint64(mask[:8]), le.Uint64(mask[8:])}}
}

// compileRules checks rules and converts them into the port's layout:
// the IPv4 rules into v.Rules, the IPv6 ones into v.Rules6, each family
// in order (a rule matches only packets of its own family).
func compileRules(rules []Rule, v *kpathPort) error {
	var n [3]int                                   // rules per family
	prev := [3]int{-1, -1, -1}                     // the family's last group
	seen := [3]map[uint16]bool{ipv4: {}, ipv6: {}} // the family's groups
	for i, r := range rules {
		fam := family(r.Src)
		if fam == noFamily || family(r.Dst) != fam {
			return fmt.Errorf("rule %d: source %v and destination %v are not prefixes of one family", i, r.Src, r.Dst)
		}
		if n[fam] == MaxRules {
			return fmt.Errorf("%d %s rules: at most %d per port and direction", countFamily(rules, fam), familyNames[fam], MaxRules)
		}
		if int(r.Group) != prev[fam] && seen[fam][r.Group] {
			return fmt.Errorf("rule %d: group %d is not consecutive (its rules must follow each other)", i, r.Group)
		}
		prev[fam], seen[fam][r.Group] = int(r.Group), true
		var c *kpathRule
		if fam == ipv4 {
			c = &v.Rules[n[ipv4]]
			c.Src, c.Smask = v4(r.Src.Masked().Addr()), prefixMask(r.Src.Bits())
			c.Dst, c.Dmask = v4(r.Dst.Masked().Addr()), prefixMask(r.Dst.Bits())
		} else {
			k := &v.Rules6[n[ipv6]]
			k.Src, k.Dst = prefix6(r.Src), prefix6(r.Dst)
			c = &k.R
		}
		n[fam]++
		if err := compileRule(r, c); err != nil {
			return fmt.Errorf("rule %d: %w", i, err)
		}
	}
	v.Nrules, v.Nrules6 = uint32(n[ipv4]), uint32(n[ipv6])
	return nil
}

func countFamily(rules []Rule, fam int) int {
	n := 0
	for _, r := range rules {
		if family(r.Src) == fam {
			n++
		}
	}
	return n
}

// compileRule fills what a rule's layout holds besides its addresses.
func compileRule(r Rule, c *kpathRule) error {
	if err := checkSlot(r.Slot); err != nil && r.Accept {
		return err
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
			return fmt.Errorf("source ports %d-%d: from > to", p.From, p.To)
		}
		c.Flags |= ruleHasSport
		c.SportLo, c.SportHi = p.From, p.To
	}
	if p := r.DstPorts; p != nil {
		if p.From > p.To {
			return fmt.Errorf("destination ports %d-%d: from > to", p.From, p.To)
		}
		c.Flags |= ruleHasDport
		c.DportLo, c.DportHi = p.From, p.To
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
	portIPv6                  = uint16(kpathFlagKPATH_PORT_IPV6)
	portSubnet6               = uint16(kpathFlagKPATH_PORT_SUBNET6)
	allowAll                  = uint8(kpathFlagKPATH_ALLOW_ALL)
	aclAllow                  = uint8(kpathFlagKPATH_ACL_ALLOW)
	aclAll                    = uint8(kpathFlagKPATH_ACL_ALL)
	aclPorts                  = uint8(kpathFlagKPATH_ACL_PORTS)
)

// compileACL checks a network ACL and converts it into the port's
// layout: IPv4 entries into v.Acl, IPv6 ones into v.Acl6, each family in
// order.
func compileACL(a *NetworkACL, v *kpathPort) error {
	if !a.Subnet.IsValid() || !a.Subnet.Addr().Is4() {
		return fmt.Errorf("network ACL: subnet %v is not an IPv4 prefix", a.Subnet)
	}
	sub := a.Subnet.Masked()
	v.Flags |= portACL
	v.Subnet, v.SubnetMask = v4(sub.Addr()), prefixMask(sub.Bits())
	if s6 := a.Subnet6; s6.IsValid() {
		if !s6.Addr().Is6() {
			return fmt.Errorf("network ACL: subnet %v is not an IPv6 prefix", s6)
		}
		v.Flags |= portSubnet6
		v.Subnet6 = prefix6(s6)
	}
	var n [3]int
	for i, e := range a.Entries {
		fam := family(e.CIDR)
		if fam == noFamily {
			return fmt.Errorf("network ACL entry %d: %v is not a prefix", i, e.CIDR)
		}
		if n[fam] == MaxACL {
			return fmt.Errorf("network ACL: more than %d %s entries", MaxACL, familyNames[fam])
		}
		var k *kpathAcl
		if fam == ipv4 {
			k = &v.Acl[n[ipv4]]
			c := e.CIDR.Masked()
			k.Addr, k.Mask = v4(c.Addr()), prefixMask(c.Bits())
		} else {
			v.Acl6[n[ipv6]].Peer = prefix6(e.CIDR)
			k = &v.Acl6[n[ipv6]].A
		}
		n[fam]++
		k.Proto = e.Proto
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
	}
	v.Nacl, v.Nacl6 = uint32(n[ipv4]), uint32(n[ipv6])
	return nil
}

// compileAllow checks security group entries and converts them into the
// port's layout: IPv4 peers into v.Allow, IPv6 ones into v.Allow6.
func compileAllow(allow []Allow, v *kpathPort) error {
	var n [3]int
	for i, a := range allow {
		fam := family(a.Peer)
		if fam == noFamily {
			return fmt.Errorf("security group entry %d: peer %v is not a prefix", i, a.Peer)
		}
		if n[fam] == MaxAllow {
			return fmt.Errorf("security groups: more than %d %s entries", MaxAllow, familyNames[fam])
		}
		if a.From < -1 || a.From > 65535 || a.To < -1 || a.To > 65535 {
			return fmt.Errorf("security group entry %d: range %d-%d out of -1..65535", i, a.From, a.To)
		}
		var k *kpathAllow
		if fam == ipv4 {
			k = &v.Allow[n[ipv4]]
			m := a.Peer.Masked()
			k.Addr, k.Mask = v4(m.Addr()), prefixMask(m.Bits())
		} else {
			v.Allow6[n[ipv6]].Peer = prefix6(a.Peer)
			k = &v.Allow6[n[ipv6]].A
		}
		n[fam]++
		k.From, k.To, k.Proto = int32(a.From), int32(a.To), a.Proto
		if a.All {
			k.Flags |= allowAll
		}
	}
	v.Nallow, v.Nallow6 = uint32(n[ipv4]), uint32(n[ipv6])
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
