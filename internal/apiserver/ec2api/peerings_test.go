package ec2api

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/encap"

	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

const (
	vpcInsp    = "vpc-0000000000000000b"
	vpcOverlap = "vpc-0000000000000000c"
	subInsp    = "subnet-0000000000000000d"
	eniInsp    = "eni-0000000000000000f"
)

// peeringSpec is the fixture with an inspection VPC (10.9.0.0/24, one
// collector ENI) and a VPC whose CIDR overlaps the fixture's.
func peeringSpec() cloudmock.Spec {
	s := fixtureSpec()
	s.Vpcs = append(s.Vpcs, cloudmock.Vpc{VpcId: vpcInsp, CidrBlock: "10.9.0.0/24"}, cloudmock.Vpc{VpcId: vpcOverlap, CidrBlock: "10.0.0.0/16"})
	s.Subnets = append(s.Subnets, cloudmock.Subnet{SubnetId: subInsp, VpcId: vpcInsp, CidrBlock: "10.9.0.16/28"})
	s.NetworkInterfaces = append(s.NetworkInterfaces, cloudmock.NetworkInterface{NetworkInterfaceId: eniInsp, SubnetId: subInsp, PrivateIpAddress: "10.9.0.20"})
	return s
}

// TestVpcPeeringConnections drives a peering through its life with the
// SDK: created pending (copies to the other VPC have no route), accepted
// (they are delivered through it), described with filters, refused for
// overlapping CIDRs, another account or Region, and deleted.
func TestVpcPeeringConnections(t *testing.T) {
	s, c := testServer(t, Config{Spec: peeringSpec()})
	// A session from web (fixture VPC) to the collector in the inspection VPC.
	f := must(c.CreateTrafficMirrorFilter(ctx, &ec2.CreateTrafficMirrorFilterInput{}))(t).TrafficMirrorFilter.TrafficMirrorFilterId
	must(c.CreateTrafficMirrorFilterRule(ctx, &ec2.CreateTrafficMirrorFilterRuleInput{TrafficMirrorFilterId: f,
		TrafficDirection: types.TrafficDirectionIngress, RuleNumber: aws.Int32(100), RuleAction: types.TrafficMirrorRuleActionAccept,
		SourceCidrBlock: aws.String("0.0.0.0/0"), DestinationCidrBlock: aws.String("0.0.0.0/0")}))(t)
	tgt := must(c.CreateTrafficMirrorTarget(ctx, &ec2.CreateTrafficMirrorTargetInput{NetworkInterfaceId: aws.String(eniInsp)}))(t).TrafficMirrorTarget.TrafficMirrorTargetId
	must(c.CreateTrafficMirrorSession(ctx, &ec2.CreateTrafficMirrorSessionInput{NetworkInterfaceId: aws.String(eniWeb),
		TrafficMirrorTargetId: tgt, TrafficMirrorFilterId: f, SessionNumber: aws.Int32(1)}))(t)
	delivery := func() cloudmock.DeliveryReason {
		t.Helper()
		m, err := cloudmock.New(s.Spec())
		if err != nil {
			t.Fatal(err)
		}
		ref, _ := m.ENI(eniWeb)
		fr, err := cloudmock.BuildFrame(cloudmock.Packet{Proto: encap.ProtoTCP, Src: netip.MustParseAddr("203.0.113.9"), Dst: netip.MustParseAddr("10.0.0.5"), SrcPort: 4000, DstPort: 80})
		if err != nil {
			t.Fatal(err)
		}
		d := m.Decide(ref, cloudmock.Ingress, fr)
		return m.Deliver(&d).Reason
	}
	if r := delivery(); r != cloudmock.NoRouteToTarget {
		t.Fatalf("before any peering: %v, want no-route-to-target", r)
	}

	out := must(c.CreateVpcPeeringConnection(ctx, &ec2.CreateVpcPeeringConnectionInput{VpcId: aws.String(vpcID), PeerVpcId: aws.String(vpcInsp),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeVpcPeeringConnection, Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("to-inspection")}}}}}))(t)
	pc := out.VpcPeeringConnection
	id := aws.ToString(pc.VpcPeeringConnectionId)
	if !strings.HasPrefix(id, "pcx-") || pc.Status.Code != types.VpcPeeringConnectionStateReasonCodePendingAcceptance ||
		aws.ToString(pc.RequesterVpcInfo.VpcId) != vpcID || aws.ToString(pc.AccepterVpcInfo.CidrBlock) != "10.9.0.0/24" ||
		aws.ToString(pc.AccepterVpcInfo.Region) != "us-east-1" || len(pc.Tags) != 1 {
		t.Fatalf("created %+v (status %+v)", pc, pc.Status)
	}
	if r := delivery(); r != cloudmock.NoRouteToTarget {
		t.Fatalf("pending acceptance: %v, want no-route-to-target", r)
	}
	acc := must(c.AcceptVpcPeeringConnection(ctx, &ec2.AcceptVpcPeeringConnectionInput{VpcPeeringConnectionId: aws.String(id)}))(t)
	if acc.VpcPeeringConnection.Status.Code != types.VpcPeeringConnectionStateReasonCodeActive {
		t.Fatalf("accepted: %+v", acc.VpcPeeringConnection.Status)
	}
	if r := delivery(); r != cloudmock.Delivered {
		t.Fatalf("active: %v, want delivered", r)
	}
	_, err := c.AcceptVpcPeeringConnection(ctx, &ec2.AcceptVpcPeeringConnectionInput{VpcPeeringConnectionId: aws.String(id)})
	wantCode(t, err, codeInvalidStateTransition)

	ids := func(fs ...types.Filter) (out []string) {
		t.Helper()
		for _, p := range must(c.DescribeVpcPeeringConnections(ctx, &ec2.DescribeVpcPeeringConnectionsInput{Filters: fs}))(t).VpcPeeringConnections {
			out = append(out, aws.ToString(p.VpcPeeringConnectionId))
		}
		return out
	}
	sameIDs(t, "all", ids(), []string{id})
	sameIDs(t, "status-code", ids(filter("status-code", "active")...), []string{id})
	sameIDs(t, "status-code pending", ids(filter("status-code", "pending-acceptance")...), nil)
	sameIDs(t, "accepter", ids(filter("accepter-vpc-info.vpc-id", vpcInsp)...), []string{id})
	sameIDs(t, "requester cidr", ids(filter("requester-vpc-info.cidr-block", "10.0.0.0/24")...), []string{id})
	sameIDs(t, "tag", ids(filter("tag:Name", "to-inspection")...), []string{id})
	_, err = c.DescribeVpcPeeringConnections(ctx, &ec2.DescribeVpcPeeringConnectionsInput{VpcPeeringConnectionIds: []string{"pcx-00000000000000099"}})
	wantCode(t, err, codes.PeeringNotFound)

	// refused: a second active one, overlapping CIDRs, unknown VPC, another account or Region
	second := must(c.CreateVpcPeeringConnection(ctx, &ec2.CreateVpcPeeringConnectionInput{VpcId: aws.String(vpcInsp), PeerVpcId: aws.String(vpcID)}))(t)
	_, err = c.AcceptVpcPeeringConnection(ctx, &ec2.AcceptVpcPeeringConnectionInput{VpcPeeringConnectionId: second.VpcPeeringConnection.VpcPeeringConnectionId})
	wantCode(t, err, codes.PeeringExists)
	must(c.RejectVpcPeeringConnection(ctx, &ec2.RejectVpcPeeringConnectionInput{VpcPeeringConnectionId: second.VpcPeeringConnection.VpcPeeringConnectionId}))(t)
	sameIDs(t, "rejected", ids(filter("status-code", "rejected")...), []string{aws.ToString(second.VpcPeeringConnection.VpcPeeringConnectionId)})
	_, err = c.CreateVpcPeeringConnection(ctx, &ec2.CreateVpcPeeringConnectionInput{VpcId: aws.String(vpcID), PeerVpcId: aws.String(vpcOverlap)})
	wantCode(t, err, codes.InvalidParameterValue)
	_, err = c.CreateVpcPeeringConnection(ctx, &ec2.CreateVpcPeeringConnectionInput{VpcId: aws.String(vpcID), PeerVpcId: aws.String("vpc-00000000000000099")})
	wantCode(t, err, codes.VpcNotFound)
	_, err = c.CreateVpcPeeringConnection(ctx, &ec2.CreateVpcPeeringConnectionInput{VpcId: aws.String(vpcID), PeerVpcId: aws.String(vpcInsp), PeerOwnerId: aws.String("210987654321")})
	wantCode(t, err, codeUnsupported)
	_, err = c.CreateVpcPeeringConnection(ctx, &ec2.CreateVpcPeeringConnectionInput{VpcId: aws.String(vpcID), PeerVpcId: aws.String(vpcInsp), PeerRegion: aws.String("eu-west-1")})
	wantCode(t, err, codeUnsupported)

	must(c.DeleteVpcPeeringConnection(ctx, &ec2.DeleteVpcPeeringConnectionInput{VpcPeeringConnectionId: aws.String(id)}))(t)
	if r := delivery(); r != cloudmock.NoRouteToTarget {
		t.Fatalf("deleted: %v, want no-route-to-target", r)
	}
	_, err = c.DeleteVpcPeeringConnection(ctx, &ec2.DeleteVpcPeeringConnectionInput{VpcPeeringConnectionId: aws.String(id)})
	wantCode(t, err, codes.PeeringNotFound)
}
