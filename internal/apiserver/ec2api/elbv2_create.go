package ec2api

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// CreateLoadBalancer and DeleteLoadBalancer of network and gateway load
// balancers: each is a model LoadBalancer, its first zone the address
// the model sends copies to, its further zones AdditionalSubnets.

// ELBv2 codes of creation and deletion.
const (
	codeDuplicateLBName   = "DuplicateLoadBalancerName"
	codeELBSubnetNotFound = "SubnetNotFound"
	codeOperationNotPerm  = "OperationNotPermitted"
	codeResourceInUse     = "ResourceInUse"
)

// lbNameOK is ELBv2's rule for a load balancer's (and a target group's)
// name: up to 32 letters, digits and hyphens, no hyphen at either end.
var lbNameOK = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?$`)

// lbZoneReq is one subnet of CreateLoadBalancer and its address ("": the
// lowest free one).
type lbZoneReq struct{ subnet, addr, addr6, param string }

// lbRequest is what CreateLoadBalancer asks for.
type lbRequest struct {
	name, typ, scheme string
	dualStack         bool
	zones             []lbZoneReq
	tags              []tag
}

// readLBRequest reads CreateLoadBalancer's parameters, then begins.
func (c *call) readLBRequest() (lbRequest, error) {
	var r lbRequest
	if r.name = c.elbRequired("Name"); !c.p.ok() {
		return r, c.p.Err()
	}
	if !lbNameOK.MatchString(r.name) || strings.HasPrefix(r.name, "internal-") {
		return r, elbError(codeELBValidation, "Name %q: a load balancer's name is 1-32 letters, digits and hyphens, neither beginning nor ending with a hyphen nor beginning with 'internal-'", r.name)
	}
	r.typ, _ = c.p.str("Type")
	if r.typ == "" {
		r.typ = "application" // ELBv2's default
	}
	if r.typ != "network" && r.typ != "gateway" {
		return r, elbError(codeELBValidation, "Type %q: this server models network and gateway load balancers (mirror targets)", r.typ)
	}
	r.scheme, _ = c.p.str("Scheme")
	switch {
	case r.typ == "gateway" && r.scheme != "":
		return r, elbError(codeELBValidation, "Scheme: a gateway load balancer takes no scheme")
	case r.scheme == "" && r.typ == "network":
		r.scheme = "internet-facing" // ELBv2's default
	case r.scheme != "" && r.scheme != "internal" && r.scheme != "internet-facing":
		return r, elbError(codeELBValidation, "Scheme %q is not internal or internet-facing", r.scheme)
	}
	switch ip, _ := c.p.str("IpAddressType"); {
	case ip == "dualstack" && r.typ == "network":
		r.dualStack = true
	case ip != "" && ip != "ipv4":
		return r, elbError(codeELBValidation, "IpAddressType %q: a %s load balancer here is ipv4 (or dualstack, a network one)", ip, r.typ)
	}
	var err error
	if r.zones, err = c.lbZones(); err != nil {
		return r, err
	}
	for _, z := range r.zones {
		if z.addr6 != "" && !r.dualStack {
			return r, elbError(codeELBValidation, "%s.IPv6Address: only a dualstack load balancer has IPv6 addresses", z.param)
		}
	}
	if sgs := c.elbList("SecurityGroups"); c.p.ok() && len(sgs) > 0 {
		return r, elbError(codeELBValidation, "SecurityGroups: a load balancer's security groups are not modelled here (the model would pass its traffic unchecked); leave them out")
	}
	r.tags = c.p.tagList("Tags.member")
	return r, c.begin()
}

// lbZones reads Subnets.member.N or SubnetMappings.member.N (one of them).
func (c *call) lbZones() ([]lbZoneReq, error) {
	subnets := c.elbList("Subnets")
	var zones []lbZoneReq
	for i, s := range subnets {
		zones = append(zones, lbZoneReq{subnet: s, param: fmt.Sprintf("Subnets.member.%d", i+1)})
	}
	idx := c.p.indexes("SubnetMappings.member")
	for _, n := range idx {
		pre := fmt.Sprintf("SubnetMappings.member.%d", n)
		sub := c.elbRequired(pre + ".SubnetId")
		addr, _ := c.p.str(pre + ".PrivateIPv4Address")
		if a, _ := c.p.str(pre + ".AllocationId"); a != "" {
			return nil, elbError(codeELBValidation, "%s.AllocationId: an Elastic IP address has no place in the lab", pre)
		}
		addr6, _ := c.p.str(pre + ".IPv6Address")
		zones = append(zones, lbZoneReq{subnet: sub, addr: addr, addr6: addr6, param: pre})
	}
	switch {
	case !c.p.ok():
		return nil, c.p.Err()
	case len(subnets) > 0 && len(idx) > 0:
		return nil, elbError(codeELBValidation, "Give Subnets or SubnetMappings, not both")
	case len(zones) == 0:
		return nil, elbError(codeELBValidation, "A load balancer needs at least one subnet (Subnets or SubnetMappings)")
	}
	return zones, nil
}

func (s *Server) createLoadBalancer(c *call) (any, error) {
	r, err := c.readLBRequest()
	if err != nil {
		return nil, err
	}
	return c.mutate("", func(st *state) (any, error) {
		for i := range st.spec.LoadBalancers {
			if o := &st.spec.LoadBalancers[i]; !isEndpointEntry(o) && lbName(o) == r.name {
				if o.Type == r.typ && slices.Equal(lbSubnets(o), r.subnets()) {
					return listResult{set: "LoadBalancers", items: []xres{s.toXMLLB(&st.spec, o, "active")}, query: true}, nil // ELBv2 is idempotent here
				}
				return nil, elbError(codeDuplicateLBName, "A load balancer with the name '%s' already exists", r.name)
			}
		}
		lb, err := s.newLB(st, r)
		if err != nil {
			return nil, err
		}
		st.spec.LoadBalancers = append(st.spec.LoadBalancers, lb)
		if err := st.tags.set(lb.LoadBalancerArn, r.tags, "Tags"); err != nil {
			return nil, err
		}
		// active by the next Describe: the lab is built when the call returns
		return listResult{set: "LoadBalancers", items: []xres{s.toXMLLB(&st.spec, &lb, "provisioning")}, query: true}, nil
	})
}

func (r lbRequest) subnets() []string {
	var out []string
	for _, z := range r.zones {
		out = append(out, z.subnet)
	}
	return out
}

// newLB builds the load balancer r asks for: its ARN, and an address in
// each of its subnets (all of one VPC, each in its own zone).
func (s *Server) newLB(st *state, r lbRequest) (cloudmock.LoadBalancer, error) {
	kind := "net"
	if r.typ == "gateway" {
		kind = "gwy"
	}
	lb := cloudmock.LoadBalancer{Type: r.typ, Scheme: r.scheme,
		LoadBalancerArn: fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:loadbalancer/%s/%s/%016x", s.cfg.Region, s.cfg.AccountID, kind, r.name, st.srv.rng.Uint64())}
	zones, used := map[string]string{}, usedAddresses(&st.spec)
	for i, z := range r.zones {
		if findSubnet(&st.spec, z.subnet) < 0 {
			return lb, elbError(codeELBSubnetNotFound, "The subnet ID '%s' is not valid (%s)", z.subnet, z.param)
		}
		if i > 0 && subnetVpc(&st.spec, z.subnet) != subnetVpc(&st.spec, r.zones[0].subnet) {
			return lb, elbError(codeInvalidConfig, "Subnets %s and %s are in different VPCs (%s)", r.zones[0].subnet, z.subnet, z.param)
		}
		zone := s.subnetZone(z.subnet).ZoneName
		if prev, dup := zones[zone]; dup {
			return lb, elbError(codeInvalidConfig, "A load balancer cannot be attached to multiple subnets in the same Availability Zone (%s and %s in %s)", prev, z.subnet, zone)
		}
		zones[zone] = z.subnet
		addr := z.addr
		if addr == "" {
			a, ok := lbAddress(&st.spec, z.subnet, used)
			if !ok {
				return lb, elbError(codeInvalidConfig, "Subnet %s has no free address for the load balancer (%s)", z.subnet, z.param)
			}
			addr = a
		} else if used[addr] {
			return lb, elbError(codeInvalidConfig, "The address %s of subnet %s is in use (%s.PrivateIPv4Address)", addr, z.subnet, z.param)
		}
		used[addr] = true
		addr6, err := zoneAddress6(st, r, z, used)
		if err != nil {
			return lb, err
		}
		if i == 0 {
			lb.SubnetId, lb.PrivateIpAddress, lb.Ipv6Address = z.subnet, addr, addr6
		} else {
			lb.AdditionalSubnets = append(lb.AdditionalSubnets, cloudmock.LoadBalancerSubnet{SubnetId: z.subnet, PrivateIpAddress: addr, Ipv6Address: addr6})
		}
	}
	return lb, nil
}

// zoneAddress6 is a dual-stack balancer's IPv6 address in zone z: the
// one asked for, else the subnet's lowest free one ("" for an ipv4 one).
func zoneAddress6(st *state, r lbRequest, z lbZoneReq, used map[string]bool) (string, error) {
	if !r.dualStack {
		return "", nil
	}
	if z.addr6 != "" {
		if used[z.addr6] {
			return "", elbError(codeInvalidConfig, "The address %s of subnet %s is in use (%s.IPv6Address)", z.addr6, z.subnet, z.param)
		}
		used[z.addr6] = true
		return z.addr6, nil
	}
	a, ok := lbAddress6(&st.spec, z.subnet, used)
	if !ok {
		return "", elbError(codeInvalidConfig, "Subnet %s has no IPv6 CIDR block (or no free IPv6 address) for a dualstack load balancer (%s)", z.subnet, z.param)
	}
	used[a] = true
	return a, nil
}

// lbSubnets are a load balancer's subnets, its first zone's first.
func lbSubnets(lb *cloudmock.LoadBalancer) []string {
	out := []string{lb.SubnetId}
	for _, z := range lb.AdditionalSubnets {
		out = append(out, z.SubnetId)
	}
	return out
}

// isEndpointEntry says whether a model LoadBalancer is a Gateway Load
// Balancer endpoint created through the API (not a load balancer of
// ELBv2's).
func isEndpointEntry(lb *cloudmock.LoadBalancer) bool { return lb.GatewayLoadBalancerArn != "" }

func (s *Server) deleteLoadBalancer(c *call) (any, error) {
	arn := c.elbRequired("LoadBalancerArn")
	if err := c.begin(); err != nil {
		return nil, err
	}
	if s.attrs.value(arn, "deletion_protection.enabled") == "true" {
		return nil, elbError(codeOperationNotPerm, "Load balancer '%s' cannot be deleted because deletion protection is enabled", arn)
	}
	var listeners []string
	_, err := c.mutate("", func(st *state) (any, error) {
		i := s.findLB(&st.spec, arn, false)
		if i < 0 {
			return struct{}{}, nil // ELBv2: deleting a deleted load balancer succeeds
		}
		lb := &st.spec.LoadBalancers[i]
		for _, l := range lb.Listeners {
			listeners = append(listeners, s.listenerArn(lb, l))
			st.tags.remove(s.listenerArn(lb, l))
		}
		st.spec.LoadBalancers = slices.Delete(st.spec.LoadBalancers, i, i+1)
		st.tags.remove(arn)
		return struct{}{}, nil
	})
	if err != nil {
		return nil, lbInUse(err, arn)
	}
	for _, a := range append(listeners, arn) {
		s.attrs.drop(a)
	}
	return struct{}{}, nil
}

// lbInUse turns the model's finding that a mirror target, an endpoint
// service or an endpoint names a deleted load balancer into ELBv2's
// ResourceInUse.
func lbInUse(err error, arn string) error {
	var ae *apiError
	if errors.As(err, &ae) && ae.Cause != nil && ae.Cause.Code == codes.LoadBalancerNotFound && ae.Cause.ID != arn {
		return elbError(codeResourceInUse, "Load balancer '%s' cannot be deleted because it is currently associated with %s %s", arn, ae.Cause.Resource, ae.Cause.ID)
	}
	return err
}
