package ec2api

import (
	"fmt"
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
		items, next, err := filterPage(items, q.fs, q.pg, filterFields[xmlCreditSpec]{"instance-id": func(x xmlCreditSpec) []string { return one(x.InstanceId) }}, key, tagStore{})
		if err != nil {
			return nil, err
		}
		return struct {
			Items     []xmlCreditSpec `xml:"instanceCreditSpecificationSet>item"`
			NextToken string          `xml:"nextToken,omitempty"`
		}{items, next}, nil
	})
}

type xmlCreditError struct {
	Code    string `xml:"code"`
	Message string `xml:"message"`
}

type xmlCreditItem struct {
	InstanceId string          `xml:"instanceId"`
	Error      *xmlCreditError `xml:"error"`
}

// modifyInstanceCreditSpecification sets burstable instances' credit
// option (InstanceCreditSpecification.N.InstanceId / .CpuCredits), as
// the provider does when credit_specification changes. An instance of
// another type, or an unknown one, is named in the answer's
// unsuccessful set, as EC2 does; the others change.
func (s *Server) modifyInstanceCreditSpecification(c *call) (any, error) {
	idx := c.p.indexes("InstanceCreditSpecification")
	if c.p.ok() && len(idx) == 0 {
		return nil, errMissing("InstanceCreditSpecification.1")
	}
	want := map[string]string{}
	var order []string
	for _, n := range idx {
		pre := fmt.Sprintf("InstanceCreditSpecification.%d.", n)
		id := c.p.required(pre + "InstanceId")
		credits, _ := c.p.str(pre + "CpuCredits")
		if c.p.ok() && credits != "standard" && credits != "unlimited" {
			return nil, errInvalid(pre+"CpuCredits", credits, "It must be standard or unlimited.")
		}
		want[id] = credits
		order = append(order, id)
	}
	token, _ := c.p.str("ClientToken")
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.mutate(token, func(st *state) (any, error) {
		var ok, failed []xmlCreditItem
		for _, id := range order {
			k := st.spec.FindInstance(id)
			if k < 0 || st.spec.Instances[k].CpuCredits == "" {
				e := &xmlCreditError{Code: codeInstanceNotFound, Message: fmt.Sprintf("The instance ID '%s' does not exist", id)}
				if k >= 0 {
					e = &xmlCreditError{Code: "InvalidInstanceType", Message: fmt.Sprintf("The instance type %s does not support credit specifications.", st.spec.Instances[k].InstanceType)}
				}
				failed = append(failed, xmlCreditItem{InstanceId: id, Error: e})
				continue
			}
			st.spec.Instances[k].CpuCredits = want[id]
			ok = append(ok, xmlCreditItem{InstanceId: id})
		}
		return struct {
			OK     []xmlCreditItem `xml:"successfulInstanceCreditSpecificationSet>item"`
			Failed []xmlCreditItem `xml:"unsuccessfulInstanceCreditSpecificationSet>item"`
		}{ok, failed}, nil
	})
}
