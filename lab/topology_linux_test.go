package lab_test

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/sim"
	"github.com/mirrorlab/mirrorlab/lab"
)

// TestTopologyOf checks the one derivation of a lab's network from the
// model: fabrics per VPC with their subnets, an instance per InstanceId
// with its interfaces in order, unattached interfaces left out, load
// balancers as appliances (an ARN made a name), active peerings only,
// transit gateways with their attached VPCs.
func TestTopologyOf(t *testing.T) {
	s := cloudmock.Spec{
		Vpcs: []cloudmock.Vpc{{VpcId: "vpc-a", CidrBlock: "10.0.0.0/16"}, {VpcId: "vpc-b", CidrBlock: "10.1.0.0/16", Ipv6CidrBlock: "2600:1f18::/56"}, {VpcId: "vpc-c", CidrBlock: "10.2.0.0/16"}},
		Subnets: []cloudmock.Subnet{{SubnetId: "sn-a", VpcId: "vpc-a", CidrBlock: "10.0.1.0/24"},
			{SubnetId: "sn-b", VpcId: "vpc-b", CidrBlock: "10.1.1.0/24", Ipv6CidrBlock: "2600:1f18::/64"}},
		VpcPeeringConnections: []cloudmock.VpcPeeringConnection{
			{VpcPeeringConnectionId: "pcx-1", RequesterVpcInfo: cloudmock.VpcPeeringConnectionVpcInfo{VpcId: "vpc-a"}, AccepterVpcInfo: cloudmock.VpcPeeringConnectionVpcInfo{VpcId: "vpc-b"}},
			{VpcPeeringConnectionId: "pcx-2", RequesterVpcInfo: cloudmock.VpcPeeringConnectionVpcInfo{VpcId: "vpc-a"}, AccepterVpcInfo: cloudmock.VpcPeeringConnectionVpcInfo{VpcId: "vpc-b"},
				Status: &cloudmock.VpcPeeringConnectionStateReason{Code: cloudmock.PeeringPendingAcceptance}}},
		TransitGateways:              []cloudmock.TransitGateway{{TransitGatewayId: "tgw-1"}},
		TransitGatewayVpcAttachments: []cloudmock.TransitGatewayVpcAttachment{{TransitGatewayAttachmentId: "att-1", TransitGatewayId: "tgw-1", VpcId: "vpc-c"}, {TransitGatewayAttachmentId: "att-2", TransitGatewayId: "tgw-1", VpcId: "vpc-b"}},
		NetworkInterfaces: []cloudmock.NetworkInterface{
			{NetworkInterfaceId: "eni-1", SubnetId: "sn-a", PrivateIpAddress: "10.0.1.10", InstanceId: "i-1"},
			{NetworkInterfaceId: "eni-free", SubnetId: "sn-a", PrivateIpAddress: "10.0.1.20"},
			{NetworkInterfaceId: "eni-2", SubnetId: "sn-b", PrivateIpAddress: "10.1.1.10", Ipv6Address: "2600:1f18::10", InstanceId: "i-2", Mtu: 1500},
			{NetworkInterfaceId: "eni-3", SubnetId: "sn-a", PrivateIpAddress: "10.0.1.11", InstanceId: "i-1"},
		},
		LoadBalancers: []cloudmock.LoadBalancer{{LoadBalancerArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/web/50dc6c495c0c9188",
			Type: "network", SubnetId: "sn-b", PrivateIpAddress: "10.1.1.50"}},
	}
	got, err := lab.TopologyOf(s)
	if err != nil {
		t.Fatal(err)
	}
	ip := netip.MustParseAddr
	pf := netip.MustParsePrefix
	want := sim.Topology{
		VPCs: []sim.VPCSpec{
			{Name: "vpc-a", CIDR: pf("10.0.0.0/16"), Subnets: []sim.SubnetSpec{{Name: "sn-a", CIDR: pf("10.0.1.0/24")}}},
			{Name: "vpc-b", CIDR: pf("10.1.0.0/16"), IPv6CIDR: pf("2600:1f18::/56"),
				Subnets: []sim.SubnetSpec{{Name: "sn-b", CIDR: pf("10.1.1.0/24"), IPv6CIDR: pf("2600:1f18::/64")}}},
			{Name: "vpc-c", CIDR: pf("10.2.0.0/16")},
		},
		Instances: []sim.InstanceSpec{
			{Name: "i-1", VPC: "vpc-a", ENIs: []sim.ENISpec{{Name: "eth0", Subnet: "sn-a", IP: ip("10.0.1.10")}, {Name: "eth1", Subnet: "sn-a", IP: ip("10.0.1.11")}}},
			{Name: "i-2", VPC: "vpc-b", ENIs: []sim.ENISpec{{Name: "eth0", Subnet: "sn-b", IP: ip("10.1.1.10"), IPv6: ip("2600:1f18::10"), MTU: 1500}}},
			{Name: "lb-50dc6c495c0c9188", VPC: "vpc-b", Appliance: true, ENIs: []sim.ENISpec{{Name: "eth0", Subnet: "sn-b", IP: ip("10.1.1.50")}}},
		},
		Peerings:        []sim.PeeringSpec{{Name: "pcx-1", VPCs: [2]string{"vpc-a", "vpc-b"}}},
		TransitGateways: []sim.TransitGatewaySpec{{Name: "tgw-1", VPCs: []string{"vpc-c", "vpc-b"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("TopologyOf\n got %+v\nwant %+v", got, want)
	}
	if _, err := got.Resolve(); err != nil {
		t.Errorf("the derived topology does not resolve: %v", err)
	}
	s.NetworkInterfaces[0].PrivateIpAddress = "10.0.1"
	if _, err := lab.TopologyOf(s); err == nil || !strings.Contains(err.Error(), "eni-1 PrivateIpAddress") {
		t.Errorf("a bad address: got %v, want an error naming eni-1 PrivateIpAddress", err)
	}
	// the first bad value in the model's order is named, with its resource
	s.Subnets[1].Ipv6CidrBlock = "2600:1f18::/129"
	s.LoadBalancers[0].PrivateIpAddress = "x"
	if _, err := lab.TopologyOf(s); err == nil || !strings.HasPrefix(err.Error(), "subnet sn-b Ipv6CidrBlock: ") {
		t.Errorf("bad subnet and interface: got %v, want the subnet's error", err)
	}
	s.Subnets[1].Ipv6CidrBlock, s.NetworkInterfaces[0].PrivateIpAddress = "2600:1f18::/64", "10.0.1.10"
	if _, err := lab.TopologyOf(s); err == nil || !strings.HasPrefix(err.Error(), "load balancer ") || !strings.Contains(err.Error(), " PrivateIpAddress: ") {
		t.Errorf("bad load balancer address: got %v", err)
	}
}
