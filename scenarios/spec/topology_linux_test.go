package spec

import "testing"

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
