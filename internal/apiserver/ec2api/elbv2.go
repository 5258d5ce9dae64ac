package ec2api

import (
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/codes"
)

// Elastic Load Balancing v2, on the same endpoint as EC2 (selected by
// Version), over the model's load balancers: a Network Load Balancer (or a
// Gateway Load Balancer) as a mirror target, with its listeners and its
// registered targets. The model has no target groups: each load balancer
// has exactly one, whose ARN is derived from the load balancer's, with
// target type ip (targets are named by their ENI's private IP address;
// RegisterTargets also takes an instance id or, as an extension, an ENI id).
const (
	elbVersion   = "2015-12-01"
	elbNamespace = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"
)

// ELBv2 error codes.
const (
	codeELBValidation       = "ValidationError"
	codeLBNotFound          = codes.LoadBalancerNotFound
	codeTGNotFound          = codes.TargetGroupNotFound
	codeListenerNotFound    = "ListenerNotFound"
	codeInvalidTarget       = "InvalidTarget"
	codeDuplicateListener   = "DuplicateListener"
	codeTooManyListeners    = "TooManyListeners"
	codeUnsupportedProtocol = "UnsupportedProtocol"
)

// maxListeners is ELBv2's quota of listeners per load balancer.
const maxListeners = 50

// createdTime is when every load balancer was "created" (the model keeps
// no time; a fixed one keeps answers repeatable).
const createdTime = "2026-01-01T00:00:00.000Z"

// elbError is an ELBv2 client error.
func elbError(code, format string, args ...any) *apiError { return errorf(code, format, args...) }

// elbRequired reads a required ELBv2 parameter.
func (c *call) elbRequired(name string) string {
	v, ok := c.p.str(name)
	if c.p.err == nil && (!ok || v == "") {
		c.p.fail(elbError(codeELBValidation, "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", name))
	}
	return v
}

// elbInt reads an ELBv2 integer parameter, nil when absent.
func (c *call) elbInt(name string) *int {
	v, ok := c.p.str(name)
	if !ok {
		return nil
	}
	n, isInt := parseInt(v)
	if !isInt {
		c.p.fail(elbError(codeELBValidation, "%s must be an integer", name))
		return nil
	}
	return &n
}

// elbList reads an ELBv2 list "<name>.member.N" (an empty list is sent as
// "<name>=").
func (c *call) elbList(name string) []string {
	if v, ok := c.p.str(name); ok && v != "" {
		c.p.fail(elbError(codeELBValidation, "%s is a list: give %s.member.N", name, name))
		return nil
	}
	return c.p.list(name + ".member")
}

// elbDescribe reads what ELBv2's Describe actions share: their arns
// ("<arnParam>.member.N"), Names.member.N and page.
func (c *call) elbDescribe(arnParam string) (arns, names []string, pg pager) {
	return c.elbList(arnParam), c.elbList("Names"), c.elbPaging()
}

// elbPaging reads PageSize (1-400) and Marker, ELBv2's paging, into the
// pager Describe actions share (a Marker is a NextToken of this server).
func (c *call) elbPaging() pager {
	var pg pager
	if n := c.elbInt("PageSize"); n != nil {
		if *n < 1 || *n > 400 {
			c.p.fail(elbError(codeELBValidation, "PageSize %d: it must be between 1 and 400", *n))
			return pg
		}
		pg.max = *n
	}
	if m, ok := c.p.str("Marker"); ok && m != "" {
		raw, err := base64.RawURLEncoding.DecodeString(m)
		after, found := strings.CutPrefix(string(raw), tokenPrefix)
		if err != nil || !found || after == "" {
			c.p.fail(elbError(codeELBValidation, "The marker %q is not one this server issued", m))
			return pg
		}
		pg.after = after
	}
	return pg
}

// arnPrefix is "arn:aws:elasticloadbalancing:REGION:ACCOUNT" of a load
// balancer's ARN (the server's region and account for other ids).
func (s *Server) arnPrefix(lbArn string) string {
	if p, _, ok := strings.Cut(lbArn, ":loadbalancer/"); ok && strings.HasPrefix(p, "arn:") {
		return p
	}
	return fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s", s.cfg.Region, s.cfg.AccountID)
}

// lbPath is "net/NAME/ID" of a load balancer's ARN (a made-up one for
// other ids).
func lbPath(lb *cloudmock.LoadBalancer) string {
	if _, p, ok := strings.Cut(lb.LoadBalancerArn, ":loadbalancer/"); ok {
		return p
	}
	kind := "net"
	if lb.Type == "gateway" {
		kind = "gwy"
	}
	return fmt.Sprintf("%s/%s/%016x", kind, sanitizeName(lb.LoadBalancerArn), hash64(lb.LoadBalancerArn))
}

// lbName is a load balancer's name (the NAME of its ARN).
func lbName(lb *cloudmock.LoadBalancer) string {
	parts := strings.Split(lbPath(lb), "/")
	if len(parts) >= 2 {
		return parts[1]
	}
	return lb.LoadBalancerArn
}

func sanitizeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			b[i] = '-'
		}
	}
	if len(b) > 32 {
		b = b[:32]
	}
	return string(b)
}

func hash64(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// hasOwnTG says whether a load balancer has the one target group the
// server derives from it: a file's load balancer (its listeners forward
// to no TargetGroup of the model, and it has listeners, targets or an
// endpoint). One created through the API has only the target groups
// CreateTargetGroup made.
func hasOwnTG(lb *cloudmock.LoadBalancer) bool {
	for _, l := range lb.Listeners {
		if l.TargetGroupArn != "" {
			return false
		}
	}
	return !isEndpointEntry(lb) && (lb.VpcEndpointId != "" || len(lb.Listeners) > 0 || len(lb.Targets) > 0)
}

// tgName and tgArn name the load balancer's target group.
func tgName(lb *cloudmock.LoadBalancer) string {
	n := lbName(lb)
	if len(n) > 29 {
		n = n[:29]
	}
	return n + "-tg"
}

func (s *Server) tgArn(lb *cloudmock.LoadBalancer) string {
	return fmt.Sprintf("%s:targetgroup/%s/%016x", s.arnPrefix(lb.LoadBalancerArn), tgName(lb), hash64("tg|"+lb.LoadBalancerArn))
}

// listenerArn names a listener by its load balancer, protocol and port.
func (s *Server) listenerArn(lb *cloudmock.LoadBalancer, l cloudmock.Listener) string {
	return fmt.Sprintf("%s:listener/%s/%016x", s.arnPrefix(lb.LoadBalancerArn), lbPath(lb), hash64(fmt.Sprintf("%s|%s|%d", lb.LoadBalancerArn, strings.ToUpper(l.Protocol), l.Port)))
}

// tgProtocol is the target group's protocol and port: what the targets
// receive (VXLAN over UDP 4789; GENEVE 6081 behind a gateway).
func tgProtocol(lb *cloudmock.LoadBalancer) (string, int) {
	if lb.Type == "gateway" {
		return "GENEVE", 6081
	}
	return "UDP", 4789
}

// findLB finds a load balancer by ARN or by its own target group's ARN
// (a file's load balancer's: see hasOwnTG), never an endpoint.
func (s *Server) findLB(spec *cloudmock.Spec, arn string, byTG bool) int {
	for i := range spec.LoadBalancers {
		lb := &spec.LoadBalancers[i]
		if isEndpointEntry(lb) {
			continue
		}
		if (!byTG && lb.LoadBalancerArn == arn) || (byTG && hasOwnTG(lb) && s.tgArn(lb) == arn) {
			return i
		}
	}
	return -1
}

func (s *Server) lbNotFound(arn string) error {
	return elbError(codeLBNotFound, "Load balancer '%s' not found", arn)
}

func (s *Server) tgNotFound(arn string) error {
	return elbError(codeTGNotFound, "Target group '%s' not found", arn)
}

type xmlLBAddress struct {
	PrivateIPv4Address string `xml:"PrivateIPv4Address"`
	IPv6Address        string `xml:"IPv6Address,omitempty"`
}

type xmlLBZone struct {
	ZoneName  string         `xml:"ZoneName"`
	SubnetId  string         `xml:"SubnetId"`
	Addresses []xmlLBAddress `xml:"LoadBalancerAddresses>member"`
}

type xmlLBState struct {
	Code string `xml:"Code"`
}

// toXMLLB is a load balancer in its state (active, or provisioning when
// created).
func (s *Server) toXMLLB(spec *cloudmock.Spec, lb *cloudmock.LoadBalancer, state string) xres {
	ipType := "ipv4"
	if lb.Ipv6Address != "" {
		ipType = "dualstack" // elbv2's IpAddressType for IPv4 and IPv6
	}
	scheme := lb.Scheme
	if scheme == "" {
		scheme = "internal"
	}
	zone := func(subnet, addr, addr6 string) xmlLBZone {
		z := xmlLBZone{ZoneName: s.subnetZone(subnet).ZoneName, SubnetId: subnet}
		if lb.Type != "gateway" { // a Gateway Load Balancer shows no addresses (the provider's plan would differ)
			z.Addresses = []xmlLBAddress{{addr, addr6}}
		}
		return z
	}
	zones := []xmlLBZone{zone(lb.SubnetId, lb.PrivateIpAddress, lb.Ipv6Address)}
	for _, z := range lb.AdditionalSubnets {
		zones = append(zones, zone(z.SubnetId, z.PrivateIpAddress, z.Ipv6Address))
	}
	return qres(lb).set("Scheme", scheme).with(xel{"DNSName", fmt.Sprintf("%s-%016x.elb.%s.amazonaws.com", lbName(lb), hash64(lb.LoadBalancerArn), s.cfg.Region)},
		xel{"CanonicalHostedZoneId", "Z26RNL4JYFTOTI"}, xel{"CreatedTime", createdTime}, xel{"LoadBalancerName", lbName(lb)},
		xel{"VpcId", subnetVpc(spec, lb.SubnetId)}, xel{"State", xmlLBState{state}}, xel{"AvailabilityZones", zones},
		xel{"IpAddressType", ipType})
}

func (s *Server) describeLoadBalancers(c *call) (any, error) {
	arns, names, pg := c.elbDescribe("LoadBalancerArns")
	if c.p.ok() && len(arns) > 0 && len(names) > 0 {
		return nil, elbError(codeELBValidation, "LoadBalancerArns and Names cannot be used together")
	}
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.read(func(spec *cloudmock.Spec, _ tagStore) (any, error) {
		var items []*cloudmock.LoadBalancer
		for _, a := range arns {
			i := s.findLB(spec, a, false)
			if i < 0 {
				return nil, s.lbNotFound(a)
			}
			items = append(items, &spec.LoadBalancers[i])
		}
		for _, n := range names {
			found := false
			for i := range spec.LoadBalancers {
				if lb := &spec.LoadBalancers[i]; !isEndpointEntry(lb) && lbName(lb) == n {
					items, found = append(items, &spec.LoadBalancers[i]), true
				}
			}
			if !found {
				return nil, elbError(codeLBNotFound, "Load balancer named '%s' not found", n)
			}
		}
		if len(arns) == 0 && len(names) == 0 {
			for i := range spec.LoadBalancers {
				if !isEndpointEntry(&spec.LoadBalancers[i]) {
					items = append(items, &spec.LoadBalancers[i])
				}
			}
		}
		items, next := page(pg, items, func(lb *cloudmock.LoadBalancer) string { return lb.LoadBalancerArn })
		out := listResult{set: "LoadBalancers", next: next, query: true}
		for _, lb := range items {
			out.items = append(out.items, s.toXMLLB(spec, lb, "active"))
		}
		return out, nil
	})
}
