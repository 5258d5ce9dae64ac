package alibaba

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/encap"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// ruleItem is a filter rule as ListTrafficMirrorFilters shows it.
type ruleItem struct {
	TrafficMirrorFilterRuleId     string `json:"TrafficMirrorFilterRuleId"`
	TrafficMirrorFilterId         string `json:"TrafficMirrorFilterId"`
	TrafficDirection              string `json:"TrafficDirection"`
	Priority                      int    `json:"Priority"`
	Action                        string `json:"Action"`
	Protocol                      string `json:"Protocol"`
	SourceCidrBlock               string `json:"SourceCidrBlock"`
	DestinationCidrBlock          string `json:"DestinationCidrBlock"`
	SourcePortRange               string `json:"SourcePortRange"`
	DestinationPortRange          string `json:"DestinationPortRange"`
	IpVersion                     string `json:"IpVersion"`
	TrafficMirrorFilterRuleStatus string `json:"TrafficMirrorFilterRuleStatus"`
}

// Directions as Alibaba names them, in the order of the model's
// (IngressFilterRules, EgressFilterRules).
var directions = [2]string{"ingress", "egress"}

var protocolNumbers = map[string]int{"ALL": 0, "ICMP": 1, "TCP": encap.ProtoTCP, "UDP": encap.ProtoUDP}

func protocolName(n int) string {
	for k, v := range protocolNumbers {
		if v == n {
			return k
		}
	}
	return strconv.Itoa(n)
}

// ruleFields are the members of IngressRules.N / EgressRules.N (and the
// parameters of UpdateTrafficMirrorFilterRuleAttribute, with RuleAction
// for Action).
type ruleFields struct {
	action, protocol, src, dst, srcPorts, dstPorts, ipVersion, priority *string
}

// parseRuleInto applies the given fields to a model rule. name is the
// parameter prefix for errors ("IngressRules.2.", or "" for the update).
func parseRuleInto(r *cloudmock.TrafficMirrorFilterRule, f ruleFields, name string) error {
	if f.priority != nil {
		n, err := strconv.Atoi(*f.priority)
		if err != nil {
			return errInvalid(name+"Priority", *f.priority, "It must be an integer.")
		}
		r.RuleNumber = n
	}
	if f.action != nil {
		switch *f.action {
		case "accept":
			r.RuleAction = "accept"
		case "drop":
			r.RuleAction = "reject"
		default:
			return errInvalid(name+"Action", *f.action, "It must be accept or drop.")
		}
	}
	if f.protocol != nil {
		n, ok := protocolNumbers[strings.ToUpper(*f.protocol)]
		if !ok {
			return errInvalid(name+"Protocol", *f.protocol, "It must be ALL, ICMP, TCP or UDP.")
		}
		r.Protocol = n
	}
	if f.ipVersion != nil && *f.ipVersion != "IPv4" && *f.ipVersion != "IPv6" {
		return errInvalid(name+"IpVersion", *f.ipVersion, "It must be IPv4 or IPv6.")
	}
	any := "0.0.0.0/0"
	if f.ipVersion != nil && *f.ipVersion == "IPv6" {
		any = "::/0" // the model decides whether the profile mirrors IPv6
	}
	for _, c := range [2]struct {
		v   *string
		dst *string
	}{{f.src, &r.SourceCidrBlock}, {f.dst, &r.DestinationCidrBlock}} {
		switch {
		case c.v != nil:
			*c.dst = *c.v
		case *c.dst == "":
			*c.dst = any
		}
	}
	for k, pr := range [2]*string{f.srcPorts, f.dstPorts} {
		if pr == nil {
			continue
		}
		field := name + [2]string{"SourcePortRange", "DestinationPortRange"}[k]
		rng, err := parsePortRange(field, *pr)
		if err != nil {
			return err
		}
		if k == 0 {
			r.SourcePortRange = rng
		} else {
			r.DestinationPortRange = rng
		}
	}
	if r.Protocol != encap.ProtoTCP && r.Protocol != encap.ProtoUDP {
		r.SourcePortRange, r.DestinationPortRange = nil, nil // all ports
	}
	return nil
}

// parsePortRange reads "FROM/TO" (1..65535); "-1/-1" is every port.
func parsePortRange(field, v string) (*cloudmock.TrafficMirrorPortRange, error) {
	if v == "-1/-1" {
		return nil, nil
	}
	a, b, ok := strings.Cut(v, "/")
	from, err1 := strconv.Atoi(a)
	to, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || from < 1 || to > 65535 {
		return nil, errInvalid(field, v, "It must be FROM/TO with ports 1 to 65535 (e.g. 80/80), or -1/-1 for all ports.")
	}
	return &cloudmock.TrafficMirrorPortRange{FromPort: from, ToPort: to}, nil
}

func portRangeText(p *cloudmock.TrafficMirrorPortRange) string {
	if p == nil {
		return "-1/-1"
	}
	return fmt.Sprintf("%d/%d", p.FromPort, p.ToPort)
}

// ruleFieldsOf reads one IngressRules.N / EgressRules.N group.
func ruleFieldsOf(o indexedObject) ruleFields {
	get := func(k string) *string {
		if v, ok := o.f[k]; ok {
			return &v
		}
		return nil
	}
	return ruleFields{action: get("Action"), protocol: get("Protocol"), src: get("SourceCidrBlock"), dst: get("DestinationCidrBlock"),
		srcPorts: get("SourcePortRange"), dstPorts: get("DestinationPortRange"), ipVersion: get("IpVersion"), priority: get("Priority")}
}

// newRules reads IngressRules.N and EgressRules.N into model rules with
// new ids (Creating until they settle).
func (c *call) newRules(a *account, now time.Time) ([2][]cloudmock.TrafficMirrorFilterRule, error) {
	var out [2][]cloudmock.TrafficMirrorFilterRule
	for d, prefix := range [2]string{"IngressRules", "EgressRules"} {
		objs, err := c.p.objects(prefix)
		if err != nil {
			return out, err
		}
		for _, o := range objs {
			name := fmt.Sprintf("%s.%d.", prefix, o.n)
			for _, req := range []string{"Action", "Protocol", "Priority"} {
				if o.f[req] == "" {
					return out, errMissing(name + req)
				}
			}
			r := cloudmock.TrafficMirrorFilterRule{TrafficMirrorFilterRuleId: c.s.newID(a, "tmr")}
			if err := parseRuleInto(&r, ruleFieldsOf(o), name); err != nil {
				return out, err
			}
			a.meta[r.TrafficMirrorFilterRuleId] = c.s.busy(meta{Created: now}, statusCreating, now)
			out[d] = append(out[d], r)
		}
	}
	return out, nil
}

// ruleItemOf renders a model rule.
func ruleItemOf(filterID string, d int, r cloudmock.TrafficMirrorFilterRule, status string) ruleItem {
	action, ipv := "accept", "IPv4"
	if r.RuleAction == "reject" {
		action = "drop"
	}
	if strings.Contains(r.SourceCidrBlock, ":") {
		ipv = "IPv6"
	}
	return ruleItem{TrafficMirrorFilterRuleId: r.TrafficMirrorFilterRuleId, TrafficMirrorFilterId: filterID, TrafficDirection: directions[d],
		Priority: r.RuleNumber, Action: action, Protocol: protocolName(r.Protocol), SourceCidrBlock: r.SourceCidrBlock,
		DestinationCidrBlock: r.DestinationCidrBlock, SourcePortRange: portRangeText(r.SourcePortRange),
		DestinationPortRange: portRangeText(r.DestinationPortRange), IpVersion: ipv, TrafficMirrorFilterRuleStatus: status}
}

// findRule locates a rule by id: its filter's index, direction and index.
func findRule(a *account, id string) (fi, d, ri int, ok bool) {
	for fi := range a.spec.TrafficMirrorFilters {
		f := a.spec.TrafficMirrorFilters[fi]
		for d, rules := range [2][]cloudmock.TrafficMirrorFilterRule{f.IngressFilterRules, f.EgressFilterRules} {
			for ri := range rules {
				if rules[ri].TrafficMirrorFilterRuleId == id {
					return fi, d, ri, true
				}
			}
		}
	}
	return 0, 0, 0, false
}

func rulesOf(f *cloudmock.TrafficMirrorFilter, d int) *[]cloudmock.TrafficMirrorFilterRule {
	if d == 0 {
		return &f.IngressFilterRules
	}
	return &f.EgressFilterRules
}

type ruleIDItem struct {
	InstanceId string `json:"InstanceId"`
}

type createRulesResult struct {
	IngressRules []ruleIDItem `json:"IngressRules"`
	EgressRules  []ruleIDItem `json:"EgressRules"`
}

func opCreateRules(c *call) (any, error) {
	id := c.in.required("TrafficMirrorFilterId")
	return changeSettled(c, id, c.settledFilter, func(a *account, f *cloudmock.TrafficMirrorFilter, now time.Time) (any, error) {
		rules, err := c.newRules(a, now)
		if err != nil {
			return nil, err
		}
		if len(rules[0])+len(rules[1]) == 0 {
			return nil, errMissing("IngressRules.N or EgressRules.N")
		}
		res := createRulesResult{IngressRules: []ruleIDItem{}, EgressRules: []ruleIDItem{}}
		for d := range rules {
			*rulesOf(f, d) = append(*rulesOf(f, d), rules[d]...)
			for _, r := range rules[d] {
				item := ruleIDItem{InstanceId: r.TrafficMirrorFilterRuleId}
				if d == 0 {
					res.IngressRules = append(res.IngressRules, item)
				} else {
					res.EgressRules = append(res.EgressRules, item)
				}
			}
		}
		return res, nil
	})
}

func opDeleteRules(c *call) (any, error) {
	id := c.in.required("TrafficMirrorFilterId")
	ids := c.in.requiredList("TrafficMirrorFilterRuleIds")
	return changeSettled(c, id, c.settledFilter, func(a *account, f *cloudmock.TrafficMirrorFilter, now time.Time) (any, error) {
		for _, rid := range ids {
			fi, d, ri, ok := findRule(a, rid)
			if !ok || a.spec.TrafficMirrorFilters[fi].TrafficMirrorFilterId != id {
				return nil, notFound(codeRuleNotFound, "traffic mirror filter rule", rid)
			}
			if st := a.meta[rid].status(now); st != statusCreated {
				return nil, errStatus(codeRuleStatus, "rule", rid, st)
			}
			rules := rulesOf(f, d)
			item := ruleItemOf(id, d, (*rules)[ri], statusDeleting)
			*rules = append((*rules)[:ri], (*rules)[ri+1:]...)
			delete(a.meta, rid)
			a.ghosts = append(a.ghosts, ghost{Kind: "rule", ID: rid, Filter: id, Until: now.Add(c.s.settle), Rule: &item})
		}
		return struct{}{}, nil
	})
}

func opUpdateRule(c *call) (any, error) {
	rid := c.in.required("TrafficMirrorFilterRuleId")
	f := ruleFields{action: c.p.opt("RuleAction"), protocol: c.p.opt("Protocol"), src: c.p.opt("SourceCidrBlock"),
		dst: c.p.opt("DestinationCidrBlock"), srcPorts: c.p.opt("SourcePortRange"), dstPorts: c.p.opt("DestinationPortRange"),
		priority: c.p.opt("Priority")}
	return c.mutate(func(a *account, now time.Time) (any, error) {
		fi, d, ri, ok := findRule(a, rid)
		if !ok {
			return nil, notFound(codeRuleNotFound, "traffic mirror filter rule", rid)
		}
		m := a.meta[rid]
		if st := m.status(now); st != statusCreated {
			return nil, errStatus(codeRuleStatus, "rule", rid, st)
		}
		r := &(*rulesOf(a.spec.TrafficMirrorFilters[fi], d))[ri]
		if err := parseRuleInto(r, f, ""); err != nil {
			return nil, err
		}
		a.meta[rid] = c.s.busy(m, statusModifying, now)
		return struct{}{}, nil
	})
}

// busy puts a resource's meta in a transitional status until it settles.
func (s *Server) busy(m meta, status string, now time.Time) meta {
	m.Status, m.Until = status, now.Add(s.settle)
	return m
}
