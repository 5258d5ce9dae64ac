package spec

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// aclSection is the network section's network ACLs with their entries:
// the model's, whose ids are the scenario's names (VpcId defaulting to the
// only VPC; the subnets that name an ACL are its associations). A long
// list of entries is decoded a chunk at a time (fillRun).
type aclSection struct {
	List   []cloudmock.NetworkAcl
	places places
}

// UnmarshalYAML implements yaml.Unmarshaler: the list by aclTable.
func (a *aclSection) UnmarshalYAML(n *yaml.Node) error {
	var err error
	a.List, a.places, err = section(n, "network.networkAcls", "NetworkAcl", aclTable, "network ACL")
	return err
}

// fillRun decodes seq, the items from the first-th on of the entries at
// path (network.networkAcls[i].entries), into ACL i; problems go to
// errs, in yaml.v3's words.
func (a *aclSection) fillRun(path string, first int, seq *yaml.Node) (errs []string, ok bool) {
	num, found := strings.CutPrefix(path, "network.networkAcls[")
	num, _, _ = strings.Cut(num, "]")
	i, err := strconv.Atoi(num)
	if !found || err != nil || i >= len(a.List) || path != "network.networkAcls["+num+"].entries" {
		return nil, false
	}
	d := newModelDecoder()
	d.places = a.places
	ea := at{key: placeKey{"NetworkAcl", i, ""}, path: path}
	for j, it := range seq.Content {
		decodeEntry(d, ea, first+j, it, &a.List[i])
	}
	return d.errs, true
}

type (
	acl      = cloudmock.NetworkAcl
	aclEntry = cloudmock.NetworkAclEntry
)

var aclTable = table[acl]{
	strKey("name", "NetworkAclId", func(a *acl) *string { return &a.NetworkAclId }, false),
	strKey("VpcId", "VpcId", func(a *acl) *string { return &a.VpcId }, true),
	{name: "entries", field: "Entries", dec: func(d *modelDecoder, n *yaml.Node, a at, x *acl) {
		decodeList(d, n, "network ACL entries", func(j int, it *yaml.Node) { decodeEntry(d, a, j, it, x) })
	}, enc: func(a *acl) *yaml.Node { return encodeList(entryTable, a.Entries) }},
}

// decodeEntry decodes item j of the entries at a into x.
func decodeEntry(d *modelDecoder, a at, j int, it *yaml.Node, x *acl) {
	ea := at{key: placeKey{a.key.Resource, a.key.Index, "Entries[" + strconv.Itoa(len(x.Entries)) + "]"}, path: a.path + "[" + strconv.Itoa(j) + "]"}
	d.record(ea)
	var e aclEntry
	decodeInto(d, it, ea, entryTable, "a network ACL entry", &e)
	x.Entries = append(x.Entries, e)
}

var entryTable = table[aclEntry]{
	intKey("RuleNumber", "RuleNumber", func(e *aclEntry) *int { return &e.RuleNumber }, false),
	valueKey("Egress", "Egress", func(e *aclEntry) *bool { return &e.Egress }, true),
	{name: "Protocol", field: "Protocol", dec: func(d *modelDecoder, n *yaml.Node, _ at, e *aclEntry) {
		if v, ok := leaf[protocol](d, n); ok {
			e.Protocol = strconv.Itoa(int(v))
		}
	}, enc: func(e *aclEntry) *yaml.Node { return encodeValue(protocolName(e.Protocol)) }, leaf: true},
	strKey("RuleAction", "RuleAction", func(e *aclEntry) *string { return &e.RuleAction }, false),
	cidrKey("CidrBlock", "CidrBlock", func(e *aclEntry) *string { return &e.CidrBlock }),
	cidrKey("Ipv6CidrBlock", "Ipv6CidrBlock", func(e *aclEntry) *string { return &e.Ipv6CidrBlock }),
	{name: "PortRange", field: "PortRange", dec: func(d *modelDecoder, n *yaml.Node, a at, e *aclEntry) {
		if isNull(resolve(n)) {
			return
		}
		e.PortRange = &cloudmock.PortRange{}
		decodeInto(d, n, a, aclPortsTable, "a port range", e.PortRange)
	}, enc: func(e *aclEntry) *yaml.Node {
		if e.PortRange == nil {
			return nil
		}
		m := encodeWith(aclPortsTable, e.PortRange)
		m.Style = yaml.FlowStyle
		return m
	}, leaf: true}, // its keys are found by their names
}

var aclPortsTable = table[cloudmock.PortRange]{
	intKey("From", "From", func(p *cloudmock.PortRange) *int { return &p.From }, false),
	intKey("To", "To", func(p *cloudmock.PortRange) *int { return &p.To }, false),
}
