package ec2api

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/mirrorlab/mirrorlab/internal/encap"

	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// Target groups: the model's TargetGroups (CreateTargetGroup) and the one
// target group of each file's load balancer (hasOwnTG), seen alike.

const (
	codeDuplicateTGName = "DuplicateTargetGroupName"
	codeTGInUse         = "ResourceInUse"
)

// tgView is a target group as the API answers it.
type tgView struct {
	arn, name, proto, vpc, targetType string
	port                              int
	hc                                cloudmock.HealthCheck
	lbs                               []string
	// targets is where its registrations live (a model TargetGroup's or
	// a file's load balancer's Targets).
	targets *[]cloudmock.TargetDescription
	// own is the file's load balancer of an own target group.
	own *cloudmock.LoadBalancer
}

// tgNameOf is the NAME of an ARN "…:targetgroup/NAME/ID".
func tgNameOf(arn string) string {
	if _, p, ok := strings.Cut(arn, ":targetgroup/"); ok {
		name, _, _ := strings.Cut(p, "/")
		return name
	}
	return arn
}

// defaultHealthCheck is ELBv2's health check of a protocol's group.
func defaultHealthCheck(proto string) cloudmock.HealthCheck {
	if proto == "GENEVE" {
		return cloudmock.HealthCheck{Enabled: true, Protocol: "TCP", Port: "80", IntervalSeconds: 10, TimeoutSeconds: 5, HealthyThreshold: 5, UnhealthyThreshold: 2}
	}
	return cloudmock.HealthCheck{Enabled: true, Protocol: "TCP", Port: "traffic-port", IntervalSeconds: 30, TimeoutSeconds: 10, HealthyThreshold: 5, UnhealthyThreshold: 2}
}

// targetGroups lists every target group of the state: the model's, then
// the files' load balancers' own.
func (s *Server) targetGroups(spec *cloudmock.Spec) []tgView {
	var out []tgView
	for i := range spec.TargetGroups {
		tg := &spec.TargetGroups[i]
		v := tgView{arn: tg.TargetGroupArn, name: tgNameOf(tg.TargetGroupArn), proto: tg.Protocol, port: tg.Port, vpc: tg.VpcId,
			targetType: tg.TargetType, hc: defaultHealthCheck(tg.Protocol), targets: &tg.Targets}
		if tg.HealthCheck != nil {
			v.hc = *tg.HealthCheck
		}
		for _, lb := range spec.LoadBalancers {
			if slices.ContainsFunc(lb.Listeners, func(l cloudmock.Listener) bool { return l.TargetGroupArn == tg.TargetGroupArn }) {
				v.lbs = append(v.lbs, lb.LoadBalancerArn)
			}
		}
		out = append(out, v)
	}
	for i := range spec.LoadBalancers {
		lb := &spec.LoadBalancers[i]
		if !hasOwnTG(lb) {
			continue
		}
		proto, port := tgProtocol(lb)
		out = append(out, tgView{arn: s.tgArn(lb), name: tgName(lb), proto: proto, port: port, vpc: subnetVpc(spec, lb.SubnetId),
			targetType: "ip", hc: cloudmock.HealthCheck{Enabled: true, Protocol: "TCP", Port: "traffic-port"},
			lbs: []string{lb.LoadBalancerArn}, targets: &lb.Targets, own: lb})
	}
	return out
}

// findTG finds a target group by ARN.
func (s *Server) findTG(spec *cloudmock.Spec, arn string) (tgView, bool) {
	for _, v := range s.targetGroups(spec) {
		if v.arn == arn {
			return v, true
		}
	}
	return tgView{}, false
}

func (c *call) readTargetGroup() (cloudmock.TargetGroup, string, []tag, error) {
	var tg cloudmock.TargetGroup
	name := c.elbRequired("Name")
	if !c.p.ok() {
		return tg, "", nil, c.p.Err()
	}
	if !lbNameOK.MatchString(name) {
		return tg, "", nil, elbError(codeELBValidation, "Name %q: a target group's name is 1-32 letters, digits and hyphens, neither beginning nor ending with a hyphen", name)
	}
	tg.TargetType, _ = c.p.str("TargetType")
	if tg.TargetType == "" {
		tg.TargetType = "instance"
	}
	if tg.TargetType != "instance" && tg.TargetType != "ip" {
		return tg, "", nil, elbError(codeELBValidation, "TargetType %q: mirror targets' groups hold instances or IP addresses", tg.TargetType)
	}
	tg.Protocol, _ = c.p.str("Protocol")
	tg.VpcId, _ = c.p.str("VpcId")
	switch port := c.elbInt("Port"); {
	case !c.p.ok():
		return tg, "", nil, c.p.Err()
	case tg.Protocol == "" || port == nil || tg.VpcId == "":
		return tg, "", nil, elbError(codeELBValidation, "A target group of type %s needs Protocol, Port and VpcId", tg.TargetType)
	default:
		tg.Port = *port
	}
	if tg.Protocol == "GENEVE" && tg.Port != encap.GenevePort {
		return tg, "", nil, elbError(codeELBValidation, "Port %d: a GENEVE target group's port is %d", tg.Port, encap.GenevePort)
	}
	if ip, _ := c.p.str("IpAddressType"); ip != "" && ip != "ipv4" {
		return tg, "", nil, elbError(codeELBValidation, "IpAddressType %q: target groups created here are ipv4", ip)
	}
	c.p.str("ProtocolVersion")
	hc := c.readHealthCheck(tg.Protocol)
	tg.HealthCheck = &hc
	tags := c.p.tagList("Tags.member")
	return tg, name, tags, c.p.Err()
}

// readHealthCheck reads the HealthCheck* parameters over the protocol's
// defaults.
func (c *call) readHealthCheck(proto string) cloudmock.HealthCheck {
	hc := defaultHealthCheck(proto)
	if v, ok := c.p.str("HealthCheckEnabled"); ok {
		hc.Enabled = v == "true"
	}
	// Slices, not maps: the parameters are read in this order, so that
	// of two bad ones the first listed is the answer, every time (the
	// reader's first failure in code order wins).
	for _, f := range []struct {
		name string
		dst  *string
	}{{"HealthCheckProtocol", &hc.Protocol}, {"HealthCheckPort", &hc.Port}, {"HealthCheckPath", &hc.Path}, {"Matcher.HttpCode", &hc.Matcher}} {
		if v, ok := c.p.str(f.name); ok && v != "" {
			*f.dst = v
		}
	}
	c.p.str("Matcher.GrpcCode")
	for _, f := range []struct {
		name string
		dst  *int
	}{{"HealthCheckIntervalSeconds", &hc.IntervalSeconds}, {"HealthCheckTimeoutSeconds", &hc.TimeoutSeconds},
		{"HealthyThresholdCount", &hc.HealthyThreshold}, {"UnhealthyThresholdCount", &hc.UnhealthyThreshold}} {
		if n := c.elbInt(f.name); n != nil {
			*f.dst = *n
		}
	}
	if c.p.ok() && hc.Port != "traffic-port" {
		if n, err := strconv.Atoi(hc.Port); err != nil || n < 1 || n > 65535 {
			c.p.fail(elbError(codeELBValidation, "HealthCheckPort %q is not traffic-port nor a port 1-65535", hc.Port))
		}
	}
	return hc
}

// tgResult is the answer of an action on one target group.
func tgResult(v tgView) listResult {
	return listResult{set: "TargetGroups", items: []xres{toXMLTG(v)}, query: true}
}

func (s *Server) createTargetGroup(c *call) (any, error) {
	tg, name, tags, err := c.readTargetGroup()
	if err != nil {
		return nil, err
	}
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.mutate("", func(st *state) (any, error) {
		for _, o := range s.targetGroups(&st.spec) {
			if o.name != name {
				continue
			}
			if i := findModelTG(&st.spec, o.arn); i >= 0 && sameTG(st.spec.TargetGroups[i], tg) {
				return tgResult(o), nil // ELBv2 is idempotent here
			}
			return nil, elbError(codeDuplicateTGName, "A target group with the same name '%s' exists, but with different settings", name)
		}
		if findVpc(&st.spec, tg.VpcId) < 0 {
			return nil, elbError(codeELBValidation, "The VPC ID '%s' is not found (VpcId)", tg.VpcId)
		}
		tg.TargetGroupArn = fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:targetgroup/%s/%016x", s.cfg.Region, s.cfg.AccountID, name, st.srv.rng.Uint64())
		st.spec.TargetGroups = append(st.spec.TargetGroups, tg)
		if err := st.tags.set(tg.TargetGroupArn, tags, "Tags"); err != nil {
			return nil, err
		}
		v, _ := s.findTG(&st.spec, tg.TargetGroupArn)
		return tgResult(v), nil
	})
}

func sameTG(a, b cloudmock.TargetGroup) bool {
	a.TargetGroupArn, a.Targets, b.Targets = "", nil, nil
	return a.Protocol == b.Protocol && a.Port == b.Port && a.VpcId == b.VpcId && a.TargetType == b.TargetType &&
		(a.HealthCheck == nil) == (b.HealthCheck == nil) && (a.HealthCheck == nil || *a.HealthCheck == *b.HealthCheck)
}

func findModelTG(spec *cloudmock.Spec, arn string) int {
	return slices.IndexFunc(spec.TargetGroups, func(t cloudmock.TargetGroup) bool { return t.TargetGroupArn == arn })
}

func (s *Server) deleteTargetGroup(c *call) (any, error) {
	arn := c.elbRequired("TargetGroupArn")
	if err := c.begin(); err != nil {
		return nil, err
	}
	_, err := c.mutate("", func(st *state) (any, error) {
		i := findModelTG(&st.spec, arn)
		if i < 0 {
			if _, own := s.findTG(&st.spec, arn); own {
				return nil, elbError(codeTGInUse, "Target group '%s' is its load balancer's own (a scenario file's): delete the load balancer", arn)
			}
			return struct{}{}, nil // ELBv2 documents no NotFound here: a deleted group deletes again
		}
		st.spec.TargetGroups = slices.Delete(st.spec.TargetGroups, i, i+1)
		st.tags.remove(arn)
		return struct{}{}, nil
	})
	var ae *apiError
	if errors.As(err, &ae) && ae.Cause != nil && ae.Cause.Code == codes.TargetGroupNotFound {
		return nil, elbError(codeTGInUse, "Target group '%s' is currently in use by a listener of %s", arn, ae.Cause.ID)
	}
	if err != nil {
		return nil, err
	}
	if !c.dry {
		s.attrs.drop(arn)
	}
	return struct{}{}, nil
}
