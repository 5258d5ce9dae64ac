package ec2api

import (
	"slices"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// rulesOf returns a filter's rule list of a direction.
func rulesOf(f *cloudmock.TrafficMirrorFilter, dir string) *[]cloudmock.TrafficMirrorFilterRule {
	if dir == dirEgress {
		return &f.EgressFilterRules
	}
	return &f.IngressFilterRules
}

// ruleRef locates a filter rule: the filter's index, the direction and the
// rule's index in that direction's list.
type ruleRef struct {
	filter int
	dir    string
	rule   int
}

// findRule returns where a rule is; ok false when there is none.
func findRule(spec *cloudmock.Spec, id string) (ruleRef, bool) {
	for i := range spec.TrafficMirrorFilters {
		for _, dir := range [2]string{dirIngress, dirEgress} {
			rules := *rulesOf(spec.TrafficMirrorFilters[i], dir)
			if j := slices.IndexFunc(rules, func(r cloudmock.TrafficMirrorFilterRule) bool { return r.TrafficMirrorFilterRuleId == id }); j >= 0 {
				return ruleRef{filter: i, dir: dir, rule: j}, true
			}
		}
	}
	return ruleRef{}, false
}

func ruleNotFound(id string) error {
	return notFound(codeFilterRuleNotFound, "traffic mirror filter rule", id)
}

// direction reads TrafficDirection (ingress|egress); "" when absent.
func (p *params) direction() string {
	d, ok := p.str("TrafficDirection")
	if ok && d != dirIngress && d != dirEgress {
		p.fail(errInvalid("TrafficDirection", d, "It must be ingress or egress."))
		return ""
	}
	return d
}

// rulePortRange reads a rule's nested port range parameter.
func (p *params) rulePortRange(name string) *cloudmock.TrafficMirrorPortRange {
	if pr := p.portRange(name); pr != nil {
		return &cloudmock.TrafficMirrorPortRange{FromPort: pr[0], ToPort: pr[1]}
	}
	return nil
}

func (s *Server) createTrafficMirrorFilterRule(c *call) (any, error) {
	p := c.p
	var r cloudmock.TrafficMirrorFilterRule
	filterID := p.required("TrafficMirrorFilterId")
	dir := p.direction()
	if dir == "" && p.ok() {
		return nil, errMissing("TrafficDirection")
	}
	r.RuleNumber = p.requiredInt("RuleNumber")
	r.RuleAction = p.required("RuleAction")
	r.SourceCidrBlock = p.required("SourceCidrBlock")
	r.DestinationCidrBlock = p.required("DestinationCidrBlock")
	proto := p.int("Protocol")
	if proto != nil {
		r.Protocol = *proto
	}
	r.SourcePortRange = p.rulePortRange("SourcePortRange")
	r.DestinationPortRange = p.rulePortRange("DestinationPortRange")
	r.Description, _ = p.str("Description")
	token, _ := p.str("ClientToken")
	tags := p.tagSpecs("traffic-mirror-filter-rule")
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.mutateIn(0, token, func(st *state) (any, error) { // the filters through filterW (cow.go)
		i := st.filterIndex(filterID)
		if i < 0 {
			return nil, filterNotFound(filterID)
		}
		r.TrafficMirrorFilterRuleId = st.newID("tmfr")
		f := st.filterW(i)
		rules := rulesOf(f, dir)
		*rules = append(*rules, r)
		st.placed(i, "", r.TrafficMirrorFilterRuleId)
		if err := st.tags.set(r.TrafficMirrorFilterRuleId, tags, "TagSpecification"); err != nil {
			return nil, err
		}
		return itemResult{name: "trafficMirrorFilterRule", item: filterRule{filterID, dir, r}.xml(st.tags), token: token}, nil
	})
}

// changeRule is a change of the rule id (RuleNotFound without one): fn
// writes it through st.filterW.
func (c *call) changeRule(id string, fn func(st *state, ref ruleRef) (any, error)) (any, error) {
	return c.mutateIn(0, "", func(st *state) (any, error) {
		ref, ok := st.ruleRef(id)
		if !ok {
			return nil, ruleNotFound(id)
		}
		return fn(st, ref)
	})
}

type deleteRuleResult struct {
	TrafficMirrorFilterRuleId string `xml:"trafficMirrorFilterRuleId"`
}

func (s *Server) deleteTrafficMirrorFilterRule(c *call) (any, error) {
	id, err := c.beginWith("TrafficMirrorFilterRuleId")
	if err != nil {
		return nil, err
	}
	return c.changeRule(id, func(st *state, ref ruleRef) (any, error) {
		rules := rulesOf(st.filterW(ref.filter), ref.dir)
		*rules = slices.Delete(*rules, ref.rule, ref.rule+1)
		st.tags.remove(id)
		return deleteRuleResult{TrafficMirrorFilterRuleId: id}, nil
	})
}

// Fields ModifyTrafficMirrorFilterRule's RemoveField.N may name.
var ruleRemovable = []string{"destination-port-range", "source-port-range", "protocol", "description"}

func (s *Server) modifyTrafficMirrorFilterRule(c *call) (any, error) {
	id := c.p.required("TrafficMirrorFilterRuleId")
	ch, err := readRuleChange(c.p)
	if err != nil {
		return nil, err
	}
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.changeRule(id, func(st *state, ref ruleRef) (any, error) {
		f := st.filterW(ref.filter)
		rules := rulesOf(f, ref.dir)
		r := (*rules)[ref.rule]
		ch.apply(&r)
		newDir := ref.dir
		if ch.dir != "" {
			newDir = ch.dir
		}
		if newDir == ref.dir {
			(*rules)[ref.rule] = r
		} else { // the rule moves to the other direction's list
			*rules = slices.Delete(*rules, ref.rule, ref.rule+1)
			other := rulesOf(f, newDir)
			*other = append(*other, r)
		}
		return itemResult{name: "trafficMirrorFilterRule", item: filterRule{f.TrafficMirrorFilterId, newDir, r}.xml(st.tags)}, nil
	})
}

// ruleChange is what ModifyTrafficMirrorFilterRule changes in a rule: the
// fields given (nil when absent), the fields removed and the direction
// ("" to keep it).
type ruleChange struct {
	dir                    string
	num, proto             *int
	sport, dport           *cloudmock.TrafficMirrorPortRange
	action, src, dst, desc *string
	remove                 map[string]bool
}

// readRuleChange reads ModifyTrafficMirrorFilterRule's parameters but the
// rule's id.
func readRuleChange(p *params) (ruleChange, error) {
	var ch ruleChange
	ch.dir = p.direction()
	ch.num = p.int("RuleNumber")
	ch.proto = p.int("Protocol")
	ch.sport = p.rulePortRange("SourcePortRange")
	ch.dport = p.rulePortRange("DestinationPortRange")
	ch.action, ch.src, ch.dst, ch.desc = p.optStr("RuleAction"), p.optStr("SourceCidrBlock"), p.optStr("DestinationCidrBlock"), p.optStr("Description")
	ch.remove = p.removeFields(ruleRemovable...)
	return ch, p.Err()
}

// apply sets the given fields of r, then clears the removed ones.
func (ch *ruleChange) apply(r *cloudmock.TrafficMirrorFilterRule) {
	if ch.num != nil {
		r.RuleNumber = *ch.num
	}
	if ch.action != nil {
		r.RuleAction = *ch.action
	}
	if ch.src != nil {
		r.SourceCidrBlock = *ch.src
	}
	if ch.dst != nil {
		r.DestinationCidrBlock = *ch.dst
	}
	if ch.desc != nil {
		r.Description = *ch.desc
	}
	if ch.proto != nil {
		r.Protocol = *ch.proto
	}
	if ch.sport != nil {
		r.SourcePortRange = ch.sport
	}
	if ch.dport != nil {
		r.DestinationPortRange = ch.dport
	}
	if ch.remove["protocol"] {
		r.Protocol = 0
	}
	if ch.remove["source-port-range"] {
		r.SourcePortRange = nil
	}
	if ch.remove["destination-port-range"] {
		r.DestinationPortRange = nil
	}
	if ch.remove["description"] {
		r.Description = ""
	}
}

var ruleFilters = filterFields[filterRule]{
	"traffic-mirror-filter-rule-id": func(r filterRule) []string { return one(r.TrafficMirrorFilterRuleId) },
	"traffic-mirror-filter-id":      func(r filterRule) []string { return one(r.filter) },
	"rule-number":                   func(r filterRule) []string { return num(r.RuleNumber) },
	"rule-action":                   func(r filterRule) []string { return one(r.RuleAction) },
	"traffic-direction":             func(r filterRule) []string { return one(r.dir) },
	"protocol":                      func(r filterRule) []string { return num(r.Protocol) },
	"source-cidr-block":             func(r filterRule) []string { return one(r.SourceCidrBlock) },
	"destination-cidr-block":        func(r filterRule) []string { return one(r.DestinationCidrBlock) },
	"description":                   func(r filterRule) []string { return one(r.Description) },
}

func (s *Server) describeTrafficMirrorFilterRules(c *call) (any, error) {
	filterID, hasFilter := c.p.str("TrafficMirrorFilterId")
	q, err := c.readDescribe("TrafficMirrorFilterRuleId")
	if err != nil {
		return nil, err
	}
	ids, fs, pg := q.ids, q.fs, q.pg
	return c.read(func(spec *cloudmock.Spec, tags tagStore) (any, error) {
		if hasFilter && findFilter(spec, filterID) < 0 {
			return nil, filterNotFound(filterID)
		}
		var all []filterRule
		for i := range spec.TrafficMirrorFilters {
			f := spec.TrafficMirrorFilters[i]
			if hasFilter && f.TrafficMirrorFilterId != filterID {
				continue
			}
			all = append(all, filterRules(f)...)
		}
		items := all
		if len(ids) > 0 {
			items = nil
			for _, id := range ids {
				j := slices.IndexFunc(all, func(r filterRule) bool { return r.TrafficMirrorFilterRuleId == id })
				if j < 0 {
					return nil, ruleNotFound(id)
				}
				items = append(items, all[j])
			}
		}
		id := func(r filterRule) string { return r.TrafficMirrorFilterRuleId }
		items, err := applyFilters(items, fs, ruleFilters, id, tags)
		if err != nil {
			return nil, err
		}
		items, next := page(pg, items, id)
		out := listResult{set: "trafficMirrorFilterRuleSet", next: next}
		for _, r := range items {
			out.items = append(out.items, r.xml(tags))
		}
		return out, nil
	})
}
