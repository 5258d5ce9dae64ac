package ec2api

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// Endpoint services offering Gateway Load Balancers (the model's
// VpcEndpointServices): Create, Describe, Delete and their permissions.

const codeServiceNotFound = codes.VpcEndpointServiceNotFound

// serviceName is the name endpoints connect to.
func (s *Server) serviceName(id string) string {
	return fmt.Sprintf("com.amazonaws.vpce.%s.%s", s.cfg.Region, id)
}

func findService(spec *cloudmock.Spec, id string) int {
	return indexByID(spec.VpcEndpointServices, id, idOfService)
}

func serviceNotFound(id string) error {
	return errorf(codeServiceNotFound, "The Vpc Endpoint Service Id '%s' does not exist", id)
}

type xmlServiceType struct {
	ServiceType string `xml:"serviceType"`
}

func (s *Server) toXMLService(spec *cloudmock.Spec, x *cloudmock.VpcEndpointService, tags tagStore) xres {
	return res(x).with(xel{"serviceType", []xmlServiceType{{"GatewayLoadBalancer"}}}, xel{"serviceName", s.serviceName(x.ServiceId)},
		xel{"serviceState", "Available"}, xel{"availabilityZoneSet", s.serviceZones(spec, x)}, xel{"managesVpcEndpoints", false},
		xel{"supportedIpAddressTypeSet", []string{"ipv4"}}, xel{"baseEndpointDnsNameSet", s.serviceDNSNames(x)}, tagSet(tags, x.ServiceId))
}

// serviceZones are the zones of a service's load balancers.
func (s *Server) serviceZones(spec *cloudmock.Spec, x *cloudmock.VpcEndpointService) []string {
	var out []string
	for _, a := range x.GatewayLoadBalancerArns {
		if i := s.findLB(spec, a, false); i >= 0 {
			for _, sub := range lbSubnets(&spec.LoadBalancers[i]) {
				if z := s.subnetZone(sub).ZoneName; !slices.Contains(out, z) {
					out = append(out, z)
				}
			}
		}
	}
	return out
}

// serviceDNSNames are a service's base endpoint DNS names.
func (s *Server) serviceDNSNames(x *cloudmock.VpcEndpointService) []string {
	return []string{fmt.Sprintf("%s.%s.vpce.amazonaws.com", x.ServiceId, s.cfg.Region)}
}

func (s *Server) createVpcEndpointService(c *call) (any, error) {
	var x cloudmock.VpcEndpointService
	x.GatewayLoadBalancerArns = c.p.list("GatewayLoadBalancerArn")
	if nlbs := c.p.list("NetworkLoadBalancerArn"); len(nlbs) > 0 {
		return nil, errInvalid("NetworkLoadBalancerArn.1", nlbs[0], "Endpoint services here offer gateway load balancers (interface endpoints carry no mirrored traffic).")
	}
	if c.p.ok() && len(x.GatewayLoadBalancerArns) == 0 {
		return nil, errMissing("GatewayLoadBalancerArn.1")
	}
	x.AcceptanceRequired = c.p.bool("AcceptanceRequired")
	if v, _ := c.p.str("PrivateDnsName"); v != "" {
		return nil, errInvalid("PrivateDnsName", v, "A gateway load balancer's endpoint service has no private DNS name.")
	}
	ipTypes := c.p.list("SupportedIpAddressType")
	if len(ipTypes) > 0 && !slices.Equal(ipTypes, []string{"ipv4"}) {
		return nil, errInvalid("SupportedIpAddressType.1", strings.Join(ipTypes, ","), "Endpoint services created here are ipv4.")
	}
	c.p.list("SupportedRegion")
	token, _ := c.p.str("ClientToken")
	tags := c.p.tagSpecs("vpc-endpoint-service")
	if err := c.begin(); err != nil {
		return nil, err
	}
	res, err := c.mutate(token, func(st *state) (any, error) {
		x.ServiceId = st.newID("vpce-svc")
		x.AllowedPrincipals = []string{}
		st.spec.VpcEndpointServices = append(st.spec.VpcEndpointServices, x)
		return st.created(x.ServiceId, tags, "serviceConfiguration", token, func() xres { return s.toXMLService(&st.spec, &x, st.tags) })
	})
	return res, renamedParam(err, "GatewayLoadBalancerArns[", "GatewayLoadBalancerArn[")
}

func (s *Server) describeVpcEndpointServices(c *call) (any, error) {
	type X = cloudmock.VpcEndpointService
	fields := filterFields[*X]{
		"service-name":               func(x *X) []string { return one(s.serviceName(x.ServiceId)) },
		"service-id":                 func(x *X) []string { return one(x.ServiceId) },
		"service-state":              func(*X) []string { return one("Available") },
		"supported-ip-address-types": func(*X) []string { return one("ipv4") },
	}
	return describeByID(c, "ServiceId", "serviceConfigurationSet", serviceNotFound, func(x *X) string { return x.ServiceId },
		func(spec *cloudmock.Spec) ([]X, filterFields[*X]) { return spec.VpcEndpointServices, fields }, s.toXMLService)
}

type xmlUnsuccessful struct {
	Error struct {
		Code    string `xml:"code"`
		Message string `xml:"message"`
	} `xml:"error"`
	ResourceId string `xml:"resourceId"`
}

type unsuccessfulResult struct {
	Unsuccessful []xmlUnsuccessful `xml:"unsuccessful>item"`
}

// eachDelete deletes ids one by one (each its own change), answering
// EC2's unsuccessful set for those that fail.
func (c *call) eachDelete(ids []string, del func(st *state, id string) error, inUse func(error, string) error) (any, error) {
	var out unsuccessfulResult
	for _, id := range ids {
		_, err := c.mutate("", func(st *state) (any, error) { return struct{}{}, del(st, id) })
		if c.dry {
			return nil, err
		}
		if err != nil {
			ae := asAPIError(inUse(err, id))
			u := xmlUnsuccessful{ResourceId: id}
			u.Error.Code, u.Error.Message = ae.Code, ae.Message
			out.Unsuccessful = append(out.Unsuccessful, u)
		}
	}
	return out, nil
}

func (s *Server) deleteVpcEndpointServices(c *call) (any, error) {
	ids := c.p.requiredList("ServiceId")
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.eachDelete(ids, func(st *state, id string) error {
		i := findService(&st.spec, id)
		if i < 0 {
			return serviceNotFound(id)
		}
		for _, p := range st.spec.VpcEndpointServices[i].PendingEndpoints {
			if !p.Rejected {
				return errorf("ExistingVpcEndpointConnections", "Service %s has an endpoint waiting for acceptance (%s)", id, p.VpcEndpointId)
			}
		}
		st.spec.VpcEndpointServices = slices.Delete(st.spec.VpcEndpointServices, i, i+1)
		st.tags.remove(id)
		return nil
	}, endpointsStranded)
}

// endpointsStranded turns the model's finding that an endpoint's balancer
// is offered by no service (after a change to its service) into EC2's
// ExistingVpcEndpointConnections.
func endpointsStranded(err error, id string) error {
	if ae := asAPIError(err); ae.Cause != nil && ae.Cause.Code == codeServiceNotFound {
		return errorf("ExistingVpcEndpointConnections", "Service %s has existing endpoint connections (%s)", id, ae.Cause.ID)
	}
	return err
}
