package kpath

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

func TestCompileRulesErrors(t *testing.T) {
	ok := Rule{Group: 1, Accept: true, Src: anyNet, Dst: anyNet}
	many := make([]Rule, MaxRules+1)
	for i := range many {
		many[i] = ok
	}
	cases := []struct {
		name  string
		rules []Rule
		want  string
	}{
		{"too many", many, "41 IPv4 rules: at most 40"},
		{"mixed families", []Rule{{Accept: true, Src: pfx("::/0"), Dst: anyNet}}, "rule 0: source ::/0 and destination 0.0.0.0/0 are not prefixes of one family"},
		{"no destination", []Rule{{Accept: true, Src: anyNet}}, "rule 0: source 0.0.0.0/0 and destination invalid Prefix are not prefixes of one family"},
		{"slot", []Rule{ok, {Accept: true, Src: anyNet, Dst: anyNet, Slot: MaxSlots, Group: 1}}, "rule 1: slot 4096 out of range 0-4095"},
		{"ports", []Rule{{Src: anyNet, Dst: anyNet, DstPorts: &PortRange{9, 8}}}, "rule 0: destination ports 9-8: from > to"},
		{"group split", []Rule{ok, {Group: 2, Src: anyNet, Dst: anyNet}, ok}, "rule 2: group 1 is not consecutive"},
	}
	for _, c := range cases {
		var out kpathPort
		err := compileRules(c.rules, &out)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}

func TestCompileRulesLayout(t *testing.T) {
	var out kpathPort
	rules := []Rule{{Group: 3, Accept: true, Proto: 6, Src: pfx("10.1.2.3/16"), Dst: pfx("192.168.0.9/32"),
		SrcPorts: &PortRange{1, 2}, DstPorts: &PortRange{80, 80}, Slot: 17},
		{Group: 3, Proto: 17, Src: pfx("2001:db8:ff00::1/40"), Dst: pfx("::/0"), Slot: 17},
		{Group: 4, Accept: true, Src: pfx("0.0.0.0/0"), Dst: pfx("0.0.0.0/0"), Slot: 18}}
	if err := compileRules(rules, &out); err != nil {
		t.Fatal(err)
	}
	want := kpathRule{Src: 0x0a010000, Smask: 0xffff0000, Dst: 0xc0a80009, Dmask: 0xffffffff,
		SportLo: 1, SportHi: 2, DportLo: 80, DportHi: 80, Proto: 6, Flags: ruleAccept | ruleHasSport | ruleHasDport, Group: 3, Slot: 17}
	if out.Rules[0] != want || out.Nrules != 2 || out.Nrules6 != 1 || out.Rules[1].Group != 4 {
		t.Errorf("IPv4 rules: got %d, %+v, want 2, the first %+v", out.Nrules, out.Rules[:2], want)
	}
	// 2001:0d:b8ff:: in memory order, masked to 40 bits; ::/0 matches all.
	want6 := kpathRule6{Src: kpathPrefix6{Addr: [2]uint64{0x0000_00ff_b80d_0120, 0}, Mask: [2]uint64{0x0000_00ff_ffff_ffff, 0}},
		R: kpathRule{Proto: 17, Group: 3, Slot: 17}}
	if out.Rules6[0] != want6 {
		t.Errorf("IPv6 rule: got %+v, want %+v", out.Rules6[0], want6)
	}
}

func TestCompileFamiliesKeepTheirOrder(t *testing.T) {
	var out kpathPort
	a6 := func(p string, allow bool) ACLEntry { return ACLEntry{Allow: allow, All: true, CIDR: pfx(p)} }
	acl := &NetworkACL{Subnet: pfx("10.0.0.0/28"), Subnet6: pfx("2001:db8::/64"),
		Entries: []ACLEntry{a6("2001:db8:1::/48", false), a6("10.0.0.0/8", true), a6("::/0", true)}}
	if err := compileACL(acl, &out); err != nil {
		t.Fatal(err)
	}
	if out.Nacl != 1 || out.Nacl6 != 2 || out.Acl6[0].A.Flags&aclAllow != 0 || out.Acl6[1].A.Flags&aclAllow == 0 ||
		out.Flags&portSubnet6 == 0 || out.Subnet6 != prefix6(pfx("2001:db8::/64")) {
		t.Errorf("network ACL: %d IPv4, %d IPv6 entries %+v, flags %#x, subnet6 %+v", out.Nacl, out.Nacl6, out.Acl6[:2], out.Flags, out.Subnet6)
	}
	allow := []Allow{{All: true, Peer: pfx("::/0")}, {Proto: 6, From: 80, To: 80, Peer: pfx("10.0.0.0/8")}}
	if err := compileAllow(allow, &out); err != nil {
		t.Fatal(err)
	}
	if out.Nallow != 1 || out.Nallow6 != 1 || out.Allow[0].From != 80 || out.Allow6[0].A.Flags != allowAll {
		t.Errorf("security groups: %d IPv4 %+v, %d IPv6 %+v", out.Nallow, out.Allow[0], out.Nallow6, out.Allow6[0])
	}
	split := []Rule{{Group: 1, Src: pfx("::/0"), Dst: pfx("::/0")}, {Group: 2, Src: anyNet, Dst: anyNet},
		{Group: 2, Src: pfx("::/0"), Dst: pfx("::/0")}, {Group: 1, Src: pfx("::/0"), Dst: pfx("::/0")}}
	if err := compileRules(split, &out); err == nil || !strings.Contains(err.Error(), "rule 3: group 1 is not consecutive") {
		t.Errorf("IPv6 group split by another: got %v", err)
	}
}

func TestCompileSessionErrors(t *testing.T) {
	a := netip.MustParseAddr("10.0.0.1")
	ok := Session{VNI: 1, OuterSrc: a, OuterDst: a, ReceiverIfindex: 3}
	for _, c := range []struct {
		name string
		mod  func(*Session)
		want string
	}{
		{"vni", func(s *Session) { s.VNI = 1 << 24 }, "vni 16777216: more than 24 bits"},
		{"outer source", func(s *Session) { s.OuterSrc = netip.MustParseAddr("::1") }, "outer source ::1: not an IPv4 address"},
		{"outer destination", func(s *Session) { s.OuterDst = netip.Addr{} }, "outer destination invalid IP: not an IPv4 address"},
		{"max inner", func(s *Session) { s.MaxInner = 63 }, "max inner 63: want 0 (all) or 64-65535"},
		{"ifindex", func(s *Session) { s.ReceiverIfindex = 0 }, "receiver ifindex 0"},
	} {
		s := ok
		c.mod(&s)
		if _, err := compileSession(1, s); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
	if _, err := compileSession(1, ok); err != nil {
		t.Errorf("valid session: %v", err)
	}
}

// TestCompileRouteErrors: a route's header must be what the program can
// complete (IPv4 and UDP without checksums to VXLAN, or GENEVE carrying
// that), its receiver a port, its reason one the counters hold.
func TestCompileRouteErrors(t *testing.T) {
	a := netip.MustParseAddr("10.0.0.1")
	routes, err := vxlanRoutes(1, &Session{VNI: 1, OuterSrc: a, OuterDst: a, ReceiverIfindex: 3})
	if err != nil {
		t.Fatal(err)
	}
	ok := routes[5]
	for _, c := range []struct {
		name string
		mod  func(*Route)
		want string
	}{
		{"arp", func(r *Route) { r.Header[12], r.Header[13] = 0x08, 0x06 }, "EtherType 0x0806 is neither IPv4 nor IPv6"},
		{"ipv6 by its type only", func(r *Route) { r.Header[12], r.Header[13] = 0x86, 0xdd }, "offset 14: not IPv6 carrying UDP"},
		{"udp checksum", func(r *Route) { r.Header[41] = 1 }, "offset 34: a UDP checksum over IPv4"},
		{"options", func(r *Route) { r.Header[14] = 0x46 }, "offset 14: not IPv4 without options"},
		{"not vxlan", func(r *Route) { r.Header[37] = 1 }, "is not VXLAN"},
		{"short", func(r *Route) { r.Header = r.Header[:40] }, "header: 40 bytes"},
		{"ifindex", func(r *Route) { r.ReceiverIfindex = 0 }, "receiver ifindex 0"},
		{"count in", func(r *Route) { r.CountIn = MaxSlots }, "counted in: slot 4096 out of range"},
		{"lost reason", func(r *Route) { r.Lost = cloudmock.DeliveryReason(LostReasons) }, "lost reason 8"},
	} {
		r := ok
		r.Header = append([]byte(nil), ok.Header...)
		c.mod(&r)
		var k kpathRoute
		if err := compileRoute(&r, &k); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
	if _, err := compileSession(1, Session{Routes: routes[:3]}); err == nil || !strings.Contains(err.Error(), "3 routes") {
		t.Errorf("3 routes: got %v", err)
	}
	var k kpathRoute
	if err := compileRoute(&ok, &k); err != nil || k.Nfix != 2 || k.Hlen != vxlanHeaderLen {
		t.Errorf("valid route: %v, %d fixes, %d bytes", err, k.Nfix, k.Hlen)
	}
}
