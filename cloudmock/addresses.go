package cloudmock

import "fmt"

// HeldAddress is an address that a resource of the Spec holds in a
// subnet: an interface's, or a load balancer zone's (or an endpoint's).
type HeldAddress struct {
	SubnetId, Address string
	// Holder is the holding resource's id; Resource, Index and Field
	// name the place (as a ValidationError does).
	Holder, Resource, Field string
	Index                   int
	// IPv6 tells an IPv6 address from an IPv4 one.
	IPv6 bool
}

// EachAddress calls fn for every address held in the Spec, IPv4 and IPv6,
// interfaces first, then load balancers' zones in order. It is the one
// place that knows which fields hold addresses: the model's checks, the
// API's next free address and its subnets' free counts all use it.
func (s *Spec) EachAddress(fn func(HeldAddress)) {
	for i, e := range s.NetworkInterfaces {
		for _, f := range [2][2]string{{"PrivateIpAddress", e.PrivateIpAddress}, {"Ipv6Address", e.Ipv6Address}} {
			if f[1] != "" {
				fn(HeldAddress{SubnetId: e.SubnetId, Address: f[1], Holder: e.NetworkInterfaceId, Resource: "NetworkInterface", Field: f[0], Index: i,
					IPv6: f[0] == "Ipv6Address"})
			}
		}
	}
	for i, l := range s.LoadBalancers {
		zones := append([]LoadBalancerSubnet{{SubnetId: l.SubnetId, PrivateIpAddress: l.PrivateIpAddress, Ipv6Address: l.Ipv6Address}}, l.AdditionalSubnets...)
		for j, z := range zones {
			prefix := ""
			if j > 0 {
				prefix = fmt.Sprintf("AdditionalSubnets[%d].", j-1)
			}
			for _, f := range [2][2]string{{"PrivateIpAddress", z.PrivateIpAddress}, {"Ipv6Address", z.Ipv6Address}} {
				if f[1] != "" {
					fn(HeldAddress{SubnetId: z.SubnetId, Address: f[1], Holder: l.LoadBalancerArn, Resource: "LoadBalancer", Field: prefix + f[0], Index: i,
						IPv6: f[0] == "Ipv6Address"})
				}
			}
		}
	}
}
