package spec

import (
	"strings"
	"testing"
)

func TestTopologyForSim(t *testing.T) {
	s := loadDefault(t)
	topo, err := s.Topology()
	if err != nil {
		t.Fatal(err)
	}
	if len(topo.Instances) != 4 || topo.Instances[2].ENIs[0].Name != "eth0" || topo.Instances[2].ENIs[0].MTU != 9001 ||
		topo.Instances[2].ENIs[0].IP.String() != "10.0.0.20" {
		t.Fatalf("topology %+v", topo)
	}
}

func TestSimProblemsMapToLines(t *testing.T) {
	// a /29 subnet: sim refuses prefixes longer than /28 (as AWS does)
	src := `name: t
network:
  vpcs:
    - name: vpc
      CidrBlock: 10.0.0.0/24
      subnets:
        - {name: a, CidrBlock: 10.0.0.0/29}
`
	got := problemsOf(t, src)
	wantProblems(t, got, "t.yaml:7:21: network.vpcs[vpc].subnets[a].CidrBlock: 10.0.0.0/29: prefix length must be between /16 and /28")
}

func TestPeeringProblemsMapToLines(t *testing.T) {
	vpcs := `name: t
network:
  vpcs:
    - {name: a, CidrBlock: 10.1.0.0/24, subnets: [{name: sa, CidrBlock: 10.1.0.0/28}]}
    - {name: b, CidrBlock: 10.1.0.0/23, subnets: [{name: sb, CidrBlock: 10.1.1.0/28}]}
    - {name: c, CidrBlock: 10.3.0.0/24, subnets: [{name: sc, CidrBlock: 10.3.0.0/28}]}
  vpcPeeringConnections:
`
	got := problemsOf(t, vpcs+`    - {name: ab, VpcId: a, PeerVpcId: b}
    - {name: ac, VpcId: a, PeerVpcId: c}
    - {name: ca, VpcId: c, PeerVpcId: a}
    - {name: cc, VpcId: c, PeerVpcId: c}
`)
	wantProblems(t, got,
		"t.yaml:8:28: network.vpcPeeringConnections[ab].PeerVpcId: peering ab: VPCs a (10.1.0.0/24) and b (10.1.0.0/23) overlap",
		"t.yaml:10:28: network.vpcPeeringConnections[ca].PeerVpcId: peering ca: VPCs c and a are already peered by ac",
		"t.yaml:11:28: network.vpcPeeringConnections[cc].PeerVpcId: peering cc joins VPC c with itself")
	got = problemsOf(t, vpcs+`    - {name: cx, VpcId: c, PeerVpcId: nowhere}
    - {name: xc, PeerVpcId: c}
`)
	wantProblems(t, got,
		`t.yaml:8:28: network.vpcPeeringConnections[cx].PeerVpcId: no VPC named "nowhere"`,
		`t.yaml:9:7: network.vpcPeeringConnections[xc]: missing VpcId`)
}

func TestTransitGatewayProblemsMapToLines(t *testing.T) {
	src := `name: t
network:
  vpcs:
    - {name: a, CidrBlock: 10.1.0.0/24, subnets: [{name: sa, CidrBlock: 10.1.0.0/28}]}
    - {name: b, CidrBlock: 10.1.0.0/23, subnets: [{name: sb, CidrBlock: 10.1.1.0/28}]}
  transitGateways:
    - name: hub
      attachments:
        - {name: hub-a, VpcId: a}
        - {name: hub-b, VpcId: b}
`
	wantProblems(t, problemsOf(t, src),
		"t.yaml:10:25: network.transitGateways[hub].attachments[hub-b].VpcId: transit gateway hub: VPC b (10.1.0.0/23) overlaps VPC a (10.1.0.0/24)")
	wantProblems(t, problemsOf(t, strings.Replace(src, "VpcId: b}", "VpcId: c}", 1)),
		`t.yaml:10:25: network.transitGateways[hub].attachments[hub-b].VpcId: no VPC named "c"`)
}
