package ec2api

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// Gateway Load Balancer endpoints: each is a model LoadBalancer of Type
// gateway with its VpcEndpointId, its own ARN-shaped LoadBalancerArn and
// the GatewayLoadBalancerArn of its service, so that the model decides
// copies to it as to a file's endpoint (its Targets are its balancer's,
// SyncLoadBalancers).

// endpointArn is an endpoint's ARN (and its model LoadBalancerArn).
func (s *Server) endpointArn(id string) string {
	return fmt.Sprintf("arn:aws:ec2:%s:%s:vpc-endpoint/%s", s.cfg.Region, s.cfg.AccountID, id)
}

// findEndpoint finds a Gateway Load Balancer endpoint (created or a
// file's) by id.
func findEndpoint(spec *cloudmock.Spec, id string) int {
	return slices.IndexFunc(spec.LoadBalancers, func(l cloudmock.LoadBalancer) bool { return l.VpcEndpointId != "" && l.VpcEndpointId == id })
}

func endpointNotFound(id string) error {
	return errorf("InvalidVpcEndpointId.NotFound", "The Vpc Endpoint Id '%s' does not exist", id)
}

// endpointService is the service an endpoint connects to: its balancer's
// service ("" for a file's endpoint, which has none).
func endpointService(spec *cloudmock.Spec, l *cloudmock.LoadBalancer) string {
	gw := l.GatewayLoadBalancerArn
	if gw == "" {
		gw = l.LoadBalancerArn
	}
	for _, x := range spec.VpcEndpointServices {
		if slices.Contains(x.GatewayLoadBalancerArns, gw) {
			return x.ServiceId
		}
	}
	return ""
}

// endpointView is an endpoint as DescribeVpcEndpoints answers it: the
// model's id and subnet (a service's PendingVpcEndpoint, or those of an
// accepted endpoint's LoadBalancer), its VPC, service and state, and its
// interface once accepted.
type endpointView struct {
	cloudmock.PendingVpcEndpoint
	vpc, service, state, eni string
}

func (s *Server) toXMLEndpoint(spec *cloudmock.Spec, l *cloudmock.LoadBalancer) endpointView {
	name := ""
	if svc := endpointService(spec, l); svc != "" {
		name = s.serviceName(svc)
	}
	return endpointView{PendingVpcEndpoint: cloudmock.PendingVpcEndpoint{VpcEndpointId: l.VpcEndpointId, SubnetId: l.SubnetId},
		vpc: subnetVpc(spec, l.SubnetId), service: name, state: "available", eni: lbENIID(l, l.SubnetId)}
}

func (s *Server) endpointXML(v endpointView, tags tagStore) xres {
	var enis []string
	if v.eni != "" {
		enis = []string{v.eni}
	}
	return res(v.PendingVpcEndpoint).set("SubnetId", []string{v.SubnetId}).with(xel{"vpcEndpointType", "GatewayLoadBalancer"},
		xel{"vpcId", v.vpc}, xel{"serviceName", v.service}, xel{"state", v.state}, xel{"routeTableIdSet", []string(nil)},
		xel{"ipAddressType", "ipv4"}, xel{"privateDnsEnabled", false}, xel{"requesterManaged", false},
		xel{"networkInterfaceIdSet", enis}, xel{"creationTimestamp", createdTime}, xel{"ownerId", s.cfg.AccountID},
		tagSet(tags, v.VpcEndpointId))
}

// endpointRequest is what CreateVpcEndpoint asks for.
type endpointRequest struct {
	vpc, service, subnet, token string
	tags                        []tag
}

// readEndpointRequest reads CreateVpcEndpoint's parameters, then begins.
func (c *call) readEndpointRequest() (endpointRequest, error) {
	var r endpointRequest
	if typ, _ := c.p.str("VpcEndpointType"); typ != "GatewayLoadBalancer" {
		return r, errInvalid("VpcEndpointType", typ, "This server makes Gateway Load Balancer endpoints (GatewayLoadBalancer), the mirror targets.")
	}
	r.vpc = c.p.required("VpcId")
	r.service = c.p.required("ServiceName")
	subnets := c.p.list("SubnetId")
	if !c.p.ok() {
		return r, c.p.Err()
	}
	if len(subnets) != 1 {
		return r, errInvalid("SubnetId", strings.Join(subnets, ","), "A Gateway Load Balancer endpoint is in exactly one subnet.")
	}
	r.subnet = subnets[0]
	for _, p := range []string{"SecurityGroupId", "RouteTableId"} {
		if v := c.p.list(p); len(v) > 0 {
			return r, errInvalid(p+".1", v[0], "A Gateway Load Balancer endpoint takes none.")
		}
	}
	if v, _ := c.p.str("PolicyDocument"); v != "" {
		return r, errInvalid("PolicyDocument", "(policy)", "A Gateway Load Balancer endpoint takes no policy.")
	}
	if c.p.bool("PrivateDnsEnabled") {
		return r, errInvalid("PrivateDnsEnabled", "true", "A Gateway Load Balancer endpoint has no private DNS.")
	}
	if v, _ := c.p.str("IpAddressType"); v != "" && v != "ipv4" {
		return r, errInvalid("IpAddressType", v, "Endpoints created here are ipv4.")
	}
	c.p.str("DnsOptions.DnsRecordIpType")
	r.token, _ = c.p.str("ClientToken")
	r.tags = c.p.tagSpecs("vpc-endpoint")
	return r, c.begin()
}

func (s *Server) createVpcEndpoint(c *call) (any, error) {
	r, err := c.readEndpointRequest()
	if err != nil {
		return nil, err
	}
	return c.mutate(r.token, func(st *state) (any, error) {
		svc, err := s.endpointChecks(st, r)
		if err != nil {
			return nil, err
		}
		x, err := s.addEndpoint(st, svc, r.subnet)
		if err != nil {
			return nil, err
		}
		return st.created(x.VpcEndpointId, r.tags, "vpcEndpoint", r.token, func() xres { return s.endpointXML(x, st.tags) })
	})
}

// addEndpoint adds an endpoint of service svc (an index) in subnet: one
// waiting for acceptance when the service requires it, else one that
// carries copies (a LoadBalancer, whose Targets follow in mutate).
func (s *Server) addEndpoint(st *state, svc int, subnet string) (endpointView, error) {
	id := st.newID("vpce")
	x := &st.spec.VpcEndpointServices[svc]
	if x.AcceptanceRequired {
		x.PendingEndpoints = append(x.PendingEndpoints, cloudmock.PendingVpcEndpoint{VpcEndpointId: id, SubnetId: subnet})
		return s.toXMLPending(&st.spec, x, x.PendingEndpoints[len(x.PendingEndpoints)-1]), nil
	}
	l, err := s.acceptedEndpoint(&st.spec, x, id, subnet)
	if err != nil {
		return endpointView{}, err
	}
	st.spec.LoadBalancers = append(st.spec.LoadBalancers, l)
	return s.toXMLEndpoint(&st.spec, &l), nil
}

// acceptedEndpoint is endpoint id of service x in subnet, carrying
// copies: its address the lowest free one of the subnet.
func (s *Server) acceptedEndpoint(spec *cloudmock.Spec, x *cloudmock.VpcEndpointService, id, subnet string) (cloudmock.LoadBalancer, error) {
	addr, ok := lbAddress(spec, subnet, usedAddresses(spec))
	if !ok {
		return cloudmock.LoadBalancer{}, errorf("InsufficientFreeAddressesInSubnet", "Subnet %s has no free address for the endpoint", subnet)
	}
	return cloudmock.LoadBalancer{LoadBalancerArn: s.endpointArn(id), Type: "gateway", SubnetId: subnet, PrivateIpAddress: addr,
		VpcEndpointId: id, GatewayLoadBalancerArn: x.GatewayLoadBalancerArns[0]}, nil
}

// toXMLPending is an endpoint waiting for acceptance (or rejected).
func (s *Server) toXMLPending(spec *cloudmock.Spec, x *cloudmock.VpcEndpointService, p cloudmock.PendingVpcEndpoint) endpointView {
	state := "pendingAcceptance"
	if p.Rejected {
		state = "rejected"
	}
	return endpointView{PendingVpcEndpoint: p, vpc: subnetVpc(spec, p.SubnetId), service: s.serviceName(x.ServiceId), state: state}
}

// endpoints are every endpoint as DescribeVpcEndpoints answers it.
func (s *Server) endpoints(spec *cloudmock.Spec) []endpointView {
	var out []endpointView
	for i := range spec.LoadBalancers {
		if l := &spec.LoadBalancers[i]; l.VpcEndpointId != "" {
			out = append(out, s.toXMLEndpoint(spec, l))
		}
	}
	for i := range spec.VpcEndpointServices {
		x := &spec.VpcEndpointServices[i]
		for _, p := range x.PendingEndpoints {
			out = append(out, s.toXMLPending(spec, x, p))
		}
	}
	return out
}

// endpointChecks checks r against the state and returns its service's
// index.
func (s *Server) endpointChecks(st *state, r endpointRequest) (int, error) {
	if findVpc(&st.spec, r.vpc) < 0 {
		return -1, vpcNotFound(r.vpc)
	}
	if findSubnet(&st.spec, r.subnet) < 0 {
		return -1, subnetNotFound(r.subnet)
	}
	if v := subnetVpc(&st.spec, r.subnet); v != r.vpc {
		return -1, errInvalid("SubnetId.1", r.subnet, fmt.Sprintf("The subnet is in VPC %s, not %s.", v, r.vpc))
	}
	i := slices.IndexFunc(st.spec.VpcEndpointServices, func(x cloudmock.VpcEndpointService) bool { return s.serviceName(x.ServiceId) == r.service })
	if i < 0 {
		return -1, errorf("InvalidServiceName", "The Vpc Endpoint Service '%s' does not exist", r.service)
	}
	return i, nil
}

func (s *Server) describeVpcEndpoints(c *call) (any, error) {
	type X = endpointView
	fields := filterFields[*X]{
		"service-name":       func(x *X) []string { return one(x.service) },
		"vpc-id":             func(x *X) []string { return one(x.vpc) },
		"vpc-endpoint-id":    func(x *X) []string { return one(x.VpcEndpointId) },
		"vpc-endpoint-state": func(x *X) []string { return one(x.state) },
		"vpc-endpoint-type":  func(*X) []string { return one("GatewayLoadBalancer") },
	}
	return describeByID(c, "VpcEndpointId", "vpcEndpointSet", endpointNotFound, func(x *X) string { return x.VpcEndpointId },
		func(spec *cloudmock.Spec) ([]X, filterFields[*X]) { return s.endpoints(spec), fields },
		func(_ *cloudmock.Spec, x *X, tags tagStore) xres { return s.endpointXML(*x, tags) })
}

func (s *Server) deleteVpcEndpoints(c *call) (any, error) {
	ids := c.p.requiredList("VpcEndpointId")
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.eachDelete(ids, func(st *state, id string) error {
		if dropPending(&st.spec, id) {
			st.tags.remove(id)
			return nil
		}
		i := findEndpoint(&st.spec, id)
		if i < 0 {
			return endpointNotFound(id)
		}
		if !isEndpointEntry(&st.spec.LoadBalancers[i]) {
			return errorf(codeUnsupported, "Endpoint %s is a scenario file's, one with its gateway load balancer: remove it from the file", id)
		}
		st.spec.LoadBalancers = slices.Delete(st.spec.LoadBalancers, i, i+1)
		st.tags.remove(id)
		return nil
	}, func(err error, id string) error { return inUse(lbTargetMissing(err), "VPC endpoint", id) })
}

// lbTargetMissing makes the model's finding that a mirror target names a
// deleted endpoint read as the target-not-found finding inUse knows.
func lbTargetMissing(err error) error {
	if ae := asAPIError(err); ae.Cause != nil && ae.Cause.Code == codes.LoadBalancerNotFound && ae.Cause.Resource == "TrafficMirrorTarget" {
		c := *ae.Cause
		c.Code = codes.TargetNotFound
		return &apiError{Status: ae.Status, Code: ae.Code, Message: ae.Message, Cause: &c}
	}
	return err
}

type describePrefixListsResult struct {
	PrefixLists []struct{} `xml:"prefixListSet>item"`
	NextToken   string     `xml:"nextToken,omitempty"`
}

// describePrefixLists answers the AWS-managed prefix lists of the
// region's services: the lab runs none (no S3, no DynamoDB), so there are
// none; an id asked for is not found.
func (s *Server) describePrefixLists(c *call) (any, error) {
	q, err := c.readDescribe("PrefixListId")
	if err != nil {
		return nil, err
	}
	return c.read(func(*cloudmock.Spec, tagStore) (any, error) {
		for _, f := range q.fs {
			if f.Name != "prefix-list-id" && f.Name != "prefix-list-name" && f.Name != "owner-id" {
				return nil, errorf("InvalidParameterValue", "The filter '%s' is invalid (this action knows prefix-list-id, prefix-list-name, owner-id)", f.Name)
			}
		}
		if len(q.ids) > 0 {
			return nil, errorf("InvalidPrefixListId.NotFound", "The prefix list '%s' does not exist", q.ids[0])
		}
		return describePrefixListsResult{}, nil
	})
}
