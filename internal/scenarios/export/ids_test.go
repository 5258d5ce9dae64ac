package export

import (
	"fmt"
	"hash/fnv"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// awsIDs gives every resource of a scenario's model spec (whose ids are the
// scenario's names) an AWS-shaped id, as the API server does, and returns
// the new spec, the id -> name map and the Name tags.
func awsIDs(s cloudmock.Spec) (cloudmock.Spec, map[string]string, map[string]map[string]string) {
	names := map[string]string{}
	tags := map[string]map[string]string{}
	ids := map[string]string{} // prefix/name -> id
	id := func(prefix, name string) string {
		if name == "" {
			return ""
		}
		k := prefix + "/" + name
		if v, ok := ids[k]; ok {
			return v
		}
		h := fnv.New64a()
		h.Write([]byte(k))
		v := fmt.Sprintf("%s-%017x", prefix, h.Sum64())
		if prefix == "arn" {
			v = fmt.Sprintf("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/%s/%016x", name, h.Sum64())
		}
		ids[k] = v
		names[v] = name
		tags[v] = map[string]string{"Name": name}
		return v
	}
	out := s
	out.Vpcs = nil
	for _, v := range s.Vpcs {
		v.VpcId = id("vpc", v.VpcId)
		out.Vpcs = append(out.Vpcs, v)
	}
	out.Subnets = nil
	for _, v := range s.Subnets {
		v.SubnetId, v.VpcId = id("subnet", v.SubnetId), id("vpc", v.VpcId)
		out.Subnets = append(out.Subnets, v)
	}
	out.NetworkAcls = nil
	for _, a := range s.NetworkAcls {
		a.NetworkAclId, a.VpcId = id("acl", a.NetworkAclId), id("vpc", a.VpcId)
		var as []cloudmock.NetworkAclAssociation
		for _, x := range a.Associations {
			as = append(as, cloudmock.NetworkAclAssociation{SubnetId: id("subnet", x.SubnetId)})
		}
		a.Associations = as
		out.NetworkAcls = append(out.NetworkAcls, a)
	}
	out.SecurityGroups = nil
	for _, g := range s.SecurityGroups {
		g.GroupId, g.VpcId = id("sg", g.GroupId), id("vpc", g.VpcId)
		fix := func(ps []cloudmock.IpPermission) []cloudmock.IpPermission {
			var o []cloudmock.IpPermission
			for _, p := range ps {
				var pairs []cloudmock.UserIdGroupPair
				for _, u := range p.UserIdGroupPairs {
					u.GroupId = id("sg", u.GroupId)
					pairs = append(pairs, u)
				}
				p.UserIdGroupPairs = pairs
				o = append(o, p)
			}
			return o
		}
		g.IpPermissions, g.IpPermissionsEgress = fix(g.IpPermissions), fix(g.IpPermissionsEgress)
		out.SecurityGroups = append(out.SecurityGroups, g)
	}
	out.NetworkInterfaces = nil
	for _, n := range s.NetworkInterfaces {
		n.NetworkInterfaceId, n.SubnetId, n.InstanceId = id("eni", n.NetworkInterfaceId), id("subnet", n.SubnetId), id("i", n.InstanceId)
		var gs []string
		for _, g := range n.Groups {
			gs = append(gs, id("sg", g))
		}
		n.Groups = gs
		out.NetworkInterfaces = append(out.NetworkInterfaces, n)
	}
	out.LoadBalancers = nil
	for _, lb := range s.LoadBalancers {
		lb.LoadBalancerArn, lb.SubnetId = id("arn", lb.LoadBalancerArn), id("subnet", lb.SubnetId)
		lb.VpcEndpointId = id("vpce", lb.VpcEndpointId)
		var ts []cloudmock.TargetDescription
		for _, t := range lb.Targets {
			ts = append(ts, cloudmock.TargetDescription{NetworkInterfaceId: id("eni", t.NetworkInterfaceId)})
		}
		lb.Targets = ts
		out.LoadBalancers = append(out.LoadBalancers, lb)
	}
	out.TrafficMirrorFilters = nil
	for _, f := range s.TrafficMirrorFilters {
		f.TrafficMirrorFilterId = id("tmf", f.TrafficMirrorFilterId)
		out.TrafficMirrorFilters = append(out.TrafficMirrorFilters, f)
	}
	out.TrafficMirrorTargets = nil
	for _, t := range s.TrafficMirrorTargets {
		t.TrafficMirrorTargetId = id("tmt", t.TrafficMirrorTargetId)
		t.NetworkInterfaceId = id("eni", t.NetworkInterfaceId)
		t.NetworkLoadBalancerArn = id("arn", t.NetworkLoadBalancerArn)
		t.GatewayLoadBalancerEndpointId = id("vpce", t.GatewayLoadBalancerEndpointId)
		out.TrafficMirrorTargets = append(out.TrafficMirrorTargets, t)
	}
	out.TrafficMirrorSessions = nil
	for _, p := range s.TrafficMirrorSessions {
		x := *p // a copy: s's sessions stay as they were
		x.TrafficMirrorSessionId = id("tms", x.TrafficMirrorSessionId)
		x.NetworkInterfaceId = id("eni", x.NetworkInterfaceId)
		var src []string
		for _, e := range x.TrafficMirrorSourceIds {
			src = append(src, id("eni", e))
		}
		x.TrafficMirrorSourceIds = src
		x.TrafficMirrorTargetId, x.TrafficMirrorFilterId = id("tmt", x.TrafficMirrorTargetId), id("tmf", x.TrafficMirrorFilterId)
		out.TrafficMirrorSessions = append(out.TrafficMirrorSessions, &x)
	}
	return out, names, tags
}
