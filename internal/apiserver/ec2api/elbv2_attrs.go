package ec2api

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// Load balancer and target group attributes (ELBv2's Describe/Modify
// LoadBalancerAttributes and TargetGroupAttributes): those AWS documents
// for network and gateway load balancers and their target groups, with
// AWS's defaults. They do not change what the model mirrors, so they are
// kept beside the model's state: the values a client set, by ARN.

// attrDef is one attribute: its key, default and allowed values.
type attrDef struct {
	key, def string
	check    func(string) bool
}

func boolAttr(key, def string) attrDef {
	return attrDef{key, def, func(v string) bool { return v == "true" || v == "false" }}
}

func intAttr(key, def string, lo, hi int) attrDef {
	return attrDef{key, def, func(v string) bool { n, err := strconv.Atoi(v); return err == nil && n >= lo && n <= hi }}
}

func enumAttr(key, def string, values ...string) attrDef {
	return attrDef{key, def, func(v string) bool { return slices.Contains(values, v) }}
}

func strAttr(key string) attrDef { return attrDef{key, "", func(string) bool { return true }} }

// orOff is an attribute that is a number in lo..hi or "off".
func orOff(key, def string, lo, hi int) attrDef {
	n := intAttr(key, def, lo, hi)
	return attrDef{key, def, func(v string) bool { return v == "off" || n.check(v) }}
}

var (
	// accessLogs are answered for network and Gateway Load Balancers
	// alike: the provider's read sets access_logs from them, and without
	// them its plan after apply is not empty (TestAccVPCTrafficMirrorTarget_gwlb).
	accessLogs = []attrDef{boolAttr("access_logs.s3.enabled", "false"), strAttr("access_logs.s3.bucket"), strAttr("access_logs.s3.prefix")}
	nlbAttrs   = append(slices.Clone(accessLogs),
		boolAttr("deletion_protection.enabled", "false"),
		enumAttr("dns_record.client_routing_policy", "any_availability_zone", "availability_zone_affinity", "partial_availability_zone_affinity", "any_availability_zone"),
		boolAttr("ipv6.deny_all_igw_traffic", "true"), // internal load balancers
		boolAttr("load_balancing.cross_zone.enabled", "false"),
		intAttr("secondary_ips.auto_assigned.per_subnet", "0", 0, 7),
		boolAttr("zonal_shift.config.enabled", "false"),
	)
	gwlbAttrs = append(slices.Clone(accessLogs),
		boolAttr("deletion_protection.enabled", "false"), boolAttr("load_balancing.cross_zone.enabled", "false"))
	tgHealth = []attrDef{
		orOff("target_group_health.dns_failover.minimum_healthy_targets.count", "1", 1, 1<<20),
		orOff("target_group_health.dns_failover.minimum_healthy_targets.percentage", "off", 1, 100),
		intAttr("target_group_health.unhealthy_state_routing.minimum_healthy_targets.count", "1", 1, 1<<20),
		orOff("target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage", "off", 1, 100),
	}
	crossZoneTG = enumAttr("load_balancing.cross_zone.enabled", "use_load_balancer_configuration", "true", "false", "use_load_balancer_configuration")
	delay       = intAttr("deregistration_delay.timeout_seconds", "300", 0, 3600)
	nlbTGAttrs  = append([]attrDef{
		delay, boolAttr("deregistration_delay.connection_termination.enabled", "false"), crossZoneTG,
		boolAttr("preserve_client_ip.enabled", "true"), boolAttr("proxy_protocol_v2.enabled", "false"),
		boolAttr("stickiness.enabled", "false"), enumAttr("stickiness.type", "source_ip", "source_ip"),
		boolAttr("target_health_state.unhealthy.connection_termination.enabled", "true"),
		intAttr("target_health_state.unhealthy.draining_interval_seconds", "0", 0, 360000),
	}, tgHealth...)
	gwlbTGAttrs = append([]attrDef{
		delay, crossZoneTG, boolAttr("stickiness.enabled", "false"),
		enumAttr("stickiness.type", "source_ip_dest_ip_proto", "source_ip_dest_ip", "source_ip_dest_ip_proto"),
		enumAttr("target_failover.on_deregistration", "no_rebalance", "rebalance", "no_rebalance"),
		enumAttr("target_failover.on_unhealthy", "no_rebalance", "rebalance", "no_rebalance"),
	}, tgHealth...)
)

// attrStore keeps the attributes clients set, by ARN. Its zero value is
// ready.
type attrStore struct {
	mu sync.Mutex
	m  map[string]map[string]string
}

type xmlAttr struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// list returns every attribute of arn: the value set, else the default.
func (a *attrStore) list(arn string, defs []attrDef) []xmlAttr {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]xmlAttr, 0, len(defs))
	for _, d := range defs {
		v, ok := a.m[arn][d.key]
		if !ok {
			v = d.def
		}
		out = append(out, xmlAttr{d.key, v})
	}
	return out
}

func (a *attrStore) set(arn string, kv []xmlAttr) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.m == nil {
		a.m = map[string]map[string]string{}
	}
	if a.m[arn] == nil {
		a.m[arn] = map[string]string{}
	}
	for _, x := range kv {
		a.m[arn][x.Key] = x.Value
	}
}

// value is an attribute a client set ("" when none).
func (a *attrStore) value(arn, key string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.m[arn][key]
}

// drop forgets a deleted resource's attributes.
func (a *attrStore) drop(arn string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.m, arn)
}

// readAttrsOf reads the arn (param) whose attributes an action describes
// or (modify) changes, and the attributes to set, then begins.
func (c *call) readAttrsOf(param string, modify bool) (string, []xmlAttr, error) {
	arn := c.elbRequired(param)
	var set []xmlAttr
	if modify {
		set = c.readAttrs()
	}
	return arn, set, c.begin()
}

// readAttrs decodes Attributes.member.N.Key/Value (at least one).
func (c *call) readAttrs() []xmlAttr {
	idx := c.p.indexes("Attributes.member")
	if c.p.ok() && len(idx) == 0 {
		c.p.fail(elbError(codeELBValidation, "1 validation error detected: Value null at 'attributes' failed to satisfy constraint: Member must not be null"))
	}
	var out []xmlAttr
	for _, n := range idx {
		pre := fmt.Sprintf("Attributes.member.%d", n)
		k := c.elbRequired(pre + ".Key")
		v, _ := c.p.str(pre + ".Value")
		out = append(out, xmlAttr{k, v})
	}
	return out
}

// checkAttrs checks attributes against defs: an unknown key or a value
// out of range is InvalidConfigurationRequest naming Attributes.member.N.
func checkAttrs(kv []xmlAttr, defs []attrDef) error {
	for n, x := range kv {
		pre := fmt.Sprintf("Attributes.member.%d", n+1)
		i := slices.IndexFunc(defs, func(d attrDef) bool { return d.key == x.Key })
		if i < 0 {
			return elbError(codeInvalidConfig, "Key %s not valid (%s.Key); this resource has: %s", x.Key, pre, attrKeys(defs))
		}
		if !defs[i].check(x.Value) {
			return elbError(codeInvalidConfig, "The value of '%s' cannot be '%s' (%s.Value)", x.Key, x.Value, pre)
		}
	}
	return nil
}

const codeInvalidConfig = "InvalidConfigurationRequest"

func attrKeys(defs []attrDef) string {
	var ks []string
	for _, d := range defs {
		ks = append(ks, d.key)
	}
	return strings.Join(ks, ", ")
}

type attrsResult struct {
	Attributes []xmlAttr `xml:"Attributes>member"`
}

// lbAttrDefs and tgAttrDefs are the attributes of a load balancer and of
// its target group, by the load balancer's type.
func lbAttrDefs(lb *cloudmock.LoadBalancer) []attrDef {
	if lb.Type == "gateway" {
		return gwlbAttrs
	}
	return nlbAttrs
}

// tgAttrDefsOf are the attributes of a target group by its protocol.
func tgAttrDefsOf(proto string) []attrDef {
	if proto == "GENEVE" {
		return gwlbTGAttrs
	}
	return nlbTGAttrs
}

// attrsAction serves the four attribute actions: of a target group (byTG,
// TargetGroupArn) or a load balancer (LoadBalancerArn), described or
// modified.
func (s *Server) attrsAction(byTG, modify bool) actionFunc {
	param, defsOf, missing := "LoadBalancerArn", lbAttrDefs, s.lbNotFound
	if byTG {
		param, missing = "TargetGroupArn", s.tgNotFound
	}
	return func(c *call) (any, error) {
		arn, set, err := c.readAttrsOf(param, modify)
		if err != nil {
			return nil, err
		}
		return c.read(func(spec *cloudmock.Spec, _ tagStore) (any, error) {
			var defs []attrDef
			if byTG {
				v, ok := s.findTG(spec, arn)
				if !ok {
					return nil, missing(arn)
				}
				defs = tgAttrDefsOf(v.proto)
			} else {
				i := s.findLB(spec, arn, false)
				if i < 0 {
					return nil, missing(arn)
				}
				defs = defsOf(&spec.LoadBalancers[i])
			}
			if err := checkAttrs(set, defs); err != nil {
				return nil, err
			}
			s.attrs.set(arn, set)
			return attrsResult{Attributes: s.attrs.list(arn, defs)}, nil
		})
	}
}
