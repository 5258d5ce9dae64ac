package ec2api

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

type xmlMatcher struct {
	HttpCode string `xml:"HttpCode,omitempty"`
}

// toXMLTG is a target group as ELBv2 answers it: the model's TargetGroup
// with its health check in place and the load balancers that use it.
func toXMLTG(v tgView) xres {
	var matcher *xmlMatcher
	if v.hc.Matcher != "" {
		matcher = &xmlMatcher{HttpCode: v.hc.Matcher}
	}
	tg := cloudmock.TargetGroup{TargetGroupArn: v.arn, Protocol: v.proto, Port: v.port, VpcId: v.vpc, TargetType: v.targetType, HealthCheck: &v.hc}
	return qres(tg).set("Matcher", matcher).with(xel{"TargetGroupName", v.name}, xel{"IpAddressType", "ipv4"}, xel{"LoadBalancerArns", v.lbs})
}

func (s *Server) describeTargetGroups(c *call) (any, error) {
	lbArn, _ := c.p.str("LoadBalancerArn")
	arns, names, pg := c.elbDescribe("TargetGroupArns")
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.read(func(spec *cloudmock.Spec, _ tagStore) (any, error) {
		if lbArn != "" && s.findLB(spec, lbArn, false) < 0 {
			return nil, s.lbNotFound(lbArn)
		}
		all := s.targetGroups(spec)
		for _, a := range arns {
			if !slices.ContainsFunc(all, func(v tgView) bool { return v.arn == a }) {
				return nil, s.tgNotFound(a)
			}
		}
		for _, n := range names {
			if !slices.ContainsFunc(all, func(v tgView) bool { return v.name == n }) {
				return nil, elbError(codeTGNotFound, "Target group named '%s' not found", n)
			}
		}
		var items []tgView
		for _, v := range all {
			if (lbArn == "" || slices.Contains(v.lbs, lbArn)) && (len(arns) == 0 || slices.Contains(arns, v.arn)) &&
				(len(names) == 0 || slices.Contains(names, v.name)) {
				items = append(items, v)
			}
		}
		items, next := page(pg, items, func(v tgView) string { return v.arn })
		out := listResult{set: "TargetGroups", next: next, query: true}
		for _, v := range items {
			out.items = append(out.items, toXMLTG(v))
		}
		return out, nil
	})
}

// elbTarget is one Targets.member.N of a request.
type elbTarget struct {
	id, param string
	port      *int
}

func (c *call) elbTargets(required bool) []elbTarget {
	if v, ok := c.p.str("Targets"); ok && v != "" {
		c.p.fail(elbError(codeELBValidation, "Targets is a list: give Targets.member.N.Id"))
	}
	var out []elbTarget
	for _, n := range c.p.indexes("Targets.member") {
		pre := fmt.Sprintf("Targets.member.%d", n)
		id := c.elbRequired(pre + ".Id")
		port := c.elbInt(pre + ".Port")
		c.p.str(pre + ".AvailabilityZone")
		out = append(out, elbTarget{id: id, param: pre, port: port})
	}
	if c.p.ok() && required && len(out) == 0 {
		c.p.fail(elbError(codeELBValidation, "1 validation error detected: Value null at 'targets' failed to satisfy constraint: Member must not be null"))
	}
	return out
}

// targetENI resolves a target id of a target group in VPC vpc: the
// private IP address of an ENI in its VPC, an instance id (its first
// ENI) or an ENI id.
func targetENI(spec *cloudmock.Spec, vpc, id string) (string, bool) {
	for _, in := range instances(spec) {
		if in.id == id {
			return in.primary().NetworkInterfaceId, true
		}
	}
	if a, err := netip.ParseAddr(id); err == nil {
		for _, e := range spec.NetworkInterfaces {
			if e.PrivateIpAddress == a.String() && subnetVpc(spec, e.SubnetId) == vpc {
				return e.NetworkInterfaceId, true
			}
		}
		return "", false
	}
	if i := findENI(spec, id); i >= 0 {
		return id, true
	}
	return "", false
}

// targetID is how the target group names a registered ENI: its
// instance (a group of type instance) or its address.
func targetID(spec *cloudmock.Spec, v tgView, eni string) string {
	if i := findENI(spec, eni); i >= 0 {
		if e := spec.NetworkInterfaces[i]; v.targetType == "instance" && e.InstanceId != "" {
			return e.InstanceId
		}
		return spec.NetworkInterfaces[i].PrivateIpAddress
	}
	return eni
}

func (s *Server) changeTargets(register bool) actionFunc {
	return func(c *call) (any, error) {
		arn := c.elbRequired("TargetGroupArn")
		targets := c.elbTargets(true)
		if err := c.begin(); err != nil {
			return nil, err
		}
		return c.mutate("", func(st *state) (any, error) {
			v, ok := s.findTG(&st.spec, arn)
			if !ok {
				return nil, s.tgNotFound(arn)
			}
			// the balancers forwarding to v follow in mutate (SyncLoadBalancers)
			return struct{}{}, applyTargets(&st.spec, v, targets, register)
		})
	}
}

// applyTargets registers or deregisters targets in the group v.
func applyTargets(spec *cloudmock.Spec, v tgView, targets []elbTarget, register bool) error {
	var bad []string
	for _, t := range targets {
		if t.port != nil && *t.port != v.port {
			return elbError(codeELBValidation, "%s.Port %d: targets receive on the target group's port %d (per-target ports are not modelled)", t.param, *t.port, v.port)
		}
		if err := targetKindOK(v, t); err != nil {
			return err
		}
		eni, ok := targetENI(spec, v.vpc, t.id)
		if !ok {
			bad = append(bad, t.id)
			continue
		}
		j := slices.IndexFunc(*v.targets, func(x cloudmock.TargetDescription) bool { return x.NetworkInterfaceId == eni })
		switch {
		case register && j < 0:
			*v.targets = append(*v.targets, cloudmock.TargetDescription{NetworkInterfaceId: eni})
		case !register && j >= 0:
			*v.targets = slices.Delete(*v.targets, j, j+1)
		case !register:
			bad = append(bad, t.id)
		}
	}
	if len(bad) > 0 {
		if register {
			return elbError(codeInvalidTarget, "The following targets are not in the target group's VPC '%s': '%s'", v.vpc, strings.Join(bad, "', '"))
		}
		return elbError(codeInvalidTarget, "The following targets are not registered in target group '%s': '%s'", v.arn, strings.Join(bad, "', '"))
	}
	return nil
}

type xmlTargetDesc struct {
	Id   string `xml:"Id"`
	Port int    `xml:"Port"`
}

type xmlTargetHealth struct {
	State       string `xml:"State"`
	Reason      string `xml:"Reason,omitempty"`
	Description string `xml:"Description,omitempty"`
}

type xmlTargetHealthDesc struct {
	Target          xmlTargetDesc   `xml:"Target"`
	HealthCheckPort string          `xml:"HealthCheckPort"`
	TargetHealth    xmlTargetHealth `xml:"TargetHealth"`
}

type describeHealthResult struct {
	Descriptions []xmlTargetHealthDesc `xml:"TargetHealthDescriptions>member"`
}

// health is a registered target's state: the running lab's health checks
// when Config.TargetHealth is set, else healthy (as the model starts them);
// unused while no load balancer forwards to the group.
func (s *Server) health(v tgView, eni string) xmlTargetHealth {
	if len(v.lbs) == 0 {
		return xmlTargetHealth{State: "unused", Reason: "Target.NotInUse", Description: "Target group is not configured to receive traffic from the load balancer"}
	}
	if s.cfg.TargetHealth == nil {
		return xmlTargetHealth{State: "healthy"}
	}
	ok, err := s.cfg.TargetHealth(v.lbs[0], eni)
	switch {
	case err != nil:
		return xmlTargetHealth{State: "unavailable", Reason: "Elb.InternalError", Description: err.Error()}
	case ok:
		return xmlTargetHealth{State: "healthy"}
	}
	return xmlTargetHealth{State: "unhealthy", Reason: "Target.FailedHealthChecks", Description: "Health checks failed"}
}

func (s *Server) describeTargetHealth(c *call) (any, error) {
	arn := c.elbRequired("TargetGroupArn")
	targets := c.elbTargets(false)
	c.elbList("Include")
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.read(func(spec *cloudmock.Spec, _ tagStore) (any, error) {
		v, ok := s.findTG(spec, arn)
		if !ok {
			return nil, s.tgNotFound(arn)
		}
		hcPort := v.hc.Port
		if hcPort == "traffic-port" || hcPort == "" {
			hcPort = strconv.Itoa(v.port)
		}
		desc := func(eni string) xmlTargetHealthDesc {
			return xmlTargetHealthDesc{Target: xmlTargetDesc{Id: targetID(spec, v, eni), Port: v.port}, HealthCheckPort: hcPort}
		}
		var out describeHealthResult
		if len(targets) == 0 {
			for _, t := range *v.targets {
				d := desc(t.NetworkInterfaceId)
				d.TargetHealth = s.health(v, t.NetworkInterfaceId)
				out.Descriptions = append(out.Descriptions, d)
			}
			return out, nil
		}
		for _, t := range targets {
			eni, ok := targetENI(spec, v.vpc, t.id)
			if !ok {
				return nil, elbError(codeInvalidTarget, "The target '%s' is not in the target group's VPC", t.id)
			}
			d := desc(eni)
			if slices.ContainsFunc(*v.targets, func(x cloudmock.TargetDescription) bool { return x.NetworkInterfaceId == eni }) {
				d.TargetHealth = s.health(v, eni)
			} else {
				d.TargetHealth = xmlTargetHealth{State: "unused", Reason: "Target.NotRegistered", Description: "Target is not registered to the target group"}
			}
			out.Descriptions = append(out.Descriptions, d)
		}
		return out, nil
	})
}

// targetKindOK checks a target id against a created group's target type:
// an instance id for "instance", an IP address for "ip" (a file's
// balancer's own group takes either, or an interface id).
func targetKindOK(v tgView, t elbTarget) error {
	if v.own != nil {
		return nil
	}
	_, err := netip.ParseAddr(t.id)
	switch {
	case v.targetType == "ip" && err != nil:
		return elbError(codeELBValidation, "%s.Id %q: a target group of type ip takes IP addresses", t.param, t.id)
	case v.targetType == "instance" && !strings.HasPrefix(t.id, "i-"):
		return elbError(codeELBValidation, "%s.Id %q: a target group of type instance takes instance ids", t.param, t.id)
	}
	return nil
}
