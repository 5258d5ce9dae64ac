package cloudmock

import (
	"errors"
	"fmt"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/codes"
)

// The network-building rules: each case breaks one and expects exactly
// its finding (resource, id, field, code).
func TestValidateNetworkBuilding(t *testing.T) {
	rt := func(r RouteTable) func(*Spec) { return func(s *Spec) { s.RouteTables = append(s.RouteTables, r) } }
	peer := func(s *Spec) {
		s.Vpcs = append(s.Vpcs, Vpc{VpcId: "vpc-2", CidrBlock: "10.9.0.0/16"})
		s.VpcPeeringConnections = []VpcPeeringConnection{{VpcPeeringConnectionId: "pcx-1",
			RequesterVpcInfo: VpcPeeringConnectionVpcInfo{VpcId: "vpc-1"}, AccepterVpcInfo: VpcPeeringConnectionVpcInfo{VpcId: "vpc-2"}}}
	}
	viaPcx := func(dst string) Route { return Route{DestinationCidrBlock: dst, VpcPeeringConnectionId: "pcx-1"} }
	cases := []struct {
		name           string
		mod            func(*Spec)
		res, id, field string
		code           string
	}{
		{"overlapping subnets", func(s *Spec) {
			s.Subnets = append(s.Subnets, Subnet{SubnetId: "subnet-x", VpcId: "vpc-1", CidrBlock: "10.0.0.16/29"})
		},
			"Subnet", "subnet-x", "CidrBlock", codes.SubnetConflict},
		{"two default VPCs", func(s *Spec) {
			s.Vpcs[0].IsDefault = true
			s.Vpcs = append(s.Vpcs, Vpc{VpcId: "vpc-2", CidrBlock: "10.1.0.0/16", IsDefault: true})
		}, "Vpc", "vpc-2", "IsDefault", codes.InvalidParameterValue},
		{"two default ACLs", func(s *Spec) {
			s.NetworkAcls[0].IsDefault = true
			s.NetworkAcls = append(s.NetworkAcls, NetworkAcl{NetworkAclId: "acl-2", VpcId: "vpc-1", IsDefault: true})
		}, "NetworkAcl", "acl-2", "IsDefault", codes.InvalidParameterValue},
		{"group name twice", func(s *Spec) { s.SecurityGroups[0].GroupName, s.SecurityGroups[1].GroupName = "web", "web" },
			"SecurityGroup", "sg-adapter", "GroupName", codes.GroupDuplicate},
		{"route table of no VPC", rt(RouteTable{RouteTableId: "rtb-1", VpcId: "vpc-9"}), "RouteTable", "rtb-1", "VpcId", codes.VpcNotFound},
		{"two main tables", func(s *Spec) {
			rt(RouteTable{RouteTableId: "rtb-1", VpcId: "vpc-1", Main: true})(s)
			rt(RouteTable{RouteTableId: "rtb-2", VpcId: "vpc-1", Main: true})(s)
		}, "RouteTable", "rtb-2", "Main", codes.InvalidParameterValue},
		{"subnet in two tables", func(s *Spec) {
			rt(RouteTable{RouteTableId: "rtb-1", VpcId: "vpc-1", Associations: []RouteTableAssociation{{SubnetId: "subnet-test"}}})(s)
			rt(RouteTable{RouteTableId: "rtb-2", VpcId: "vpc-1", Associations: []RouteTableAssociation{{SubnetId: "subnet-test"}}})(s)
		}, "RouteTable", "rtb-2", "Associations[0].SubnetId", codes.AlreadyAssociated},
		{"association of no subnet", rt(RouteTable{RouteTableId: "rtb-1", VpcId: "vpc-1", Associations: []RouteTableAssociation{{SubnetId: "subnet-9"}}}),
			"RouteTable", "rtb-1", "Associations[0].SubnetId", codes.SubnetNotFound},
		{"route twice", func(s *Spec) {
			peer(s)
			rt(RouteTable{RouteTableId: "rtb-1", VpcId: "vpc-1", Routes: []Route{viaPcx("10.9.0.0/16"), viaPcx("10.9.0.0/16")}})(s)
		}, "RouteTable", "rtb-1", "Routes[1]", codes.RouteExists},
		{"route inside the VPC", func(s *Spec) {
			peer(s)
			rt(RouteTable{RouteTableId: "rtb-1", VpcId: "vpc-1", Routes: []Route{viaPcx("10.0.0.0/25")}})(s)
		}, "RouteTable", "rtb-1", "Routes[0]", codes.InvalidParameterValue},
		{"attachment subnet of another VPC", func(s *Spec) {
			s.Vpcs = append(s.Vpcs, Vpc{VpcId: "vpc-2", CidrBlock: "10.9.0.0/16"})
			s.TransitGateways = []TransitGateway{{TransitGatewayId: "tgw-1"}}
			s.TransitGatewayVpcAttachments = []TransitGatewayVpcAttachment{{TransitGatewayAttachmentId: "tgw-attach-1", TransitGatewayId: "tgw-1",
				VpcId: "vpc-2", SubnetIds: []string{"subnet-test"}}}
		}, "TransitGatewayVpcAttachment", "tgw-attach-1", "SubnetIds[0]", codes.InvalidParameterValue},
		{"route with no target", rt(RouteTable{RouteTableId: "rtb-1", VpcId: "vpc-1", Routes: []Route{{DestinationCidrBlock: "10.9.0.0/16"}}}),
			"RouteTable", "rtb-1", "Routes[0].VpcPeeringConnectionId", codes.InvalidParameterCombination},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := walkthroughSpec()
			c.mod(&s)
			errs := validationErrors(t, s.Validate())
			if len(errs) != 1 {
				t.Fatalf("want one finding, got %v", errs)
			}
			e := errs[0]
			if e.Resource != c.res || e.ID != c.id || e.Field != c.field || e.Code != c.code {
				t.Fatalf("got %s %s %s %s, want %s %s %s %s (%s)", e.Resource, e.ID, e.Field, e.Code, c.res, c.id, c.field, c.code, e.Message)
			}
		})
	}
}

// A route to a peering connection that is gone is kept (a blackhole, as
// EC2 shows it): the model accepts it.
func TestRouteToDeletedPeeringIsValid(t *testing.T) {
	s := walkthroughSpec()
	s.RouteTables = []RouteTable{{RouteTableId: "rtb-1", VpcId: "vpc-1", Main: true,
		Routes: []Route{{DestinationCidrBlock: "10.9.0.0/16", VpcPeeringConnectionId: "pcx-gone"}}}}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestCheckVpcQuota(t *testing.T) {
	var s Spec
	for i := range VpcsPerRegion {
		s.Vpcs = append(s.Vpcs, Vpc{VpcId: fmt.Sprintf("vpc-%d", i), CidrBlock: "10.0.0.0/16"})
	}
	if err := s.checkVpcQuota(); err != nil {
		t.Fatalf("%d VPCs: %v", VpcsPerRegion, err)
	}
	s.Vpcs = append(s.Vpcs, Vpc{VpcId: "vpc-x", CidrBlock: "10.0.0.0/16"})
	var ve *ValidationError
	if err := s.checkVpcQuota(); !errors.As(err, &ve) || ve.Code != codes.VpcLimitExceeded || ve.ID != "vpc-x" {
		t.Fatalf("%d VPCs: %v", VpcsPerRegion+1, err)
	}
}

func TestCheckNewBlock(t *testing.T) {
	for cidr, ok := range map[string]bool{"10.0.0.0/16": true, "10.0.0.0/28": true, "10.0.0.0/15": false, "10.0.0.0/29": false, "fd00::/56": false, "x": false} {
		err := CheckNewBlock("Subnet", cidr)
		var ve *ValidationError
		if ok != (err == nil) || (!ok && (!errors.As(err, &ve) || ve.Code != codes.SubnetRange)) {
			t.Errorf("%s: %v", cidr, err)
		}
	}
	var ve *ValidationError
	if err := CheckNewBlock("Vpc", "10.0.0.0/8"); !errors.As(err, &ve) || ve.Code != codes.VpcRange {
		t.Errorf("VPC /8: %v", err)
	}
}

// A per-VPC quota counts the VPC's resources only; routes count per
// table; the finding names the last resource (the one just created).
func TestCheckQuotaPerVpc(t *testing.T) {
	s := Spec{Vpcs: []Vpc{{VpcId: "vpc-1", CidrBlock: "10.0.0.0/16"}, {VpcId: "vpc-2", CidrBlock: "10.1.0.0/16"}}}
	q := CreationQuotas[KindSubnet]
	for i := range q.Max + 1 {
		s.Subnets = append(s.Subnets, Subnet{SubnetId: fmt.Sprintf("subnet-%d", i), VpcId: "vpc-1", CidrBlock: fmt.Sprintf("10.0.%d.0/24", i)})
	}
	var ve *ValidationError
	if err := s.CheckQuota(KindSubnet, "vpc-1"); !errors.As(err, &ve) || ve.Code != "SubnetLimitExceeded" || ve.ID != fmt.Sprintf("subnet-%d", q.Max) || ve.Resource != "Subnet" {
		t.Fatalf("%d subnets in vpc-1: %v", q.Max+1, err)
	}
	if err := s.CheckQuota(KindSubnet, "vpc-2"); err != nil {
		t.Fatalf("vpc-2: %v", err)
	}
	rt := RouteTable{RouteTableId: "rtb-1", VpcId: "vpc-1"}
	for i := range CreationQuotas[KindRouteTable+"/routes"].Max + 1 {
		rt.Routes = append(rt.Routes, Route{DestinationCidrBlock: fmt.Sprintf("172.16.%d.0/24", i), VpcPeeringConnectionId: "pcx-1"})
	}
	s.RouteTables = []RouteTable{rt}
	if err := s.CheckQuota(KindRouteTable+"/routes", "rtb-1"); !errors.As(err, &ve) || ve.Code != "RouteLimitExceeded" {
		t.Fatalf("routes: %v", err)
	}
	if err := s.CheckQuota(KindRouteTable, "vpc-1"); err != nil {
		t.Fatalf("one route table: %v", err)
	}
}
