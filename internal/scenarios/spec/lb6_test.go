package spec

import "testing"

// A dual-stack load balancer's Ipv6Address is checked where it stands:
// inside its subnet's /64, and a network load balancer's targets need an
// Ipv6Address each (it forwards the IPv6 copies to them).
func TestLoadBalancerIPv6Problems(t *testing.T) {
	const net = `name: t
network:
  vpcs:
    - name: vpc
      CidrBlock: 10.0.0.0/24
      Ipv6CidrBlock: 2001:db8:0:100::/56
      subnets:
        - {name: a, CidrBlock: 10.0.0.0/28, Ipv6CidrBlock: "2001:db8:0:100::/64"}
  instances:
    - name: x
      networkInterfaces: [{name: x-eni, SubnetId: a, Ipv6Address: "2001:db8:0:100::9", EnablePrimaryIpv6: true}]
    - name: agent
      networkInterfaces: [{name: agent-eni, SubnetId: a}]
  loadBalancers:
`
	wantProblems(t, problemsOf(t, net+`    - {name: nlb, SubnetId: a, Ipv6Address: "2001:db8:0:100::30", Targets: [{Id: agent}]}
`), `t.yaml:15:78: network.loadBalancers[nlb].Targets[0].Id: InvalidParameterCombination: a dual-stack network load balancer forwards IPv6 copies to its targets' IPv6 address; agent-eni has no Ipv6Address`)
	wantProblems(t, problemsOf(t, net+`    - {name: far, Type: gateway, SubnetId: a, Ipv6Address: "2001:db8:0:200::30", Targets: [{Id: agent}]}
`), `t.yaml:15:47: network.loadBalancers[far].Ipv6Address: `)
}
