package ec2api

import (
	"slices"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

func findTarget(spec *cloudmock.Spec, id string) int {
	return slices.IndexFunc(spec.TrafficMirrorTargets, func(t *cloudmock.TrafficMirrorTarget) bool { return t.TrafficMirrorTargetId == id })
}

func targetNotFound(id string) error {
	return notFound(codeTargetNotFound, "traffic mirror target", id)
}

func (s *Server) createTrafficMirrorTarget(c *call) (any, error) {
	var t cloudmock.TrafficMirrorTarget
	t.NetworkInterfaceId, _ = c.p.str("NetworkInterfaceId")
	t.NetworkLoadBalancerArn, _ = c.p.str("NetworkLoadBalancerArn")
	t.GatewayLoadBalancerEndpointId, _ = c.p.str("GatewayLoadBalancerEndpointId")
	t.Description, _ = c.p.str("Description")
	token, _ := c.p.str("ClientToken")
	tags := c.p.tagSpecs("traffic-mirror-target")
	if err := c.begin(); err != nil {
		return nil, err
	}
	// Which of the three is given, and whether it exists, is the model's
	// rule (TrafficMirrorTarget validation).
	// The list is the published one: the change appends to a copy (of
	// pointers; the targets are shared, and never written).
	return c.mutateIn(0, token, func(st *state) (any, error) {
		t.TrafficMirrorTargetId = st.newID("tmt")
		st.spec.TrafficMirrorTargets = append(slices.Clip(st.spec.TrafficMirrorTargets), &t)
		st.placedTarget(len(st.spec.TrafficMirrorTargets)-1, t.TrafficMirrorTargetId)
		if err := st.tags.set(t.TrafficMirrorTargetId, tags, "TagSpecification"); err != nil {
			return nil, err
		}
		return itemResult{name: "trafficMirrorTarget", item: s.toXMLTarget(&t, st.tags), token: token}, nil
	})
}

type deleteTargetResult struct {
	TrafficMirrorTargetId string `xml:"trafficMirrorTargetId"`
}

func (s *Server) deleteTrafficMirrorTarget(c *call) (any, error) {
	id, err := c.beginWith("TrafficMirrorTargetId")
	if err != nil {
		return nil, err
	}
	res, err := c.mutateIn(0, "", func(st *state) (any, error) { // the list: a copy less the target
		ts, i := st.spec.TrafficMirrorTargets, st.targetIndex(id)
		if i < 0 {
			return nil, targetNotFound(id)
		}
		st.spec.TrafficMirrorTargets = withoutEntry(ts, i)
		st.tags.remove(id)
		return deleteTargetResult{TrafficMirrorTargetId: id}, nil
	})
	return res, inUse(err, "traffic mirror target", id)
}

func (s *Server) targetFilters() filterFields[**cloudmock.TrafficMirrorTarget] {
	return filterFields[**cloudmock.TrafficMirrorTarget]{
		"description":               func(t **cloudmock.TrafficMirrorTarget) []string { return one((*t).Description) },
		"network-interface-id":      func(t **cloudmock.TrafficMirrorTarget) []string { return one((*t).NetworkInterfaceId) },
		"network-load-balancer-arn": func(t **cloudmock.TrafficMirrorTarget) []string { return one((*t).NetworkLoadBalancerArn) },
		"owner-id":                  func(**cloudmock.TrafficMirrorTarget) []string { return one(s.cfg.AccountID) },
		"traffic-mirror-target-id":  func(t **cloudmock.TrafficMirrorTarget) []string { return one((*t).TrafficMirrorTargetId) },
	}
}

func (s *Server) describeTrafficMirrorTargets(c *call) (any, error) {
	type X = *cloudmock.TrafficMirrorTarget
	return describeFound(c, "TrafficMirrorTargetId", "trafficMirrorTargetSet", targetNotFound, func(x *X) string { return (*x).TrafficMirrorTargetId },
		findTarget, func(spec *cloudmock.Spec) ([]X, filterFields[*X]) {
			return spec.TrafficMirrorTargets, s.targetFilters()
		},
		func(_ *cloudmock.Spec, x *X, tags tagStore) xres { return s.toXMLTarget(*x, tags) })
}
