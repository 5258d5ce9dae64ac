package labfollow

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// fleetSpec is a VPC whose one subnet (a /20) holds n instances (i-0 …
// i-<n-1>, from 10.0.0.10 up) and a mirror target instance (i-tgt).
func fleetSpec(n int) cloudmock.Spec {
	s := cloudmock.Spec{Profile: "aws", Vpcs: []cloudmock.Vpc{{VpcId: "vpc-1", CidrBlock: "10.0.0.0/16"}},
		Subnets: []cloudmock.Subnet{{SubnetId: "subnet-a", VpcId: "vpc-1", CidrBlock: "10.0.0.0/20"}}}
	s = withInstance(s, "i-tgt", "subnet-a", "10.0.0.5")
	for i := range n {
		s = withInstance(s, fmt.Sprintf("i-%d", i), "subnet-a", fleetAddr(i).String())
	}
	return s
}

// fleetAddr is 10.0.0.10 + i.
func fleetAddr(i int) netip.Addr {
	a := netip.MustParseAddr("10.0.0.10").As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3]) + uint32(i)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// withInstance adds instance id with one ENI (eni-<id>) at addr.
func withInstance(s cloudmock.Spec, id, subnet, addr string) cloudmock.Spec {
	s.NetworkInterfaces = append(slices.Clone(s.NetworkInterfaces), cloudmock.NetworkInterface{
		NetworkInterfaceId: "eni-" + id, SubnetId: subnet, PrivateIpAddress: addr, InstanceId: id})
	return s
}

// withSession mirrors what eni-<src> receives (UDP) to eni-<dst>, VNI vni.
func withSession(s cloudmock.Spec, src, dst string, vni int) cloudmock.Spec {
	s.TrafficMirrorFilters = []*cloudmock.TrafficMirrorFilter{{TrafficMirrorFilterId: "tmf-1", IngressFilterRules: []cloudmock.TrafficMirrorFilterRule{
		{RuleNumber: 100, RuleAction: "accept", Protocol: 17, SourceCidrBlock: "0.0.0.0/0", DestinationCidrBlock: "0.0.0.0/0"}}}}
	s.TrafficMirrorTargets = []*cloudmock.TrafficMirrorTarget{{TrafficMirrorTargetId: "tmt-1", NetworkInterfaceId: "eni-" + dst}}
	s.TrafficMirrorSessions = append(slices.Clone(s.TrafficMirrorSessions), &cloudmock.TrafficMirrorSession{
		TrafficMirrorSessionId: "tms-" + src, NetworkInterfaceId: "eni-" + src, TrafficMirrorTargetId: "tmt-1",
		TrafficMirrorFilterId: "tmf-1", SessionNumber: 1, VirtualNetworkId: new(vni)})
	return s
}
