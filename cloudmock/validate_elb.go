package cloudmock

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/mirrorlab/mirrorlab/internal/encap"

	"github.com/mirrorlab/mirrorlab/internal/codes"
)

// Elastic Load Balancing's default quotas per region (the service
// quotas page, as remembered: "Network Load Balancers per Region 50",
// "Gateway Load Balancers per Region 100", "Target groups per Region
// 3000"); an endpoint is no load balancer of ELB's.
const (
	NetworkLoadBalancersPerRegion = 50
	gatewayLoadBalancersPerRegion = 100
	targetGroupsPerRegion         = 3000
)

// elbQuotas reports the first load balancer of a type, and the first
// target group, beyond the region's quota.
func (v *validator) elbQuotas(s *Spec) {
	n := map[string]int{}
	limit := map[string]int{"network": NetworkLoadBalancersPerRegion, "gateway": gatewayLoadBalancersPerRegion}
	for i, l := range s.LoadBalancers {
		if l.GatewayLoadBalancerArn != "" || limit[l.Type] == 0 {
			continue // an endpoint created through the API (a file's endpoint is its balancer too), or a bad type
		}
		n[l.Type]++
		if n[l.Type] == limit[l.Type]+1 {
			v.add("LoadBalancer", l.LoadBalancerArn, i, "Type", codes.TooManyLoadBalancers, "more than %d %s load balancers in the region", limit[l.Type], l.Type)
		}
	}
	if len(s.TargetGroups) > targetGroupsPerRegion {
		i := targetGroupsPerRegion
		v.add("TargetGroup", s.TargetGroups[i].TargetGroupArn, i, "TargetGroupArn", codes.TooManyTargetGroups, "more than %d target groups in the region", targetGroupsPerRegion)
	}
}

// targetGroupProtocols are the protocols of a target group: a network
// load balancer's, and GENEVE behind a gateway load balancer.
var targetGroupProtocols = []string{"TCP", "UDP", "TCP_UDP", "TLS", "GENEVE"}

// elb checks what spec_elb.go adds: a load balancer's further zones, an
// endpoint's Gateway Load Balancer, listeners' target groups, target
// groups and endpoint services.
func (v *validator) elb(s *Spec) {
	tgs := map[string]*TargetGroup{}
	for i := range s.TargetGroups {
		tgs[s.TargetGroups[i].TargetGroupArn] = &s.TargetGroups[i]
	}
	for i, l := range s.LoadBalancers {
		v.lbZones(l, i)
		v.lbGateway(l, i)
		for j, li := range l.Listeners {
			if li.TargetGroupArn == "" {
				continue
			}
			tg := tgs[li.TargetGroupArn]
			field := fmt.Sprintf("Listeners[%d].TargetGroupArn", j)
			switch {
			case tg == nil:
				v.add("LoadBalancer", l.LoadBalancerArn, i, field, codes.TargetGroupNotFound, "target group %q does not exist", li.TargetGroupArn)
			case tg.VpcId != v.r.vpcOfSubnet(l.SubnetId):
				v.add("LoadBalancer", l.LoadBalancerArn, i, field, codes.InvalidParameterValue, "target group %s is in VPC %s, the load balancer in %s", tg.TargetGroupArn, tg.VpcId, v.r.vpcOfSubnet(l.SubnetId))
			case (tg.Protocol == "GENEVE") != (l.Type == "gateway"):
				v.add("LoadBalancer", l.LoadBalancerArn, i, field, codes.InvalidParameterValue, "a %s load balancer cannot forward to a %s target group", l.Type, tg.Protocol)
			}
		}
	}
	v.targetGroups(s)
	v.endpointServices(s)
	v.lbAddressesFree(s)
	v.elbQuotas(s)
}

// lbAddressesFree reports a load balancer's (or endpoint's) address that
// an interface or another load balancer zone already holds.
func (v *validator) lbAddressesFree(s *Spec) {
	held := map[string]string{}
	s.EachAddress(func(h HeldAddress) {
		if other, dup := held[h.Address]; dup && h.Resource == "LoadBalancer" {
			v.add("LoadBalancer", h.Holder, h.Index, h.Field, codes.IPAddressInUse, "%s is already the address of %s", h.Address, other)
		}
		held[h.Address] = h.Holder
	})
}

// vpcOfSubnet is a subnet's VPC ("" when the subnet does not exist).
func (r *resolver) vpcOfSubnet(id string) string {
	if sn := r.subnets[id]; sn != nil {
		return sn.VpcId
	}
	return ""
}

// lbZones checks a load balancer's further zones: subnets of its VPC,
// each once, with an address inside.
func (v *validator) lbZones(l LoadBalancer, i int) {
	seen := map[string]bool{l.SubnetId: true}
	for j, z := range l.AdditionalSubnets {
		field := fmt.Sprintf("AdditionalSubnets[%d]", j)
		switch {
		case v.r.subnets[z.SubnetId] == nil:
			v.add("LoadBalancer", l.LoadBalancerArn, i, field+".SubnetId", codes.SubnetNotFound, "subnet %q does not exist", z.SubnetId)
			continue
		case seen[z.SubnetId]:
			v.add("LoadBalancer", l.LoadBalancerArn, i, field+".SubnetId", codes.InvalidParameterValue, "subnet %s is given twice", z.SubnetId)
		case v.r.vpcOfSubnet(z.SubnetId) != v.r.vpcOfSubnet(l.SubnetId):
			v.add("LoadBalancer", l.LoadBalancerArn, i, field+".SubnetId", codes.InvalidParameterValue, "subnet %s is not in the load balancer's VPC %s", z.SubnetId, v.r.vpcOfSubnet(l.SubnetId))
		}
		seen[z.SubnetId] = true
		v.address("LoadBalancer", l.LoadBalancerArn, i, field+".PrivateIpAddress", z.PrivateIpAddress, z.SubnetId)
		if (z.Ipv6Address != "") != (l.Ipv6Address != "") {
			v.add("LoadBalancer", l.LoadBalancerArn, i, field+".Ipv6Address", codes.InvalidParameterCombination, "a dual-stack load balancer has an IPv6 address in every zone; an IPv4-only one has none")
		} else if z.Ipv6Address != "" {
			v.zoneIPv6(l.LoadBalancerArn, i, field+".Ipv6Address", z)
		}
	}
}

// zoneIPv6 checks a further zone's IPv6 address: inside its subnet's
// Ipv6CidrBlock.
func (v *validator) zoneIPv6(id string, i int, field string, z LoadBalancerSubnet) {
	a, err := netip.ParseAddr(z.Ipv6Address)
	if err != nil || !a.Is6() || a.Is4In6() {
		v.add("LoadBalancer", id, i, field, codes.InvalidParameterValue, "%q is not an IPv6 address", z.Ipv6Address)
		return
	}
	if p, err := netip.ParsePrefix(v.r.subnets[z.SubnetId].Ipv6CidrBlock); err != nil || !p.Contains(a) {
		v.add("LoadBalancer", id, i, field, codes.InvalidParameterValue, "%s is not inside subnet %s's IPv6 block", a, z.SubnetId)
	}
}

// lbGateway checks an endpoint's GatewayLoadBalancerArn: a gateway load
// balancer that is no endpoint itself.
func (v *validator) lbGateway(l LoadBalancer, i int) {
	if l.GatewayLoadBalancerArn == "" {
		return
	}
	const field = "GatewayLoadBalancerArn"
	if l.Type != "gateway" || l.VpcEndpointId == "" {
		v.add("LoadBalancer", l.LoadBalancerArn, i, field, codes.InvalidParameterCombination, "only a Gateway Load Balancer endpoint (Type gateway, with VpcEndpointId) sends to a gateway load balancer")
	}
	gw := v.r.lbs[l.GatewayLoadBalancerArn]
	if gw == nil || gw.Type != "gateway" || gw.VpcEndpointId != "" {
		v.add("LoadBalancer", l.LoadBalancerArn, i, field, codes.LoadBalancerNotFound, "gateway load balancer %q does not exist", l.GatewayLoadBalancerArn)
	}
}

func (v *validator) targetGroups(s *Spec) {
	seen := map[string]bool{}
	for i, tg := range s.TargetGroups {
		const res = "TargetGroup"
		id := tg.TargetGroupArn
		v.unique(res, "TargetGroupArn", id, i, seen)
		switch {
		case !slices.Contains(targetGroupProtocols, tg.Protocol):
			v.add(res, id, i, "Protocol", codes.InvalidParameterValue, "protocol %q is not one of %s", tg.Protocol, strings.Join(targetGroupProtocols, ", "))
		case tg.Protocol == "GENEVE" && tg.Port != encap.GenevePort:
			v.add(res, id, i, "Port", codes.InvalidParameterValue, "a GENEVE target group listens on port %d, not %d", encap.GenevePort, tg.Port)
		case tg.Port < 1 || tg.Port > 65535:
			v.add(res, id, i, "Port", codes.InvalidParameterValue, "port %d is out of range 1-65535", tg.Port)
		}
		if tg.TargetType != "" && tg.TargetType != "instance" && tg.TargetType != "ip" {
			v.add(res, id, i, "TargetType", codes.InvalidParameterValue, "target type %q is not instance or ip", tg.TargetType)
		}
		if v.r.vpcs[tg.VpcId] == nil {
			v.add(res, id, i, "VpcId", codes.VpcNotFound, "VPC %q does not exist", tg.VpcId)
		}
		for j, t := range tg.Targets {
			field := fmt.Sprintf("Targets[%d].NetworkInterfaceId", j)
			if e := v.r.enis[t.NetworkInterfaceId]; e == nil {
				v.add(res, id, i, field, codes.NetworkInterfaceNotFound, "network interface %q does not exist", t.NetworkInterfaceId)
			} else if v.r.vpcOfSubnet(e.SubnetId) != tg.VpcId {
				v.add(res, id, i, field, codes.InvalidParameterValue, "network interface %s is not in the target group's VPC %s", t.NetworkInterfaceId, tg.VpcId)
			}
		}
	}
}

func (v *validator) endpointServices(s *Spec) {
	seen := map[string]bool{}
	offered := map[string]string{} // gateway load balancer -> service
	for i, es := range s.VpcEndpointServices {
		const res = "VpcEndpointService"
		id := es.ServiceId
		v.unique(res, "ServiceId", id, i, seen)
		if len(es.GatewayLoadBalancerArns) == 0 {
			v.add(res, id, i, "GatewayLoadBalancerArns", codes.MissingParameter, "an endpoint service needs a gateway load balancer")
		}
		for j, a := range es.GatewayLoadBalancerArns {
			field := fmt.Sprintf("GatewayLoadBalancerArns[%d]", j)
			gw := v.r.lbs[a]
			switch {
			case gw == nil || gw.Type != "gateway" || gw.VpcEndpointId != "":
				v.add(res, id, i, field, codes.LoadBalancerNotFound, "gateway load balancer %q does not exist", a)
			case offered[a] != "":
				v.add(res, id, i, field, codes.InvalidParameterValue, "gateway load balancer %s is already offered by %s", a, offered[a])
			}
			offered[a] = id
		}
		for j, p := range es.PendingEndpoints {
			if v.r.subnets[p.SubnetId] == nil {
				v.add(res, id, i, fmt.Sprintf("PendingEndpoints[%d].SubnetId", j), codes.SubnetNotFound, "subnet %q does not exist", p.SubnetId)
			}
		}
	}
	for i, l := range s.LoadBalancers {
		if l.GatewayLoadBalancerArn != "" && v.r.lbs[l.GatewayLoadBalancerArn] != nil && offered[l.GatewayLoadBalancerArn] == "" {
			v.add("LoadBalancer", l.LoadBalancerArn, i, "GatewayLoadBalancerArn", codes.VpcEndpointServiceNotFound,
				"gateway load balancer %s is offered by no endpoint service", l.GatewayLoadBalancerArn)
		}
	}
}

// SyncLoadBalancers derives what the model decides copies from out of
// the target groups: a load balancer whose listeners forward to target
// groups gets their registered targets as its Targets (in order, each
// once), and an endpoint gets its gateway load balancer's Targets. A
// load balancer without such listeners keeps its own Targets (a file's).
// A registration whose interface is gone is dropped first, as AWS
// deregisters a terminated instance.
func (s *Spec) SyncLoadBalancers() {
	enis := map[string]bool{}
	for _, e := range s.NetworkInterfaces {
		enis[e.NetworkInterfaceId] = true
	}
	gone := func(t TargetDescription) bool { return !enis[t.NetworkInterfaceId] }
	tgs := map[string]*TargetGroup{}
	for i := range s.TargetGroups {
		tg := &s.TargetGroups[i]
		tg.Targets = slices.DeleteFunc(tg.Targets, gone)
		tgs[tg.TargetGroupArn] = tg
	}
	for i := range s.LoadBalancers {
		s.LoadBalancers[i].Targets = slices.DeleteFunc(s.LoadBalancers[i].Targets, gone)
	}
	byArn := map[string]*LoadBalancer{}
	for i := range s.LoadBalancers {
		l := &s.LoadBalancers[i]
		byArn[l.LoadBalancerArn] = l
		var targets []TargetDescription
		derived := false
		for _, li := range l.Listeners {
			if tg := tgs[li.TargetGroupArn]; tg != nil {
				derived = true
				for _, t := range tg.Targets {
					if !slices.Contains(targets, t) {
						targets = append(targets, t)
					}
				}
			}
		}
		if derived {
			l.Targets = targets
		}
	}
	for i := range s.LoadBalancers {
		l := &s.LoadBalancers[i]
		if gw := byArn[l.GatewayLoadBalancerArn]; gw != nil && l.GatewayLoadBalancerArn != "" {
			l.Targets = slices.Clone(gw.Targets)
		}
	}
}
