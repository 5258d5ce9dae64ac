package cloudmock

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/encap"
)

// The reference walk-through: VPC 10.0.0.0/24 cut into /28s (public,
// adapter, test); the production web server's ENI is the source, the
// adapter's ENI the target, a filter accepts inbound TCP to port 80, VNI 1.
func walkthroughSpec() Spec {
	return Spec{
		Vpcs: []Vpc{{VpcId: "vpc-1", CidrBlock: "10.0.0.0/24"}},
		Subnets: []Subnet{
			{SubnetId: "subnet-public", VpcId: "vpc-1", CidrBlock: "10.0.0.0/28"},
			{SubnetId: "subnet-adapter", VpcId: "vpc-1", CidrBlock: "10.0.0.16/28"},
			{SubnetId: "subnet-test", VpcId: "vpc-1", CidrBlock: "10.0.0.32/28"},
		},
		SecurityGroups: []SecurityGroup{
			{GroupId: "sg-web", VpcId: "vpc-1",
				IpPermissions:       []IpPermission{{IpProtocol: "tcp", FromPort: 80, ToPort: 80, IpRanges: []IpRange{{CidrIp: "0.0.0.0/0"}}}},
				IpPermissionsEgress: []IpPermission{{IpProtocol: "-1", IpRanges: []IpRange{{CidrIp: "0.0.0.0/0"}}}}},
			{GroupId: "sg-adapter", VpcId: "vpc-1",
				IpPermissions:       []IpPermission{{IpProtocol: "udp", FromPort: 4789, ToPort: 4789, UserIdGroupPairs: []UserIdGroupPair{{GroupId: "sg-web"}}}},
				IpPermissionsEgress: []IpPermission{{IpProtocol: "-1", IpRanges: []IpRange{{CidrIp: "0.0.0.0/0"}}}}},
		},
		NetworkAcls: []NetworkAcl{
			{NetworkAclId: "acl-adapter", VpcId: "vpc-1",
				Associations: []NetworkAclAssociation{{SubnetId: "subnet-adapter"}},
				Entries: []NetworkAclEntry{
					{RuleNumber: 100, Protocol: "udp", RuleAction: "allow", CidrBlock: "10.0.0.0/28", PortRange: &PortRange{From: 4789, To: 4789}},
					{RuleNumber: 100, Egress: true, Protocol: "-1", RuleAction: "allow", CidrBlock: "0.0.0.0/0"},
				}},
		},
		NetworkInterfaces: []NetworkInterface{
			{NetworkInterfaceId: "eni-web", SubnetId: "subnet-public", PrivateIpAddress: "10.0.0.5", Groups: []string{"sg-web"}},
			{NetworkInterfaceId: "eni-adapter", SubnetId: "subnet-adapter", PrivateIpAddress: "10.0.0.20", Groups: []string{"sg-adapter"}},
			{NetworkInterfaceId: "eni-test", SubnetId: "subnet-test", PrivateIpAddress: "10.0.0.36"},
		},
		TrafficMirrorFilters: []*TrafficMirrorFilter{{
			TrafficMirrorFilterId: "tmf-web",
			IngressFilterRules: []TrafficMirrorFilterRule{{
				RuleNumber: 100, RuleAction: "accept", Protocol: encap.ProtoTCP,
				SourceCidrBlock: "0.0.0.0/0", DestinationCidrBlock: "0.0.0.0/0",
				DestinationPortRange: &TrafficMirrorPortRange{FromPort: 80, ToPort: 80},
			}},
		}},
		TrafficMirrorTargets: []*TrafficMirrorTarget{{TrafficMirrorTargetId: "tmt-adapter", NetworkInterfaceId: "eni-adapter"}},
		TrafficMirrorSessions: []*TrafficMirrorSession{{
			TrafficMirrorSessionId: "tms-web", NetworkInterfaceId: "eni-web",
			TrafficMirrorTargetId: "tmt-adapter", TrafficMirrorFilterId: "tmf-web",
			SessionNumber: 1, VirtualNetworkId: new(1),
		}},
	}
}

// acceptAll is a rule accepting every IPv4 packet.
func acceptAll(n int) TrafficMirrorFilterRule {
	return TrafficMirrorFilterRule{RuleNumber: n, RuleAction: "accept", SourceCidrBlock: "0.0.0.0/0", DestinationCidrBlock: "0.0.0.0/0"}
}

func mustNew(tb testing.TB, s Spec, opts ...Option) *Model {
	tb.Helper()
	m, err := New(s, opts...)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return m
}

func mustENI(tb testing.TB, m *Model, id string) ENIRef {
	tb.Helper()
	r, ok := m.ENI(id)
	if !ok {
		tb.Fatalf("no ENI %s", id)
	}
	return r
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

func frame(tb testing.TB, p Packet) []byte {
	tb.Helper()
	b, err := BuildFrame(p)
	if err != nil {
		tb.Fatalf("BuildFrame: %v", err)
	}
	return b
}

func tcp(src, dst string, sport, dport uint16) Packet {
	return Packet{Proto: encap.ProtoTCP, Src: addr(src), Dst: addr(dst), SrcPort: sport, DstPort: dport}
}

func udp(src, dst string, sport, dport uint16) Packet {
	return Packet{Proto: encap.ProtoUDP, Src: addr(src), Dst: addr(dst), SrcPort: sport, DstPort: dport}
}

// validationErrors unpacks Validate's joined error.
func validationErrors(tb testing.TB, err error) []*ValidationError {
	tb.Helper()
	if err == nil {
		return nil
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		tb.Fatalf("error is not joined: %v", err)
	}
	var out []*ValidationError
	for _, e := range j.Unwrap() {
		var ve *ValidationError
		if !errors.As(e, &ve) {
			tb.Fatalf("not a *ValidationError: %v", e)
		}
		out = append(out, ve)
	}
	return out
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }
