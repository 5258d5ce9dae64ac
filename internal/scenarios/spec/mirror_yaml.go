package spec

import (
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// Mirror is the scenario's mirror section: the model's Traffic Mirroring
// resources, whose ids are the scenario's names. The YAML differs from
// EC2's in one place: a filter's rules are one list (rules), each rule with
// its TrafficDirection.
type Mirror struct {
	Filters  []cloudmock.TrafficMirrorFilter  `yaml:"filters"`
	Targets  []cloudmock.TrafficMirrorTarget  `yaml:"targets"`
	Sessions []cloudmock.TrafficMirrorSession `yaml:"sessions"`

	places places
	later  []laterProblem
}

// UnmarshalYAML implements yaml.Unmarshaler: the section by mirrorTable.
func (m *Mirror) UnmarshalYAML(n *yaml.Node) error {
	d := newModelDecoder()
	decodeInto(d, n, at{path: "mirror"}, mirrorTable, "the mirror section", m)
	m.places, m.later = d.places, d.later
	return d.err()
}

// MirrorNode writes the mirror section of m (its ids being the names to
// write) by the same tables the loader reads it with.
func MirrorNode(m cloudmock.Spec) *yaml.Node {
	return encodeWith(mirrorTable, &Mirror{Filters: values(m.TrafficMirrorFilters), Targets: values(m.TrafficMirrorTargets), Sessions: values(m.TrafficMirrorSessions)})
}

// values is the file's list of the model's list of pointers (which
// holds no nil: the model refuses one).
func values[T any](ps []*T) []T {
	var out []T
	for _, p := range ps {
		out = append(out, *p)
	}
	return out
}

var mirrorTable = table[Mirror]{
	{name: "filters", dec: func(d *modelDecoder, n *yaml.Node, a at, m *Mirror) {
		resources(d, n, a.path, "TrafficMirrorFilter", 0, filterTable, "mirror filter", &m.Filters)
	}, enc: func(m *Mirror) *yaml.Node { return encodeList(filterTable, m.Filters) }},
	{name: "targets", dec: func(d *modelDecoder, n *yaml.Node, a at, m *Mirror) {
		resources(d, n, a.path, "TrafficMirrorTarget", 0, targetTable, "mirror target", &m.Targets)
	}, enc: func(m *Mirror) *yaml.Node { return encodeList(targetTable, m.Targets) }},
	{name: "sessions", dec: func(d *modelDecoder, n *yaml.Node, a at, m *Mirror) {
		resources(d, n, a.path, "TrafficMirrorSession", 0, sessionTable, "mirror session", &m.Sessions)
	}, enc: func(m *Mirror) *yaml.Node { return encodeList(sessionTable, m.Sessions) }},
}

type (
	filter  = cloudmock.TrafficMirrorFilter
	target  = cloudmock.TrafficMirrorTarget
	session = cloudmock.TrafficMirrorSession
)

var filterTable = table[filter]{
	strKey("name", "TrafficMirrorFilterId", func(f *filter) *string { return &f.TrafficMirrorFilterId }, false),
	strKey("Description", "Description", func(f *filter) *string { return &f.Description }, true),
	strListKey("NetworkServices", "NetworkServices", func(f *filter) *[]string { return &f.NetworkServices }),
	{name: "rules", dec: decodeRules, enc: encodeRules},
}

// decodeRules reads a filter's one list of rules into its ingress and
// egress lists, by each rule's TrafficDirection (absent or unknown:
// ingress, the problem reported by the file's check).
func decodeRules(d *modelDecoder, n *yaml.Node, a at, f *filter) {
	for _, list := range []string{"IngressFilterRules", "EgressFilterRules"} {
		d.record(at{key: placeKey{a.key.Resource, a.key.Index, list}, path: a.path})
	}
	decodeList(d, n, "mirror filter rules", func(j int, it *yaml.Node) {
		list, rules := "IngressFilterRules", &f.IngressFilterRules
		if ruleDirection(it) == "egress" {
			list, rules = "EgressFilterRules", &f.EgressFilterRules
		}
		ra := at{key: placeKey{a.key.Resource, a.key.Index, list + "[" + strconv.Itoa(len(*rules)) + "]"},
			path: a.path + "[" + strconv.Itoa(j) + "]"}
		d.record(ra)
		var r dirRule
		decodeInto(d, it, ra, ruleTable, "a mirror filter rule", &r)
		*rules = append(*rules, r.TrafficMirrorFilterRule)
	})
}

// ruleDirection is the TrafficDirection a rule's mapping gives ("" none).
func ruleDirection(n *yaml.Node) string {
	if n = resolve(n); n == nil || n.Kind != yaml.MappingNode {
		return ""
	}
	dir := ""
	eachPair(n, func(k, v *yaml.Node) {
		if v = resolve(v); k.Value == "TrafficDirection" && v != nil && v.Kind == yaml.ScalarNode && dir == "" {
			dir = v.Value
		}
	})
	return dir
}

func encodeRules(f *filter) *yaml.Node {
	var rules []dirRule
	for _, r := range f.IngressFilterRules {
		rules = append(rules, dirRule{"ingress", r})
	}
	for _, r := range f.EgressFilterRules {
		rules = append(rules, dirRule{"egress", r})
	}
	return encodeList(ruleTable, rules)
}

// dirRule is a filter rule with its direction, as the scenario writes it.
type dirRule struct {
	TrafficDirection string
	cloudmock.TrafficMirrorFilterRule
}

var ruleTable = table[dirRule]{
	{name: "TrafficDirection", dec: func(d *modelDecoder, n *yaml.Node, a at, r *dirRule) {
		v, ok := leaf[string](d, n)
		if ok && !oneOf(v, "ingress", "egress") {
			d.later = append(d.later, laterProblem{a.path, "TrafficDirection " + strconv.Quote(v) + ": want ingress or egress"})
		}
		r.TrafficDirection = v
	}, enc: func(r *dirRule) *yaml.Node { return encodeValue(r.TrafficDirection) }},
	intKey("RuleNumber", "RuleNumber", func(r *dirRule) *int { return &r.RuleNumber }, false),
	strKey("RuleAction", "RuleAction", func(r *dirRule) *string { return &r.RuleAction }, false),
	{name: "Protocol", field: "Protocol", dec: func(d *modelDecoder, n *yaml.Node, _ at, r *dirRule) {
		if v, ok := leaf[protocol](d, n); ok && v != protocolAll {
			r.Protocol = int(v) // the model's 0 is all
		}
	}, enc: func(r *dirRule) *yaml.Node {
		if r.Protocol == 0 {
			return nil
		}
		return encodeValue(r.Protocol)
	}},
	cidrKey("SourceCidrBlock", "SourceCidrBlock", func(r *dirRule) *string { return &r.SourceCidrBlock }),
	cidrKey("DestinationCidrBlock", "DestinationCidrBlock", func(r *dirRule) *string { return &r.DestinationCidrBlock }),
	portsKey("SourcePortRange", func(r *dirRule) **cloudmock.TrafficMirrorPortRange { return &r.SourcePortRange }),
	portsKey("DestinationPortRange", func(r *dirRule) **cloudmock.TrafficMirrorPortRange { return &r.DestinationPortRange }),
	strKey("Description", "Description", func(r *dirRule) *string { return &r.Description }, true),
}

type portRange = cloudmock.TrafficMirrorPortRange

var portsTable = table[portRange]{
	intKey("FromPort", "FromPort", func(p *portRange) *int { return &p.FromPort }, false),
	intKey("ToPort", "ToPort", func(p *portRange) *int { return &p.ToPort }, false),
}

// portsKey is a filter rule's optional port range, written on one line.
func portsKey(name string, get func(*dirRule) **portRange) key[dirRule] {
	return key[dirRule]{name: name, field: name,
		dec: func(d *modelDecoder, n *yaml.Node, a at, r *dirRule) {
			if isNull(resolve(n)) {
				return
			}
			p := &portRange{}
			decodeInto(d, n, a, portsTable, "a port range", p)
			*get(r) = p
		},
		enc: func(r *dirRule) *yaml.Node {
			p := *get(r)
			if p == nil {
				return nil
			}
			m := encodeWith(portsTable, p)
			m.Style = yaml.FlowStyle
			return m
		}}
}

var targetTable = table[target]{
	strKey("name", "TrafficMirrorTargetId", func(t *target) *string { return &t.TrafficMirrorTargetId }, false),
	strKey("Description", "Description", func(t *target) *string { return &t.Description }, true),
	strKey("NetworkInterfaceId", "NetworkInterfaceId", func(t *target) *string { return &t.NetworkInterfaceId }, true),
	strKey("NetworkLoadBalancerArn", "NetworkLoadBalancerArn", func(t *target) *string { return &t.NetworkLoadBalancerArn }, true),
	strKey("GatewayLoadBalancerEndpointId", "GatewayLoadBalancerEndpointId", func(t *target) *string { return &t.GatewayLoadBalancerEndpointId }, true),
}

var sessionTable = table[session]{
	strKey("name", "TrafficMirrorSessionId", func(s *session) *string { return &s.TrafficMirrorSessionId }, false),
	strKey("Description", "Description", func(s *session) *string { return &s.Description }, true),
	strKey("NetworkInterfaceId", "NetworkInterfaceId", func(s *session) *string { return &s.NetworkInterfaceId }, false),
	strListKey("TrafficMirrorSourceIds", "TrafficMirrorSourceIds", func(s *session) *[]string { return &s.TrafficMirrorSourceIds }),
	strKey("TrafficMirrorTargetId", "TrafficMirrorTargetId", func(s *session) *string { return &s.TrafficMirrorTargetId }, false),
	strKey("TrafficMirrorFilterId", "TrafficMirrorFilterId", func(s *session) *string { return &s.TrafficMirrorFilterId }, false),
	intKey("SessionNumber", "SessionNumber", func(s *session) *int { return &s.SessionNumber }, false),
	intPtrKey("VirtualNetworkId", "VirtualNetworkId", func(s *session) **int { return &s.VirtualNetworkId }),
	intPtrKey("PacketLength", "PacketLength", func(s *session) **int { return &s.PacketLength }),
}

// mirrorTables gives the table of each mirror resource kind (cloudmock's
// resource name) as the model-field-to-key lookup of its places.
var mirrorKeys = map[string]func(string) string{
	"TrafficMirrorFilter":  filterTable.yamlKey,
	"TrafficMirrorTarget":  targetTable.yamlKey,
	"TrafficMirrorSession": sessionTable.yamlKey,
}
