package ec2api

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

type xmlTargetGroup struct {
	TargetGroupArn      string   `xml:"TargetGroupArn"`
	TargetGroupName     string   `xml:"TargetGroupName"`
	Protocol            string   `xml:"Protocol"`
	Port                int      `xml:"Port"`
	VpcId               string   `xml:"VpcId"`
	TargetType          string   `xml:"TargetType"`
	IpAddressType       string   `xml:"IpAddressType"`
	HealthCheckEnabled  bool     `xml:"HealthCheckEnabled"`
	HealthCheckProtocol string   `xml:"HealthCheckProtocol"`
	HealthCheckPort     string   `xml:"HealthCheckPort"`
	LoadBalancerArns    []string `xml:"LoadBalancerArns>member"`
}

type describeTGsResult struct {
	TargetGroups []xmlTargetGroup `xml:"TargetGroups>member"`
	NextMarker   string           `xml:"NextMarker,omitempty"`
}

func (s *Server) toXMLTG(spec *cloudmock.Spec, lb *cloudmock.LoadBalancer) xmlTargetGroup {
	proto, port := tgProtocol(lb)
	return xmlTargetGroup{
		TargetGroupArn: s.tgArn(lb), TargetGroupName: tgName(lb), Protocol: proto, Port: port,
		VpcId: subnetVpc(spec, lb.SubnetId), TargetType: "ip", IpAddressType: "ipv4",
		HealthCheckEnabled: true, HealthCheckProtocol: "TCP", HealthCheckPort: "traffic-port",
		LoadBalancerArns: []string{lb.LoadBalancerArn},
	}
}

func (s *Server) describeTargetGroups(c *call) (any, error) {
	lbArn, _ := c.p.str("LoadBalancerArn")
	arns, err := c.elbList("TargetGroupArns")
	if err != nil {
		return nil, err
	}
	names, err := c.elbList("Names")
	if err != nil {
		return nil, err
	}
	pg, err := c.elbPaging()
	if err != nil {
		return nil, err
	}
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.read(func(spec *cloudmock.Spec, _ tagStore) (any, error) {
		if lbArn != "" && s.findLB(spec, lbArn, false) < 0 {
			return nil, s.lbNotFound(lbArn)
		}
		for _, a := range arns {
			if s.findLB(spec, a, true) < 0 {
				return nil, s.tgNotFound(a)
			}
		}
		for _, n := range names {
			if !slices.ContainsFunc(spec.LoadBalancers, func(lb cloudmock.LoadBalancer) bool { return tgName(&lb) == n }) {
				return nil, elbError(codeTGNotFound, "Target group named '%s' not found", n)
			}
		}
		var items []*cloudmock.LoadBalancer
		for i := range spec.LoadBalancers {
			lb := &spec.LoadBalancers[i]
			if (lbArn == "" || lb.LoadBalancerArn == lbArn) && (len(arns) == 0 || slices.Contains(arns, s.tgArn(lb))) &&
				(len(names) == 0 || slices.Contains(names, tgName(lb))) {
				items = append(items, lb)
			}
		}
		items, next := page(pg, items, s.tgArn)
		out := describeTGsResult{NextMarker: next}
		for _, lb := range items {
			out.TargetGroups = append(out.TargetGroups, s.toXMLTG(spec, lb))
		}
		return out, nil
	})
}

// elbTarget is one Targets.member.N of a request.
type elbTarget struct {
	id, param string
	port      *int
}

func (c *call) elbTargets(required bool) ([]elbTarget, error) {
	if v, ok := c.p.str("Targets"); ok && v != "" {
		return nil, elbError(codeELBValidation, "Targets is a list: give Targets.member.N.Id")
	}
	idx, err := c.p.indexes("Targets.member")
	if err != nil {
		return nil, err
	}
	var out []elbTarget
	for _, n := range idx {
		pre := fmt.Sprintf("Targets.member.%d", n)
		id, err := c.elbRequired(pre + ".Id")
		if err != nil {
			return nil, err
		}
		port, err := c.p.int(pre + ".Port")
		if err != nil {
			return nil, elbError(codeELBValidation, "%s.Port must be an integer", pre)
		}
		c.p.str(pre + ".AvailabilityZone")
		out = append(out, elbTarget{id: id, param: pre, port: port})
	}
	if required && len(out) == 0 {
		return nil, elbError(codeELBValidation, "1 validation error detected: Value null at 'targets' failed to satisfy constraint: Member must not be null")
	}
	return out, nil
}

// targetENI resolves a target id of a load balancer's target group: the
// private IP address of an ENI in its VPC, an instance id (its first
// ENI) or an ENI id.
func targetENI(spec *cloudmock.Spec, lb *cloudmock.LoadBalancer, id string) (string, bool) {
	vpc := subnetVpc(spec, lb.SubnetId)
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

// targetID is how the target group names a registered ENI: its address.
func targetID(spec *cloudmock.Spec, eni string) string {
	if i := findENI(spec, eni); i >= 0 {
		return spec.NetworkInterfaces[i].PrivateIpAddress
	}
	return eni
}

func (s *Server) changeTargets(register bool) actionFunc {
	return func(c *call) (any, error) {
		arn, err := c.elbRequired("TargetGroupArn")
		if err != nil {
			return nil, err
		}
		targets, err := c.elbTargets(true)
		if err != nil {
			return nil, err
		}
		if err := c.begin(); err != nil {
			return nil, err
		}
		return c.mutate("", func(st *state) (any, error) {
			i := s.findLB(&st.spec, arn, true)
			if i < 0 {
				return nil, s.tgNotFound(arn)
			}
			lb := &st.spec.LoadBalancers[i]
			_, tgPort := tgProtocol(lb)
			var bad []string
			for _, t := range targets {
				if t.port != nil && *t.port != tgPort {
					return nil, elbError(codeELBValidation, "%s.Port %d: targets receive on the target group's port %d (per-target ports are not modelled)", t.param, *t.port, tgPort)
				}
				eni, ok := targetENI(&st.spec, lb, t.id)
				if !ok {
					bad = append(bad, t.id)
					continue
				}
				j := slices.IndexFunc(lb.Targets, func(x cloudmock.TargetDescription) bool { return x.NetworkInterfaceId == eni })
				switch {
				case register && j < 0:
					lb.Targets = append(lb.Targets, cloudmock.TargetDescription{NetworkInterfaceId: eni})
				case !register && j >= 0:
					lb.Targets = slices.Delete(lb.Targets, j, j+1)
				case !register:
					bad = append(bad, t.id)
				}
			}
			if len(bad) > 0 {
				if register {
					return nil, elbError(codeInvalidTarget, "The following targets are not in the target group's VPC '%s': '%s'", subnetVpc(&st.spec, lb.SubnetId), strings.Join(bad, "', '"))
				}
				return nil, elbError(codeInvalidTarget, "The following targets are not registered in target group '%s': '%s'", arn, strings.Join(bad, "', '"))
			}
			return struct{}{}, nil
		})
	}
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
// when Config.TargetHealth is set, else healthy (as the model starts them).
func (s *Server) health(lb *cloudmock.LoadBalancer, eni string) xmlTargetHealth {
	if s.cfg.TargetHealth == nil {
		return xmlTargetHealth{State: "healthy"}
	}
	ok, err := s.cfg.TargetHealth(lb.LoadBalancerArn, eni)
	switch {
	case err != nil:
		return xmlTargetHealth{State: "unavailable", Reason: "Elb.InternalError", Description: err.Error()}
	case ok:
		return xmlTargetHealth{State: "healthy"}
	}
	return xmlTargetHealth{State: "unhealthy", Reason: "Target.FailedHealthChecks", Description: "Health checks failed"}
}

func (s *Server) describeTargetHealth(c *call) (any, error) {
	arn, err := c.elbRequired("TargetGroupArn")
	if err != nil {
		return nil, err
	}
	targets, err := c.elbTargets(false)
	if err != nil {
		return nil, err
	}
	if _, err := c.elbList("Include"); err != nil {
		return nil, err
	}
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.read(func(spec *cloudmock.Spec, _ tagStore) (any, error) {
		i := s.findLB(spec, arn, true)
		if i < 0 {
			return nil, s.tgNotFound(arn)
		}
		lb := &spec.LoadBalancers[i]
		_, port := tgProtocol(lb)
		desc := func(eni string) xmlTargetHealthDesc {
			return xmlTargetHealthDesc{Target: xmlTargetDesc{Id: targetID(spec, eni), Port: port}, HealthCheckPort: strconv.Itoa(port)}
		}
		var out describeHealthResult
		registered := func(eni string) bool {
			return slices.ContainsFunc(lb.Targets, func(x cloudmock.TargetDescription) bool { return x.NetworkInterfaceId == eni })
		}
		if len(targets) == 0 {
			for _, t := range lb.Targets {
				d := desc(t.NetworkInterfaceId)
				d.TargetHealth = s.health(lb, t.NetworkInterfaceId)
				out.Descriptions = append(out.Descriptions, d)
			}
			return out, nil
		}
		for _, t := range targets {
			eni, ok := targetENI(spec, lb, t.id)
			if !ok {
				return nil, elbError(codeInvalidTarget, "The target '%s' is not in the target group's VPC", t.id)
			}
			d := desc(eni)
			if registered(eni) {
				d.TargetHealth = s.health(lb, eni)
			} else {
				d.TargetHealth = xmlTargetHealth{State: "unused", Reason: "Target.NotRegistered", Description: "Target is not registered to the target group"}
			}
			out.Descriptions = append(out.Descriptions, d)
		}
		return out, nil
	})
}
