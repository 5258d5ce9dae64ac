package spec

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// sgSection is the network section's security groups: the model's,
// whose ids are the scenario's names. The YAML is CloudFormation's
// (AWS::EC2::SecurityGroup): one rule per peer (CidrIp, CidrIpv6 or a
// group), the ports defaulting by protocol (TCP and UDP: all, ICMP: any
// type and code), and a group that gives no SecurityGroupEgress allows all
// outbound traffic (Model adds that rule).
type sgSection struct {
	List []cloudmock.SecurityGroup
	// Lab holds what the model has not, by group.
	Lab []SecurityGroupLab

	places places
}

// SecurityGroupLab is what the scenario says of a security group beyond the
// model.
type SecurityGroupLab struct {
	// GroupDescription is the CloudFormation group's description.
	GroupDescription string
	// DefaultEgress: the group gives no SecurityGroupEgress, so all
	// outbound traffic is allowed.
	DefaultEgress bool
}

// sgItem is a security group as the file holds it.
type sgItem struct {
	cloudmock.SecurityGroup
	SecurityGroupLab
}

// UnmarshalYAML implements yaml.Unmarshaler: the list by sgTable.
func (g *sgSection) UnmarshalYAML(n *yaml.Node) error {
	items, places, err := section(n, "network.securityGroups", "SecurityGroup", sgTable, "security group")
	g.List, g.Lab = splitItems(items, func(it sgItem) (cloudmock.SecurityGroup, SecurityGroupLab) {
		it.DefaultEgress = it.IpPermissionsEgress == nil
		return it.SecurityGroup, it.SecurityGroupLab
	})
	g.places = places
	return err
}

// node writes the security groups (their ids being the names to write) with what the scenario says beyond the model, by the tables
// the loader reads them with.
func (g *sgSection) node() *yaml.Node {
	return encodeList(sgTable, joinItems(g.List, g.Lab, func(g cloudmock.SecurityGroup, l SecurityGroupLab) sgItem { return sgItem{g, l} }))
}

var sgTable = table[sgItem]{
	strKey("name", "GroupId", func(g *sgItem) *string { return &g.GroupId }, false),
	strKey("VpcId", "VpcId", func(g *sgItem) *string { return &g.VpcId }, true),
	strKey("GroupDescription", "", func(g *sgItem) *string { return &g.GroupDescription }, true),
	sgRulesKey("SecurityGroupIngress", "IpPermissions", false),
	sgRulesKey("SecurityGroupEgress", "IpPermissionsEgress", true),
}

// sgRulesKey is a group's list of CloudFormation rules, one permission of
// the model each; a missing (or null) egress list is the default one.
func sgRulesKey(name, field string, egress bool) key[sgItem] {
	list := func(g *sgItem) *[]cloudmock.IpPermission {
		if egress {
			return &g.IpPermissionsEgress
		}
		return &g.IpPermissions
	}
	k := key[sgItem]{name: name, field: field}
	k.dec = func(d *modelDecoder, n *yaml.Node, a at, g *sgItem) {
		if egress && isNull(resolve(n)) {
			return
		}
		rules := []cloudmock.IpPermission{}
		decodeList(d, n, "security group rules", func(j int, it *yaml.Node) {
			r := sgRule{egress: egress}
			ra := a.item(field, j)
			d.record(ra)
			seen := decodeInto(d, it, ra, sgRuleTable, "a security group rule", &r)
			r.defaultPorts(seen)
			for _, p := range r.peerDescriptions() {
				*p = r.description
			}
			rules = append(rules, r.IpPermission)
		})
		*list(g) = rules
	}
	k.enc = func(g *sgItem) *yaml.Node {
		if egress && g.DefaultEgress {
			return nil
		}
		var rules []sgRule
		for _, p := range *list(g) {
			rules = append(rules, splitPermission(p, egress)...)
		}
		if rules == nil {
			return &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		}
		return encodeList(sgRuleTable, rules)
	}
	return k
}

// sgRule is one CloudFormation rule: a permission of the model with one
// peer.
type sgRule struct {
	cloudmock.IpPermission
	egress bool
	// description is the rule's, given to its peer (the model's place of
	// a rule's description) once the rule is read.
	description string
}

// peerDescriptions points to the Description of each of the rule's peers.
func (r *sgRule) peerDescriptions() []*string {
	var out []*string
	for i := range r.IpRanges {
		out = append(out, &r.IpRanges[i].Description)
	}
	for i := range r.Ipv6Ranges {
		out = append(out, &r.Ipv6Ranges[i].Description)
	}
	for i := range r.UserIdGroupPairs {
		out = append(out, &r.UserIdGroupPairs[i].Description)
	}
	return out
}

// defaultPorts applies CloudFormation's ports when neither FromPort nor
// ToPort is given (seen: the rule's keys given, by sgRuleTable's index):
// TCP and UDP all ports, ICMP any type and code; all protocols has none.
func (r *sgRule) defaultPorts(seen uint64) {
	given := seen&(1<<sgFromPort|1<<sgToPort) != 0
	switch {
	case r.IpProtocol == "-1":
		r.FromPort, r.ToPort = 0, 65535
	case !given && (r.IpProtocol == "6" || r.IpProtocol == "17"):
		r.FromPort, r.ToPort = 0, 65535
	case !given && (r.IpProtocol == "1" || r.IpProtocol == "58"):
		r.FromPort, r.ToPort = -1, -1
	}
}

// splitPermission writes a permission as CloudFormation rules: one per
// peer, IPv4 ranges first, then groups, then IPv6 ranges.
func splitPermission(p cloudmock.IpPermission, egress bool) []sgRule {
	var out []sgRule
	one := func(set func(*cloudmock.IpPermission)) {
		q := p
		q.IpRanges, q.Ipv6Ranges, q.UserIdGroupPairs = nil, nil, nil
		set(&q)
		out = append(out, sgRule{IpPermission: q, egress: egress})
	}
	for _, r := range p.IpRanges {
		one(func(q *cloudmock.IpPermission) { q.IpRanges = []cloudmock.IpRange{r} })
	}
	for _, g := range p.UserIdGroupPairs {
		one(func(q *cloudmock.IpPermission) { q.UserIdGroupPairs = []cloudmock.UserIdGroupPair{g} })
	}
	for _, r := range p.Ipv6Ranges {
		one(func(q *cloudmock.IpPermission) { q.Ipv6Ranges = []cloudmock.Ipv6Range{r} })
	}
	return out
}

// Indexes of sgRuleTable's port keys (for defaultPorts).
const (
	sgFromPort = 1
	sgToPort   = 2
)

var sgRuleTable = table[sgRule]{
	{name: "IpProtocol", field: "IpProtocol", dec: func(d *modelDecoder, n *yaml.Node, _ at, r *sgRule) {
		if v, ok := leaf[protocol](d, n); ok {
			r.IpProtocol = strconv.Itoa(int(v))
		}
	}, enc: func(r *sgRule) *yaml.Node { return encodeValue(protocolName(r.IpProtocol)) }},
	sgPortKey("FromPort", func(r *sgRule) *int { return &r.FromPort }),
	sgPortKey("ToPort", func(r *sgRule) *int { return &r.ToPort }),
	sgPeerKey("CidrIp", "IpRanges[0].CidrIp", func(r *sgRule, v string) { r.IpRanges = []cloudmock.IpRange{{CidrIp: v}} },
		func(r *sgRule) string { return first(r.IpRanges, func(x cloudmock.IpRange) string { return x.CidrIp }) }, true),
	sgPeerKey("CidrIpv6", "Ipv6Ranges[0].CidrIpv6", func(r *sgRule, v string) { r.Ipv6Ranges = []cloudmock.Ipv6Range{{CidrIpv6: v}} },
		func(r *sgRule) string {
			return first(r.Ipv6Ranges, func(x cloudmock.Ipv6Range) string { return x.CidrIpv6 })
		}, true),
	sgGroupKey("SourceSecurityGroupId", false),
	sgGroupKey("DestinationSecurityGroupId", true),
	{name: "Description", dec: func(d *modelDecoder, n *yaml.Node, _ at, r *sgRule) {
		r.description, _ = leaf[string](d, n)
	}, enc: func(r *sgRule) *yaml.Node {
		for _, p := range r.peerDescriptions() {
			if *p != "" {
				return encodeValue(*p)
			}
		}
		return nil
	}},
}

// sgPortKey is a rule's port (ICMP: type or code), written unless the rule
// is for all protocols.
func sgPortKey(name string, get func(*sgRule) *int) key[sgRule] {
	k := intKey(name, name, get, false)
	enc := k.enc
	k.enc = func(r *sgRule) *yaml.Node {
		if r.IpProtocol == "-1" {
			return nil
		}
		return enc(r)
	}
	return k
}

// sgPeerKey is a rule's peer, field the model's place of it: set stores
// it, get reads it back ("" none); cidr: a CIDR block.
func sgPeerKey(name, field string, set func(*sgRule, string), get func(*sgRule) string, cidr bool) key[sgRule] {
	return key[sgRule]{name: name, field: field,
		dec: func(d *modelDecoder, n *yaml.Node, a at, r *sgRule) {
			item, _, _ := strings.Cut(field, ".") // IpRanges[0]: the rule's one peer
			d.record(at{key: placeKey{a.key.Resource, a.key.Index, strings.TrimSuffix(a.key.Field, field) + item}, path: a.path})
			if cidr {
				if v, ok := leaf[ipPrefix](d, n); ok && v.IsValid() {
					set(r, v.String())
				}
			} else if v, ok := leaf[string](d, n); ok && v != "" {
				set(r, v)
			}
		},
		enc: func(r *sgRule) *yaml.Node {
			if v := get(r); v != "" {
				return encodeValue(v)
			}
			return nil
		}}
}

// sgGroupKey is a rule's peer group: SourceSecurityGroupId for ingress,
// DestinationSecurityGroupId for egress (the other is ignored, as
// CloudFormation's rule types do not have it).
func sgGroupKey(name string, egress bool) key[sgRule] {
	k := sgPeerKey(name, "UserIdGroupPairs[0].GroupId", func(r *sgRule, v string) {
		if r.egress == egress {
			r.UserIdGroupPairs = []cloudmock.UserIdGroupPair{{GroupId: v}}
		}
	}, func(r *sgRule) string {
		if r.egress != egress {
			return ""
		}
		return first(r.UserIdGroupPairs, func(x cloudmock.UserIdGroupPair) string { return x.GroupId })
	}, false)
	return k
}

func first[E any](list []E, f func(E) string) string {
	if len(list) == 0 {
		return ""
	}
	return f(list[0])
}

// protocolName writes an EC2 protocol string ("6", "-1", "tcp") the way
// scenario files do (tcp, udp, icmp, all, or the number).
func protocolName(p string) string {
	v, err := parseProtocol(p)
	if err != nil {
		return p // the loader reports it, with its line
	}
	return v.String()
}

// sgKeys is the model-field-to-key lookup of a security group's places.
var sgKeys = sgTable.yamlKey
