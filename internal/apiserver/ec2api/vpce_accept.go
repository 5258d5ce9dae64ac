package ec2api

import (
	"slices"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// Acceptance of endpoints by their service's owner: an accepted endpoint
// becomes a model LoadBalancer (it carries copies from then on), a
// rejected one stays rejected until deleted.

// pendingOf finds a pending endpoint of service svc.
func pendingOf(x *cloudmock.VpcEndpointService, id string) int {
	return slices.IndexFunc(x.PendingEndpoints, func(p cloudmock.PendingVpcEndpoint) bool { return p.VpcEndpointId == id })
}

// dropPending removes a pending (or rejected) endpoint; false when no
// service has it.
func dropPending(spec *cloudmock.Spec, id string) bool {
	for i := range spec.VpcEndpointServices {
		x := &spec.VpcEndpointServices[i]
		if j := pendingOf(x, id); j >= 0 {
			x.PendingEndpoints = slices.Delete(x.PendingEndpoints, j, j+1)
			return true
		}
	}
	return false
}

// endpointConnections serves AcceptVpcEndpointConnections (accept) and
// RejectVpcEndpointConnections.
func (s *Server) endpointConnections(accept bool) actionFunc {
	return func(c *call) (any, error) {
		svcID := c.p.required("ServiceId")
		ids := c.p.requiredList("VpcEndpointId")
		if err := c.begin(); err != nil {
			return nil, err
		}
		if _, err := c.read(func(spec *cloudmock.Spec, _ tagStore) (any, error) {
			if findService(spec, svcID) < 0 {
				return nil, serviceNotFound(svcID)
			}
			return nil, nil
		}); err != nil {
			return nil, err
		}
		return c.eachDelete(ids, func(st *state, id string) error {
			return s.decide(st, svcID, id, accept)
		}, func(err error, _ string) error { return err })
	}
}

// decide accepts or rejects endpoint id of service svcID.
func (s *Server) decide(st *state, svcID, id string, accept bool) error {
	i := findService(&st.spec, svcID)
	if i < 0 {
		return serviceNotFound(svcID)
	}
	x := &st.spec.VpcEndpointServices[i]
	j := pendingOf(x, id)
	if j < 0 {
		return errorf("InvalidVpcEndpointId.NotFound", "The Vpc Endpoint Id '%s' is not waiting for acceptance by %s", id, svcID)
	}
	if !accept {
		x.PendingEndpoints[j].Rejected = true
		return nil
	}
	p := x.PendingEndpoints[j]
	l, err := s.acceptedEndpoint(&st.spec, x, p.VpcEndpointId, p.SubnetId)
	if err != nil {
		return err
	}
	x.PendingEndpoints = slices.Delete(x.PendingEndpoints, j, j+1)
	st.spec.LoadBalancers = append(st.spec.LoadBalancers, l)
	return nil
}
