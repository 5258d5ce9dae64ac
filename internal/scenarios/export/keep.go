package export

import (
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
)

// Name groups of the sections kept from the original.
const (
	gProgram = "program"
	gTraffic = "traffic"
	gAny     = "" // a resource of any group (validationError.resource)
)

// refKey is a key whose value names something of a group.
type refKey struct{ key, group string }

// expectRefs lists, per expectation kind, the keys that name something.
var expectRefs = map[string][]refKey{
	"mirrored":        {{"session", gSession}, {"target", gTarget}, {"networkInterface", gHost}},
	"truncated":       {{"session", gSession}, {"target", gTarget}, {"networkInterface", gHost}},
	"notMirrored":     {{"networkInterface", gHost}},
	"arrived":         {{"networkInterface", gHost}},
	"delivered":       {{"target", gTarget}},
	"dropped":         {{"target", gTarget}},
	"requests":        {{"program", gProgram}},
	"sameRequests":    {{"production", gProgram}, {"test", gProgram}},
	"metric":          {{"networkInterface", gHost}, {"program", gProgram}},
	"output":          {{"program", gProgram}},
	"traffic":         {{"name", gTraffic}},
	"validationError": {{"resource", gAny}},
}

// groupWords names the groups in comments.
var groupWords = map[string]string{
	gVPC: "VPC", gPeering: "VPC peering connection", gTGW: "transit gateway", gTGWAtt: "transit gateway attachment", gSubnet: "subnet", gACL: "network ACL", gSG: "security group", gHost: "instance, network interface or load balancer",
	gFilter: "mirror filter", gTarget: "mirror target", gSession: "mirror session", gProgram: "program", gTraffic: "traffic step", gAny: "resource",
}

type keptSection struct {
	key     string
	node    *yaml.Node
	comment string
}

// kept copies programs, traffic, settle and expect from the original,
// renaming the resources they name, and drops (with a comment) the items
// that name something the export no longer has.
func (c *conv) kept(copyOf func(string) (*yaml.Node, error)) ([]keptSection, error) {
	var out []keptSection
	for _, sec := range []struct {
		key, what string
		group     string
		refs      func(item *yaml.Node) []refAt
	}{
		{"programs", "program", gProgram, func(it *yaml.Node) []refAt { return []refAt{{it, refKey{"instance", gHost}}} }},
		{"traffic", "traffic step", gTraffic, trafficRefs},
		{"settle", "", "", nil},
		{"expect", "expectation", "", expectationRefs},
	} {
		n, err := copyOf(sec.key)
		if err != nil {
			return nil, err
		}
		if n == nil {
			continue
		}
		if sec.refs == nil || n.Kind != yaml.SequenceNode {
			out = append(out, keptSection{key: sec.key, node: n})
			continue
		}
		var keep []*yaml.Node
		var dropped []string
		for _, it := range n.Content {
			name := scalarAt(it, "name")
			if why := c.renameRefs(sec.refs(it)); why != "" {
				label := sec.what
				if name != "" {
					label = fmt.Sprintf("%s %q", sec.what, name)
				}
				dropped = append(dropped, label+": "+why)
				continue
			}
			keep = append(keep, it)
			if sec.group != "" && name != "" {
				c.keepName(sec.group, name)
			}
		}
		n.Content = keep
		if len(keep) == 0 {
			n.Style = yaml.FlowStyle // []
		}
		ks := keptSection{key: sec.key, node: n}
		if len(dropped) > 0 {
			ks.comment = joinComment("", fmt.Sprintf("mirrorlab export dropped what names something the API server's state no longer has (%s):", sec.key), dropped)
		}
		out = append(out, ks)
	}
	return out, nil
}

// refAt is a reference in a mapping node.
type refAt struct {
	m *yaml.Node
	refKey
}

func trafficRefs(it *yaml.Node) []refAt {
	refs := []refAt{{it, refKey{"from", gHost}}}
	for _, kind := range []string{"http", "tcp", "udp", "icmp"} {
		if m := valueAt(it, kind); m != nil {
			refs = append(refs, refAt{m, refKey{"to", gHost}})
		}
	}
	if m := valueAt(it, "replay"); m != nil {
		refs = append(refs, refAt{m, refKey{"networkInterface", gHost}})
	}
	return refs
}

func expectationRefs(it *yaml.Node) []refAt {
	var refs []refAt
	for kind, keys := range expectRefs {
		m := valueAt(it, kind)
		if m == nil {
			continue
		}
		for _, k := range keys {
			refs = append(refs, refAt{m, k})
		}
	}
	return refs
}

// renameRefs renames each reference in place; it returns why the item must
// go ("" when every reference resolves).
func (c *conv) renameRefs(refs []refAt) string {
	for _, r := range refs {
		v := valueAt(r.m, r.key)
		if v == nil || v.Kind != yaml.ScalarNode || v.Value == "" {
			continue
		}
		group := r.group
		if group == gAny {
			group = c.groupOf(v.Value)
		}
		n, ok := c.rename(group, v.Value)
		if !ok {
			return fmt.Sprintf("%s %q is gone", groupWords[group], v.Value)
		}
		v.Value = n
	}
	return ""
}

// keepName records a program or traffic step that stays under its name.
func (c *conv) keepName(group, name string) {
	if c.ren[group] == nil {
		c.ren[group] = map[string]string{}
	}
	c.ren[group][name] = name
}

// groupOf is the group of a name of the original ("" if none has it).
func (c *conv) groupOf(name string) string {
	for _, g := range []string{gVPC, gPeering, gTGW, gTGWAtt, gSubnet, gACL, gSG, gHost, gFilter, gTarget, gSession} {
		if c.e.origSet[g][name] {
			return g
		}
	}
	return gAny
}

// valueAt is the value of key in mapping m (nil if absent).
func valueAt(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func scalarAt(m *yaml.Node, key string) string {
	if v := valueAt(m, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

// Lookups in the original scenario, by name (nil when absent).

func (e *Exporter) origSG(name string) *spec.SecurityGroupLab {
	sgs := &e.orig.Network.SecurityGroups
	for i := range sgs.List {
		if sgs.List[i].GroupId == name {
			return &sgs.Lab[i]
		}
	}
	return nil
}

func (e *Exporter) origInstance(name string) *spec.Instance {
	for i := range e.orig.Network.Instances.List {
		if in := &e.orig.Network.Instances.List[i]; in.Name == name {
			return in
		}
	}
	return nil
}

func (e *Exporter) instanceOfENI(eni string) *spec.Instance {
	for i := range e.orig.Network.Instances.List {
		in := &e.orig.Network.Instances.List[i]
		for _, n := range in.NetworkInterfaces {
			if n.NetworkInterfaceId == eni {
				return in
			}
		}
	}
	return nil
}

func (e *Exporter) origLB(name string) (cloudmock.LoadBalancer, spec.LoadBalancerLab) {
	lbs := &e.orig.Network.LoadBalancers
	for i := range lbs.List {
		if lbs.List[i].LoadBalancerArn == name {
			return lbs.List[i], lbs.Lab[i]
		}
	}
	return cloudmock.LoadBalancer{}, spec.LoadBalancerLab{}
}

// sameENI reports whether a load balancer target id of the original (an
// interface name, or an instance name for its first interface) is eni.
func (e *Exporter) sameENI(id, eni string) bool {
	if id == eni {
		return true
	}
	in := e.origInstance(id)
	return in != nil && len(in.NetworkInterfaces) > 0 && in.NetworkInterfaces[0].NetworkInterfaceId == eni
}
