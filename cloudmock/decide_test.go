package cloudmock

import (
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/encap"
)

func TestWalkthroughValidates(t *testing.T) {
	s := walkthroughSpec()
	if err := s.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
}

// decideCase runs one packet through a model built from a spec.
type decideCase struct {
	name    string
	spec    func(*Spec)
	eni     string
	dir     Direction
	pkt     Packet
	prior   []Packet // egress packets decided first (security group state)
	want    Reason
	session string
	rule    int
}

func runDecideCases(t *testing.T, cases []decideCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := walkthroughSpec()
			if c.spec != nil {
				c.spec(&s)
			}
			m := mustNew(t, s, WithSeed(1))
			eni := c.eni
			if eni == "" {
				eni = "eni-web"
			}
			ref := mustENI(t, m, eni)
			for _, p := range c.prior {
				m.Decide(ref, Egress, frame(t, p))
			}
			d := m.Decide(ref, c.dir, frame(t, c.pkt))
			if d.Reason != c.want {
				t.Fatalf("reason %v, want %v (%s)", d.Reason, c.want, d)
			}
			if d.Mirrored != (c.want == ReasonMirrored) {
				t.Fatalf("Mirrored %v with reason %v", d.Mirrored, d.Reason)
			}
			if c.session != "" && d.SessionId != c.session {
				t.Errorf("session %q, want %q (%s)", d.SessionId, c.session, d)
			}
			if c.rule != 0 && d.RuleNumber != c.rule {
				t.Errorf("rule %d, want %d (%s)", d.RuleNumber, c.rule, d)
			}
		})
	}
}

// openAll makes the web ENI's filter accept everything in both directions
// and its security group allow everything, to isolate one semantic.
func openAll(s *Spec) {
	f := s.TrafficMirrorFilters[0]
	f.IngressFilterRules = []TrafficMirrorFilterRule{acceptAll(100)}
	f.EgressFilterRules = []TrafficMirrorFilterRule{acceptAll(100)}
	s.SecurityGroups[0].IpPermissions = []IpPermission{{IpProtocol: "-1", IpRanges: []IpRange{{CidrIp: "0.0.0.0/0"}}}}
}

func TestDecideNeverMirrored(t *testing.T) {
	runDecideCases(t, []decideCase{
		{name: "http in is mirrored", pkt: tcp("203.0.113.9", "10.0.0.5", 40000, 80), want: ReasonMirrored, session: "tms-web", rule: 100},
		{name: "arp", spec: openAll, pkt: Packet{ARP: true, Src: addr("10.0.0.1"), Dst: addr("10.0.0.5")}, want: ReasonARP},
		{name: "dhcp", spec: openAll, dir: Egress, pkt: udp("10.0.0.5", "10.0.0.1", 68, 67), want: ReasonDHCP},
		{name: "dhcpv6", spec: openAll, dir: Egress, pkt: udp("fe80::1", "ff02::1:2", 546, 547), want: ReasonDHCP},
		{name: "metadata", spec: openAll, dir: Egress, pkt: tcp("10.0.0.5", "169.254.169.254", 40000, 80), want: ReasonMetadata},
		{name: "metadata reply", spec: openAll, pkt: tcp("169.254.169.254", "10.0.0.5", 80, 40000), want: ReasonMetadata},
		{name: "metadata ipv6", spec: openAll, dir: Egress, pkt: tcp("fd00:ec2::1", "fd00:ec2::254", 40000, 80), want: ReasonMetadata},
		{name: "time service", spec: openAll, dir: Egress, pkt: udp("10.0.0.5", "169.254.169.123", 40000, 123), want: ReasonTimeService},
		{name: "other ntp is mirrored", spec: openAll, dir: Egress, pkt: udp("10.0.0.5", "78.46.93.39", 60631, 123), want: ReasonMirrored},
		{name: "windows activation 250", spec: openAll, dir: Egress, pkt: tcp("10.0.0.5", "169.254.169.250", 49700, 1688), want: ReasonWindowsActivation},
		{name: "windows activation 251 reply", spec: openAll, pkt: tcp("169.254.169.251", "10.0.0.5", 1688, 49700), want: ReasonWindowsActivation},
		{name: "kms address other port", spec: openAll, dir: Egress, pkt: tcp("10.0.0.5", "169.254.169.250", 49700, 80), want: ReasonMirrored},
		{name: "kms port other address", spec: openAll, dir: Egress, pkt: tcp("10.0.0.5", "10.0.0.40", 49700, 1688), want: ReasonMirrored},
		{name: "amazon dns base+2", spec: openAll, dir: Egress, pkt: udp("10.0.0.5", "10.0.0.2", 47227, 53), want: ReasonAmazonDNS},
		{name: "amazon dns reply", spec: openAll, pkt: udp("10.0.0.2", "10.0.0.5", 53, 47227), want: ReasonAmazonDNS},
		{name: "amazon dns link-local", spec: openAll, dir: Egress, pkt: udp("10.0.0.5", "169.254.169.253", 47227, 53), want: ReasonAmazonDNS},
		{name: "amazon dns with network service", spec: func(s *Spec) {
			openAll(s)
			s.TrafficMirrorFilters[0].NetworkServices = []string{"amazon-dns"}
		}, dir: Egress, pkt: udp("10.0.0.5", "10.0.0.2", 47227, 53), want: ReasonMirrored},
		{name: "other dns server is mirrored", spec: openAll, dir: Egress, pkt: udp("10.0.0.5", "10.0.0.3", 47227, 53), want: ReasonMirrored},
		{name: "amazon dns by a later session with the service", spec: func(s *Spec) {
			openAll(s)
			s.TrafficMirrorFilters = append(s.TrafficMirrorFilters, &TrafficMirrorFilter{
				TrafficMirrorFilterId: "tmf-dns", NetworkServices: []string{"amazon-dns"},
				EgressFilterRules: []TrafficMirrorFilterRule{acceptAll(1)}})
			s.TrafficMirrorSessions = append(s.TrafficMirrorSessions, &TrafficMirrorSession{
				TrafficMirrorSessionId: "tms-dns", NetworkInterfaceId: "eni-web", TrafficMirrorTargetId: "tmt-adapter",
				TrafficMirrorFilterId: "tmf-dns", SessionNumber: 2})
		}, dir: Egress, pkt: udp("10.0.0.5", "10.0.0.2", 47227, 53), want: ReasonMirrored, session: "tms-dns"},
		{name: "ipv6 on aws is mirrored", spec: func(s *Spec) {
			openAll(s)
			r := TrafficMirrorFilterRule{RuleNumber: 200, RuleAction: "accept", SourceCidrBlock: "::/0", DestinationCidrBlock: "::/0"}
			s.TrafficMirrorFilters[0].EgressFilterRules = append(s.TrafficMirrorFilters[0].EgressFilterRules, r)
			s.SecurityGroups[0].IpPermissionsEgress[0].Ipv6Ranges = []Ipv6Range{{CidrIpv6: "::/0"}}
		}, dir: Egress, pkt: tcp("2001:db8::5", "2001:db8::9", 40000, 443), want: ReasonMirrored, rule: 200},
		{name: "ipv4 rule does not match ipv6", spec: openAll, dir: Egress, pkt: tcp("2001:db8::5", "2001:db8::9", 40000, 443), want: ReasonSourceSG},
		{name: "ipv6 on alibaba", spec: func(s *Spec) {
			openAll(s)
			s.Profile = "alibaba"
		}, dir: Egress, pkt: tcp("2001:db8::5", "2001:db8::9", 40000, 443), want: ReasonIPv6Unsupported},
		{name: "not ip", spec: openAll, pkt: Packet{ARP: true, Src: addr("10.0.0.1"), Dst: addr("10.0.0.5")}, want: ReasonARP},
	})
}

func TestDecideSourceDrops(t *testing.T) {
	naclPublic := func(entries ...NetworkAclEntry) func(*Spec) {
		return func(s *Spec) {
			s.NetworkAcls = append(s.NetworkAcls, NetworkAcl{NetworkAclId: "acl-public", VpcId: "vpc-1",
				Associations: []NetworkAclAssociation{{SubnetId: "subnet-public"}}, Entries: entries})
		}
	}
	allowAllIn := NetworkAclEntry{RuleNumber: 32000, Protocol: "-1", RuleAction: "allow", CidrBlock: "0.0.0.0/0"}
	runDecideCases(t, []decideCase{
		{name: "sg drops inbound ssh", pkt: tcp("203.0.113.9", "10.0.0.5", 40000, 22), want: ReasonSourceSG},
		{name: "sg allows return of outbound flow", prior: []Packet{tcp("10.0.0.5", "203.0.113.9", 40000, 22)},
			spec: func(s *Spec) {
				s.TrafficMirrorFilters[0].IngressFilterRules = append(s.TrafficMirrorFilters[0].IngressFilterRules, acceptAll(200))
			},
			pkt: tcp("203.0.113.9", "10.0.0.5", 22, 40000), want: ReasonMirrored, rule: 200},
		{name: "sg drops unsolicited reply", spec: func(s *Spec) {
			s.TrafficMirrorFilters[0].IngressFilterRules = append(s.TrafficMirrorFilters[0].IngressFilterRules, acceptAll(200))
		}, pkt: tcp("203.0.113.9", "10.0.0.5", 22, 40000), want: ReasonSourceSG},
		{name: "nacl deny rule", spec: naclPublic(
			NetworkAclEntry{RuleNumber: 10, Protocol: "tcp", RuleAction: "deny", CidrBlock: "203.0.113.0/24", PortRange: &PortRange{From: 80, To: 80}},
			allowAllIn,
		), pkt: tcp("203.0.113.9", "10.0.0.5", 40000, 80), want: ReasonSourceNACL, rule: 10},
		{name: "nacl first match by number", spec: naclPublic(
			NetworkAclEntry{RuleNumber: 20, Protocol: "tcp", RuleAction: "deny", CidrBlock: "203.0.113.0/24"},
			NetworkAclEntry{RuleNumber: 10, Protocol: "tcp", RuleAction: "allow", CidrBlock: "203.0.113.0/24"},
		), pkt: tcp("203.0.113.9", "10.0.0.5", 40000, 80), want: ReasonMirrored},
		{name: "nacl default deny", spec: naclPublic(
			NetworkAclEntry{RuleNumber: 10, Protocol: "udp", RuleAction: "allow", CidrBlock: "0.0.0.0/0"},
		), pkt: tcp("203.0.113.9", "10.0.0.5", 40000, 80), want: ReasonSourceNACL},
		{name: "nacl not applied inside the subnet", spec: naclPublic(), pkt: tcp("10.0.0.9", "10.0.0.5", 40000, 80), want: ReasonMirrored},
		{name: "nacl outbound", dir: Egress, spec: func(s *Spec) {
			naclPublic(allowAllIn)(s)
			s.TrafficMirrorFilters[0].EgressFilterRules = []TrafficMirrorFilterRule{acceptAll(1)}
		}, pkt: tcp("10.0.0.5", "203.0.113.9", 80, 40000), want: ReasonSourceNACL},
	})
}

func TestDecideSessionsAndRules(t *testing.T) {
	// Three sessions on eni-web, listed out of order; session numbers 3, 1, 2.
	three := func(rb string, rules1 ...TrafficMirrorFilterRule) func(*Spec) {
		return func(s *Spec) {
			openAll(s)
			s.RejectBehavior = rb
			s.TrafficMirrorFilters = append(s.TrafficMirrorFilters,
				&TrafficMirrorFilter{TrafficMirrorFilterId: "tmf-1", IngressFilterRules: rules1},
				&TrafficMirrorFilter{TrafficMirrorFilterId: "tmf-3", IngressFilterRules: []TrafficMirrorFilterRule{acceptAll(1)}})
			s.TrafficMirrorSessions = []*TrafficMirrorSession{
				{TrafficMirrorSessionId: "tms-3", NetworkInterfaceId: "eni-web", TrafficMirrorTargetId: "tmt-adapter", TrafficMirrorFilterId: "tmf-3", SessionNumber: 3},
				{TrafficMirrorSessionId: "tms-1", NetworkInterfaceId: "eni-web", TrafficMirrorTargetId: "tmt-adapter", TrafficMirrorFilterId: "tmf-1", SessionNumber: 1},
				{TrafficMirrorSessionId: "tms-2", NetworkInterfaceId: "eni-web", TrafficMirrorTargetId: "tmt-adapter", TrafficMirrorFilterId: "tmf-web", SessionNumber: 2},
			}
		}
	}
	web := tcp("203.0.113.9", "10.0.0.5", 40000, 80)
	rejectWeb := TrafficMirrorFilterRule{RuleNumber: 10, RuleAction: "reject", Protocol: encap.ProtoTCP, SourceCidrBlock: "0.0.0.0/0", DestinationCidrBlock: "0.0.0.0/0",
		DestinationPortRange: &TrafficMirrorPortRange{FromPort: 80, ToPort: 80}}
	acceptTCP := TrafficMirrorFilterRule{RuleNumber: 20, RuleAction: "accept", Protocol: encap.ProtoTCP, SourceCidrBlock: "0.0.0.0/0", DestinationCidrBlock: "0.0.0.0/0"}
	runDecideCases(t, []decideCase{
		{name: "lowest session number first", spec: three("", acceptAll(5)), pkt: web, want: ReasonMirrored, session: "tms-1", rule: 5},
		{name: "no match falls to next session", spec: three("", TrafficMirrorFilterRule{RuleNumber: 5, RuleAction: "accept", Protocol: encap.ProtoUDP,
			SourceCidrBlock: "0.0.0.0/0", DestinationCidrBlock: "0.0.0.0/0"}), pkt: web, want: ReasonMirrored, session: "tms-2", rule: 100},
		{name: "reject stops", spec: three("reject-stops", rejectWeb), pkt: web, want: ReasonRejected, session: "tms-1", rule: 10},
		{name: "reject stops is the default", spec: three("", rejectWeb), pkt: web, want: ReasonRejected, session: "tms-1", rule: 10},
		{name: "reject falls through", spec: three("reject-falls-through", rejectWeb), pkt: web, want: ReasonMirrored, session: "tms-2", rule: 100},
		{name: "first rule by number decides reject", spec: three("", acceptTCP, rejectWeb), pkt: web, want: ReasonRejected, session: "tms-1", rule: 10},
		{name: "first rule by number decides accept", spec: three("", func() TrafficMirrorFilterRule {
			r := acceptTCP
			r.RuleNumber = 5
			return r
		}(), rejectWeb), pkt: web, want: ReasonMirrored, session: "tms-1", rule: 5},
		{name: "source cidr", spec: three("", TrafficMirrorFilterRule{RuleNumber: 5, RuleAction: "reject", SourceCidrBlock: "198.51.100.0/24", DestinationCidrBlock: "0.0.0.0/0"}),
			pkt: tcp("198.51.100.7", "10.0.0.5", 1, 80), want: ReasonRejected, session: "tms-1", rule: 5},
		{name: "destination cidr", spec: three("", TrafficMirrorFilterRule{RuleNumber: 5, RuleAction: "reject", SourceCidrBlock: "0.0.0.0/0", DestinationCidrBlock: "10.0.0.6/32"}),
			pkt: web, want: ReasonMirrored, session: "tms-2", rule: 100},
		{name: "source port range", spec: three("", TrafficMirrorFilterRule{RuleNumber: 5, RuleAction: "reject", Protocol: encap.ProtoTCP, SourceCidrBlock: "0.0.0.0/0", DestinationCidrBlock: "0.0.0.0/0",
			SourcePortRange: &TrafficMirrorPortRange{FromPort: 39000, ToPort: 40000}}), pkt: web, want: ReasonRejected, rule: 5},
		{name: "port rule does not match icmp", spec: three("", rejectWeb), pkt: Packet{Proto: encap.ProtoICMP, Src: addr("203.0.113.9"), Dst: addr("10.0.0.5"), ICMPType: 8},
			want: ReasonMirrored, session: "tms-2", rule: 100},
		{name: "egress rules for egress", dir: Egress, spec: three("", rejectWeb), pkt: tcp("10.0.0.5", "203.0.113.9", 80, 40000), want: ReasonMirrored, session: "tms-2"},
		{name: "no rule matched", spec: func(s *Spec) {
			openAll(s)
			s.TrafficMirrorFilters[0].IngressFilterRules = []TrafficMirrorFilterRule{{RuleNumber: 1, RuleAction: "accept", Protocol: encap.ProtoUDP, SourceCidrBlock: "0.0.0.0/0", DestinationCidrBlock: "0.0.0.0/0"}}
		}, pkt: web, want: ReasonNoRuleMatched},
		{name: "no session", eni: "eni-test", pkt: tcp("203.0.113.9", "10.0.0.36", 40000, 80), want: ReasonNoSession},
	})
}

func TestDecideMalformedAndUnknown(t *testing.T) {
	m := mustNew(t, walkthroughSpec())
	ref := mustENI(t, m, "eni-web")
	good := frame(t, tcp("203.0.113.9", "10.0.0.5", 40000, 80))
	for _, n := range []int{0, 13, 14, 20, 33} {
		if d := m.Decide(ref, Ingress, good[:n]); d.Reason != ReasonMalformed {
			t.Errorf("frame cut at %d: reason %v, want malformed", n, d.Reason)
		}
	}
	// Cut inside the TCP header: IP is whole, ports unknown: the port rule
	// cannot match.
	if d := m.Decide(ref, Ingress, good[:14+20+3]); d.Reason != ReasonSourceSG && d.Reason != ReasonNoRuleMatched {
		t.Errorf("frame cut in TCP header: reason %v", d.Reason)
	}
	if d := m.Decide(ENIRef(99), Ingress, good); d.Reason != ReasonUnknownENI {
		t.Errorf("unknown ENI: reason %v", d.Reason)
	}
	if d := m.Decide(NoENI, Ingress, good); d.Reason != ReasonUnknownENI {
		t.Errorf("NoENI: reason %v", d.Reason)
	}
}

func TestDecideFragmentAndVLAN(t *testing.T) {
	s := walkthroughSpec()
	m := mustNew(t, s)
	ref := mustENI(t, m, "eni-web")
	f := frame(t, tcp("203.0.113.9", "10.0.0.5", 40000, 80))
	// A non-first fragment has no ports: the port-80 rule cannot match it,
	// and the security group's port rule cannot allow it.
	frag := append([]byte(nil), f...)
	frag[14+6], frag[14+7] = 0x00, 0x10
	if d := m.Decide(ref, Ingress, frag); d.Mirrored || !d.Flow.Fragment {
		t.Errorf("fragment: %s (fragment %v)", d, d.Flow.Fragment)
	}
	// The same packet behind an 802.1Q tag is parsed through the tag.
	tagged := append(append(append([]byte(nil), f[:12]...), 0x81, 0x00, 0x00, 0x05), f[12:]...)
	if d := m.Decide(ref, Ingress, tagged); !d.Mirrored || d.Flow.L3Offset != 18 {
		t.Errorf("vlan: %s (L3 offset %d)", d, d.Flow.L3Offset)
	}
}

func TestDecisionString(t *testing.T) {
	m := mustNew(t, walkthroughSpec())
	ref := mustENI(t, m, "eni-web")
	d := m.Decide(ref, Ingress, frame(t, tcp("203.0.113.9", "10.0.0.5", 40000, 80)))
	want := "tcp 203.0.113.9:40000 -> 10.0.0.5:80 ingress at eni-web: mirrored by session tms-web (number 1, rule 100 accept) to target tmt-adapter, VNI 1, outer 10.0.0.5:"
	if got := d.String(); len(got) < len(want) || got[:len(want)] != want {
		t.Errorf("String:\n got %s\nwant %s...", got, want)
	}
	d = m.Decide(ref, Ingress, frame(t, tcp("203.0.113.9", "10.0.0.5", 40000, 22)))
	if got, want := d.String(), "tcp 203.0.113.9:40000 -> 10.0.0.5:22 ingress at eni-web: not mirrored: dropped at the source by its security groups (sg-web, ...)"; got != want {
		t.Errorf("String:\n got %s\nwant %s", got, want)
	}
}

func TestDecideZeroAlloc(t *testing.T) {
	m := mustNew(t, benchSpec())
	ref := mustENI(t, m, "eni-web")
	f := frame(t, tcp("203.0.113.9", "10.0.0.5", 40000, 80))
	buf := make([]byte, 0, 2048)
	var d Decision
	allocs := testing.AllocsPerRun(1000, func() {
		m.DecideInto(&d, ref, Ingress, f)
		dl := m.Deliver(&d)
		buf = d.AppendFrame(buf[:0], FrameHeader{Dst: dl.To}, f)
		m.CountMirrored(&d, len(f))
		m.CountDelivery(&d, &dl)
	})
	if !d.Mirrored {
		t.Fatalf("not mirrored: %s", d)
	}
	if allocs != 0 {
		t.Errorf("decide+deliver+encapsulate+count: %v allocs per packet, want 0", allocs)
	}
}
