package ec2api

import (
	"slices"
	"time"
)

// DescribeInstanceCreditSpecifications: the CPU credit option of the
// model's burstable instances.

type xmlCreditSpec struct {
	InstanceId string `xml:"instanceId"`
	CpuCredits string `xml:"cpuCredits"`
}

// describeInstanceCreditSpecifications answers the credit option of
// burstable instances (InstanceId.N, else all; filter instance-id;
// MaxResults 5-1000). Naming an instance of another type is
// UnsupportedOperation, as EC2 answers (the provider asks only for
// burstable types).
func (s *Server) describeInstanceCreditSpecifications(c *call) (any, error) {
	q, err := c.readDescribe("InstanceId")
	if err != nil {
		return nil, err
	}
	return c.readAll(func(cur *published) (any, error) {
		var items []xmlCreditSpec
		for _, in := range listInstances(&cur.spec, cur.inst, time.Time{}) {
			named := slices.Contains(q.ids, in.id)
			if len(q.ids) > 0 && !named {
				continue
			}
			credits := ""
			if in.model != nil {
				credits = in.model.CpuCredits
			}
			if credits == "" {
				if named {
					return nil, errorf(codeUnsupported, "The instance ID '%s' is not valid: the instance type %s does not support credit specifications.", in.id, instanceTypeOf(in))
				}
				continue
			}
			items = append(items, xmlCreditSpec{InstanceId: in.id, CpuCredits: credits})
		}
		for _, id := range q.ids {
			if !slices.ContainsFunc(items, func(x xmlCreditSpec) bool { return x.InstanceId == id }) {
				return nil, notFound(codeInstanceNotFound, "instance ID", id)
			}
		}
		key := func(x xmlCreditSpec) string { return x.InstanceId }
		items, err := applyFilters(items, q.fs, filterFields[xmlCreditSpec]{"instance-id": func(x xmlCreditSpec) []string { return one(x.InstanceId) }}, key, nil)
		if err != nil {
			return nil, err
		}
		items, next := page(q.pg, items, key)
		return struct {
			Items     []xmlCreditSpec `xml:"instanceCreditSpecificationSet>item"`
			NextToken string          `xml:"nextToken,omitempty"`
		}{items, next}, nil
	})
}
