package ec2api

import (
	"maps"
	"slices"
	"strconv"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// The network interfaces of load balancers and Gateway Load Balancer
// endpoints, as DescribeNetworkInterfaces answers them: one per zone,
// owned and attached by the service ("amazon-aws"), described
// "ELB net/NAME/ID" (gwy for a gateway load balancer) or "VPC Endpoint
// Interface vpce-…". They are views of the model's LoadBalancer, not
// model interfaces: the lab realizes each load balancer as one appliance
// (lab.TopologyOf), and the provider's delete waits until they are gone.

// elbOwner is the attachment's instance owner of a network or gateway
// load balancer's (and an endpoint's) interfaces.
const elbOwner = "amazon-aws"

// lbInterfaces are the interfaces of every load balancer and endpoint.
func (s *Server) lbInterfaces(spec *cloudmock.Spec) []eniView {
	var out []eniView
	for i := range spec.LoadBalancers {
		lb := &spec.LoadBalancers[i]
		desc, typ := "ELB "+lbPath(lb), "network_load_balancer"
		switch {
		case isEndpointEntry(lb):
			desc, typ = "VPC Endpoint Interface "+lb.VpcEndpointId, "gateway_load_balancer_endpoint"
		case lb.Type == "gateway":
			typ = "gateway_load_balancer"
		}
		zones := append([]cloudmock.LoadBalancerSubnet{{SubnetId: lb.SubnetId, PrivateIpAddress: lb.PrivateIpAddress, Ipv6Address: lb.Ipv6Address}}, lb.AdditionalSubnets...)
		for _, z := range zones {
			out = append(out, s.lbInterface(spec, lb, z, desc, typ))
		}
	}
	return out
}

// lbENIID is the stable id of a load balancer's interface in a subnet.
func lbENIID(lb *cloudmock.LoadBalancer, subnet string) string {
	return derivedID("eni", lb.LoadBalancerArn+"\x00"+subnet)
}

func (s *Server) lbInterface(spec *cloudmock.Spec, lb *cloudmock.LoadBalancer, z cloudmock.LoadBalancerSubnet, desc, typ string) eniView {
	id := lbENIID(lb, z.SubnetId)
	return eniView{NetworkInterface: cloudmock.NetworkInterface{NetworkInterfaceId: id, SubnetId: z.SubnetId, PrivateIpAddress: z.PrivateIpAddress,
		Ipv6Address: z.Ipv6Address, Description: desc}, vpc: subnetVpc(spec, z.SubnetId), status: "in-use", typ: typ,
		zone: s.subnetZone(z.SubnetId), managed: true,
		att: &eniAttachment{NetworkInterfaceAttachment: cloudmock.NetworkInterfaceAttachment{AttachmentId: derivedID("ela-attach", id), DeviceIndex: 1},
			owner: elbOwner}}
}

// isLBInterface says whether id names a load balancer's interface.
func (s *Server) isLBInterface(spec *cloudmock.Spec, id string) bool {
	return slices.ContainsFunc(s.lbInterfaces(spec), func(x eniView) bool { return x.NetworkInterfaceId == id })
}

// lbENIFilters are the filters of DescribeNetworkInterfaces on a load
// balancer's interface: every name the model's interfaces know (names
// with no value here match nothing).
func (s *Server) lbENIFilters(names []string) filterFields[*eniView] {
	type X = *eniView
	att := func(x X) *eniAttachment { return x.att }
	known := filterFields[X]{
		"addresses.private-ip-address":     func(x X) []string { return one(x.PrivateIpAddress) },
		"addresses.primary":                func(X) []string { return tf(true) },
		"attachment.attachment-id":         func(x X) []string { return one(att(x).AttachmentId) },
		"attachment.instance-owner-id":     func(x X) []string { return one(att(x).owner) },
		"attachment.device-index":          func(x X) []string { return one(strconv.Itoa(att(x).DeviceIndex)) },
		"attachment.status":                func(x X) []string { return one("attached") },
		"attachment.delete-on-termination": func(X) []string { return tf(false) },
		"availability-zone":                func(x X) []string { return one(x.zone.ZoneName) },
		"description":                      func(x X) []string { return one(x.Description) },
		"interface-type":                   func(x X) []string { return one(x.typ) },
		"ipv6-addresses.ipv6-address": func(x X) []string {
			return one(x.Ipv6Address)
		},
		"mac-address":          func(x X) []string { return one(macAddress(x.NetworkInterfaceId)) },
		"network-interface-id": func(x X) []string { return one(x.NetworkInterfaceId) },
		"owner-id":             func(X) []string { return one(s.cfg.AccountID) },
		"private-dns-name":     func(x X) []string { return one(s.privateDNSName(x.PrivateIpAddress)) },
		"private-ip-address":   func(x X) []string { return one(x.PrivateIpAddress) },
		"requester-managed":    func(X) []string { return tf(true) },
		"requester-id":         func(X) []string { return one(elbOwner) },
		"source-dest-check":    func(X) []string { return tf(false) },
		"status":               func(x X) []string { return one(x.status) },
		"subnet-id":            func(x X) []string { return one(x.SubnetId) },
		"vpc-id":               func(x X) []string { return one(x.vpc) },
	}
	out := filterFields[X]{}
	for _, n := range names {
		out[n] = func(X) []string { return nil }
		if f := known[n]; f != nil {
			out[n] = f
		}
	}
	return out
}

// eniPage ends DescribeNetworkInterfaces: the model's interfaces that
// passed the filters, then the load balancers' that pass them (among ids
// when given), paged together.
func (s *Server) eniPage(spec *cloudmock.Spec, tags tagStore, q describeQuery, items []*cloudmock.NetworkInterface) (any, error) {
	var all []eniView
	for _, e := range items {
		all = append(all, s.eniOf(spec, e))
	}
	var lbs []*eniView
	for _, x := range s.lbInterfaces(spec) {
		if len(q.ids) == 0 || slices.Contains(q.ids, x.NetworkInterfaceId) {
			lbs = append(lbs, &x)
		}
	}
	names := slices.Collect(maps.Keys(s.eniFilters(spec, tags)))
	lbs, err := applyFilters(lbs, q.fs, s.lbENIFilters(names), func(x *eniView) string { return x.NetworkInterfaceId }, tags)
	if err != nil {
		return nil, err
	}
	for _, x := range lbs {
		all = append(all, *x)
	}
	all, next := page(q.pg, all, func(x eniView) string { return x.NetworkInterfaceId })
	out := listResult{set: "networkInterfaceSet", next: next}
	for _, v := range all {
		out.items = append(out.items, s.toXMLENI(v, tags))
	}
	return out, nil
}
