package ec2api

import (
	"fmt"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// peeredVpcs creates two VPCs and an active peering between them.
func peeredVpcs(t *testing.T, c *ec2.Client) (a, b, pcx string) {
	t.Helper()
	a, b = aws.ToString(createVpc(t, c, "10.1.0.0/16").VpcId), aws.ToString(createVpc(t, c, "10.2.0.0/16").VpcId)
	pcx = aws.ToString(must(c.CreateVpcPeeringConnection(ctx, &ec2.CreateVpcPeeringConnectionInput{VpcId: aws.String(a), PeerVpcId: aws.String(b)}))(t).VpcPeeringConnection.VpcPeeringConnectionId)
	must(c.AcceptVpcPeeringConnection(ctx, &ec2.AcceptVpcPeeringConnectionInput{VpcPeeringConnectionId: aws.String(pcx)}))(t)
	return a, b, pcx
}

func TestRouteTableLifecycle(t *testing.T) {
	_, c, applied := newAccountServer(t)
	a, _, pcx := peeredVpcs(t, c)
	sn := aws.ToString(createSubnet(t, c, a, "10.1.1.0/24", "us-east-1a").SubnetId)
	rt := *must(c.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: aws.String(a),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeRouteTable, Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("app")}}}}}))(t).RouteTable
	id := aws.ToString(rt.RouteTableId)
	if len(id) != len("rtb-")+17 || len(rt.Routes) != 1 || len(rt.Associations) != 0 || len(rt.Tags) != 1 {
		t.Fatalf("CreateRouteTable answered %+v", rt)
	}
	must(c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: aws.String(id), DestinationCidrBlock: aws.String("10.2.0.0/16"), VpcPeeringConnectionId: aws.String(pcx)}))(t)
	assoc := must(c.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: aws.String(id), SubnetId: aws.String(sn)}))(t)
	if assoc.AssociationState.State != types.RouteTableAssociationStateCodeAssociated {
		t.Fatalf("AssociateRouteTable answered %+v", assoc)
	}
	got := must(c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{fl("association.subnet-id", sn)}}))(t).RouteTables
	if len(got) != 1 || aws.ToString(got[0].RouteTableId) != id || len(got[0].Routes) != 2 ||
		aws.ToString(got[0].Routes[1].VpcPeeringConnectionId) != pcx || got[0].Routes[1].State != types.RouteStateActive {
		t.Fatalf("the subnet's table: %+v", got)
	}
	if i := findRouteTable(applied, id); i < 0 || len(applied.RouteTables[i].Routes) != 1 || len(applied.RouteTables[i].Associations) != 1 {
		t.Fatal("the table is not in the model")
	}
	_, err := c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: aws.String(id), DestinationCidrBlock: aws.String("10.2.0.0/16"), VpcPeeringConnectionId: aws.String(pcx)})
	wantCode(t, err, codes.RouteExists)
	_, err = c.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: aws.String(id)})
	wantCode(t, err, "DependencyViolation")
	_, err = c.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: aws.String(id), SubnetId: aws.String(sn)})
	wantCode(t, err, codes.AlreadyAssociated)
	must(c.DisassociateRouteTable(ctx, &ec2.DisassociateRouteTableInput{AssociationId: assoc.AssociationId}))(t)
	_, err = c.DisassociateRouteTable(ctx, &ec2.DisassociateRouteTableInput{AssociationId: assoc.AssociationId})
	wantCode(t, err, "InvalidAssociationID.NotFound")
	must(c.ReplaceRoute(ctx, &ec2.ReplaceRouteInput{RouteTableId: aws.String(id), DestinationCidrBlock: aws.String("10.2.0.0/16"), VpcPeeringConnectionId: aws.String(pcx)}))(t)
	must(c.DeleteRoute(ctx, &ec2.DeleteRouteInput{RouteTableId: aws.String(id), DestinationCidrBlock: aws.String("10.2.0.0/16")}))(t)
	_, err = c.DeleteRoute(ctx, &ec2.DeleteRouteInput{RouteTableId: aws.String(id), DestinationCidrBlock: aws.String("10.2.0.0/16")})
	wantCode(t, err, "InvalidRoute.NotFound")
	must(c.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: aws.String(id)}))(t)
	_, err = c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{id}})
	wantCode(t, err, codes.RouteTableNotFound)
}

func TestCreateRouteErrors(t *testing.T) {
	_, c, _ := newAccountServer(t)
	a, _, pcx := peeredVpcs(t, c)
	main := aws.ToString(must(c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{fl("vpc-id", a)}}))(t).RouteTables[0].RouteTableId)
	for _, tc := range []struct {
		in   ec2.CreateRouteInput
		code string
	}{
		{ec2.CreateRouteInput{DestinationCidrBlock: aws.String("10.2.0.0/16"), VpcPeeringConnectionId: aws.String("pcx-00000000000000000")}, codes.PeeringNotFound},
		{ec2.CreateRouteInput{DestinationCidrBlock: aws.String("10.2.0.0/16"), TransitGatewayId: aws.String("tgw-00000000000000000")}, codes.TransitGatewayNotFound},
		{ec2.CreateRouteInput{DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: aws.String("igw-00000000000000000")}, "UnsupportedOperation"},
		{ec2.CreateRouteInput{DestinationCidrBlock: aws.String("10.1.2.0/24"), VpcPeeringConnectionId: aws.String(pcx)}, "InvalidParameterValue"},
		{ec2.CreateRouteInput{DestinationCidrBlock: aws.String("10.2.0.0/16")}, "MissingParameter"},
		{ec2.CreateRouteInput{DestinationCidrBlock: aws.String("10.2.0.0/16"), VpcPeeringConnectionId: aws.String(pcx), DryRun: aws.Bool(true)}, "DryRunOperation"},
	} {
		tc.in.RouteTableId = aws.String(main)
		_, err := c.CreateRoute(ctx, &tc.in)
		wantCode(t, err, tc.code)
	}
	_, err := c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: aws.String("rtb-00000000000000000"), DestinationCidrBlock: aws.String("10.2.0.0/16"), VpcPeeringConnectionId: aws.String(pcx)})
	wantCode(t, err, codes.RouteTableNotFound)
	_, err = c.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: aws.String(main)})
	wantCode(t, err, "DependencyViolation")
}

// ReplaceRouteTableAssociation of the main association makes another
// table the VPC's main one.
func TestReplaceMainRouteTable(t *testing.T) {
	_, c, applied := newAccountServer(t)
	vpc := aws.ToString(createVpc(t, c, "10.1.0.0/16").VpcId)
	main := must(c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{fl("vpc-id", vpc), fl("association.main", "true")}}))(t).RouteTables[0]
	other := aws.ToString(must(c.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: aws.String(vpc)}))(t).RouteTable.RouteTableId)
	out := must(c.ReplaceRouteTableAssociation(ctx, &ec2.ReplaceRouteTableAssociationInput{AssociationId: main.Associations[0].RouteTableAssociationId, RouteTableId: aws.String(other)}))(t)
	now := must(c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{fl("vpc-id", vpc), fl("association.main", "true")}}))(t).RouteTables
	if len(now) != 1 || aws.ToString(now[0].RouteTableId) != other || aws.ToString(now[0].Associations[0].RouteTableAssociationId) != aws.ToString(out.NewAssociationId) {
		t.Fatalf("main table after the replace: %+v", now)
	}
	if i := findRouteTable(applied, other); i < 0 || !applied.RouteTables[i].Main {
		t.Fatal("the model's main table did not change")
	}
	// the old main table can go now; the new one cannot
	must(c.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: main.RouteTableId}))(t)
	_, err := c.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: aws.String(other)})
	wantCode(t, err, "DependencyViolation")
}

// A scenario file's VPC has no stored table: its derived main table shows
// the peering the model implies, and changing it stores it as shown.
func TestDerivedMainTableIsStoredOnChange(t *testing.T) {
	spec := fixtureSpec()
	spec.Vpcs = append(spec.Vpcs, cloudmock.Vpc{VpcId: "vpc-0000000000000000b", CidrBlock: "10.9.0.0/16"})
	spec.VpcPeeringConnections = []cloudmock.VpcPeeringConnection{{VpcPeeringConnectionId: "pcx-0000000000000000a",
		RequesterVpcInfo: cloudmock.VpcPeeringConnectionVpcInfo{VpcId: vpcID}, AccepterVpcInfo: cloudmock.VpcPeeringConnectionVpcInfo{VpcId: "vpc-0000000000000000b"}}}
	var applied cloudmock.Spec
	_, c := testServer(t, Config{Spec: spec, Apply: func(s cloudmock.Spec) error { applied = s; return nil }})
	rts := must(c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{fl("vpc-id", vpcID)}}))(t).RouteTables
	if len(rts) != 1 || len(rts[0].Routes) != 2 || aws.ToString(rts[0].Routes[1].VpcPeeringConnectionId) != "pcx-0000000000000000a" {
		t.Fatalf("derived main table: %+v", rts)
	}
	id := aws.ToString(rts[0].RouteTableId)
	must(c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("main")}}}))(t)
	if i := findRouteTable(&applied, id); i < 0 || !applied.RouteTables[i].Main || len(applied.RouteTables[i].Routes) != 1 {
		t.Fatalf("the tagged main table is not stored as shown: %+v", applied.RouteTables)
	}
	again := must(c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{fl("tag:Name", "main")}}))(t).RouteTables
	if len(again) != 1 || len(again[0].Routes) != 2 {
		t.Fatalf("stored main table: %+v", again)
	}
}

// Routes per route table: EC2's default quota of 50.
func TestRouteLimitExceeded(t *testing.T) {
	_, c, _ := newAccountServer(t)
	a, _, pcx := peeredVpcs(t, c)
	rtb := must(c.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: aws.String(a)}))(t).RouteTable.RouteTableId
	max := cloudmock.CreationQuotas[cloudmock.KindRouteTable+"/routes"].Max
	for i := range max + 1 {
		_, err := c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: rtb, DestinationCidrBlock: aws.String(fmt.Sprintf("10.2.%d.0/24", i)), VpcPeeringConnectionId: aws.String(pcx)})
		if i < max && err != nil {
			t.Fatalf("route %d: %v", i+1, err)
		}
		if i == max {
			wantCode(t, err, "RouteLimitExceeded")
		}
	}
}

func TestDescribeRouteTablesGatewayFilter(t *testing.T) {
	_, c, _ := newAccountServer(t)
	got := must(c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{fl("association.gateway-id", "igw-00000000000000000")}}))(t).RouteTables
	if len(got) != 0 {
		t.Fatalf("gateway associations: %+v", got)
	}
}
