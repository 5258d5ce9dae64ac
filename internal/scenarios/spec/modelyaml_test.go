package spec

import (
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestTablesRoundTrip: the mirror and network sections of every library
// scenario, written by the tables (as export writes them) and read back,
// are the same model and lab's part.
func TestTablesRoundTrip(t *testing.T) {
	for _, f := range libraryFiles(t) {
		s, err := Load(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		ms := s.Model()
		out, err := yaml.Marshal(MirrorNode(ms))
		if err != nil {
			t.Fatal(err)
		}
		var back Mirror
		if err := yaml.Unmarshal(out, &back); err != nil {
			t.Fatalf("%s: written mirror section does not load: %v\n%s", f, err, out)
		}
		if !reflect.DeepEqual(back.Filters, s.Mirror.Filters) || !reflect.DeepEqual(back.Targets, s.Mirror.Targets) ||
			!reflect.DeepEqual(back.Sessions, s.Mirror.Sessions) {
			t.Errorf("%s: read back differs:\n%s", f, out)
		}
		out, err = yaml.Marshal(s.Network)
		if err != nil {
			t.Fatal(err)
		}
		var nBack Network
		if err := yaml.Unmarshal(out, &nBack); err != nil {
			t.Fatalf("%s: written network section does not load: %v\n%s", f, err, out)
		}
		n := &s.Network
		for what, same := range map[string]bool{
			"VPCs":             reflect.DeepEqual(nBack.VPCs.List, n.VPCs.List) && reflect.DeepEqual(nBack.VPCs.Subnets, n.VPCs.Subnets) && reflect.DeepEqual(nBack.VPCs.SubnetACLs, n.VPCs.SubnetACLs),
			"peerings":         reflect.DeepEqual(nBack.VPCPeeringConnections.List, n.VPCPeeringConnections.List),
			"transit gateways": reflect.DeepEqual(nBack.TransitGateways.List, n.TransitGateways.List) && reflect.DeepEqual(nBack.TransitGateways.Attachments, n.TransitGateways.Attachments),
			"network ACLs":     reflect.DeepEqual(nBack.NetworkAcls.List, n.NetworkAcls.List),
			"security groups":  reflect.DeepEqual(nBack.SecurityGroups.List, n.SecurityGroups.List) && reflect.DeepEqual(nBack.SecurityGroups.Lab, n.SecurityGroups.Lab),
			"instances":        reflect.DeepEqual(nBack.Instances.List, n.Instances.List),
			"load balancers":   reflect.DeepEqual(nBack.LoadBalancers.List, n.LoadBalancers.List) && reflect.DeepEqual(nBack.LoadBalancers.Lab, n.LoadBalancers.Lab),
		} {
			if !same {
				t.Errorf("%s: %s read back differ:\n%s", f, what, out)
			}
		}
	}
}

// TestMirrorPlaces: the model's errors inside a filter's rules, split by
// direction in the model and one list in the file, find their rule; a
// field the file leaves out is named by its YAML key at its resource.
func TestMirrorPlaces(t *testing.T) {
	src := strings.Replace(string(defaultSource(t)), "        - TrafficDirection: egress\n          RuleNumber: 100\n",
		"        - TrafficDirection: egress\n          RuleNumber: 7\n          RuleAction: accept\n          Protocol: 6\n"+
			"          SourceCidrBlock: 0.0.0.0/0\n          DestinationCidrBlock: 0.0.0.0/0\n"+
			"        - TrafficDirection: egress\n          RuleNumber: 7\n", 1)
	s, err := Parse("f.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	ps := s.ModelProblems()
	if len(ps) != 1 || ps[0].Path != "mirror.filters[web-in].rules[2].RuleNumber" || ps[0].Field != "EgressFilterRules[1].RuleNumber" {
		t.Fatalf("problems %v (path %q)", ps, ps[0].Path)
	}
	lines := strings.Split(src, "\n")
	if l := lines[ps[0].Line-1]; !strings.Contains(l, "RuleNumber: 7") || ps[0].Line < 80 {
		t.Errorf("line %d: %q", ps[0].Line, l)
	}
	p := s.Mirror.places
	for k, want := range map[placeKey]string{
		{"TrafficMirrorSession", 0, "PacketLength"}:                                 "mirror.sessions[0].PacketLength",
		{"TrafficMirrorSession", 0, "TrafficMirrorSessionId"}:                       "mirror.sessions[0].name",
		{"TrafficMirrorFilter", 0, "IngressFilterRules"}:                            "mirror.filters[0].rules",
		{"TrafficMirrorFilter", 0, "EgressFilterRules[0].Description"}:              "mirror.filters[0].rules[1].Description",
		{"TrafficMirrorFilter", 0, "IngressFilterRules[0].Protocol"}:                "mirror.filters[0].rules[0].Protocol",
		{"TrafficMirrorFilter", 0, "EgressFilterRules[0].SourcePortRange.FromPort"}: "mirror.filters[0].rules[1].SourcePortRange.FromPort",
		{"TrafficMirrorTarget", 3, "NetworkInterfaceId"}:                            "",
	} {
		if got := p.path(k, mirrorKeys[k.Resource]); got != want {
			t.Errorf("%v: %q, want %q", k, got, want)
		}
	}
}

// TestTablesMatchSchema: the tables and the JSON Schema know the same
// keys, so neither can drift from the other.
func TestTablesMatchSchema(t *testing.T) {
	var schema struct {
		Properties map[string]json.RawMessage
		Defs       map[string]json.RawMessage `json:"$defs"`
	}
	if err := json.Unmarshal(mustRead(t, "../../../scenarios/schema.json"), &schema); err != nil {
		t.Fatal(err)
	}
	keys := func(raw json.RawMessage, at ...string) []string {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		for _, k := range at {
			v = v.(map[string]any)[k]
		}
		var out []string
		for k := range v.(map[string]any)["properties"].(map[string]any) {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	for name, c := range map[string]struct{ got, want []string }{
		"mirror":              {mirrorTable.names(), keys(schema.Properties["mirror"])},
		"filter":              {filterTable.names(), keys(schema.Defs["filter"])},
		"filter rule":         {ruleTable.names(), keys(schema.Defs["filter"], "properties", "rules", "items")},
		"port range":          {portsTable.names(), keys(schema.Defs["portRange"])},
		"target":              {targetTable.names(), keys(schema.Defs["target"])},
		"session":             {sessionTable.names(), keys(schema.Defs["session"])},
		"security group":      {sgTable.names(), keys(schema.Properties["network"], "properties", "securityGroups", "items")},
		"security group rule": {sgRuleTable.names(), keys(schema.Defs["sgRule"])},
		"peering":             {peeringTable.names(), keys(schema.Properties["network"], "properties", "vpcPeeringConnections", "items")},
		"transit gateway":     {tgwTable.names(), keys(schema.Properties["network"], "properties", "transitGateways", "items")},
		"load balancer":       {lbTable.names(), keys(schema.Defs["loadBalancer"])},
		"listener":            {listenerTable.names(), keys(schema.Defs["loadBalancer"], "properties", "Listeners", "items")},
		"lb target":           {lbTargetTable.names(), keys(schema.Defs["loadBalancer"], "properties", "Targets", "items")},
		"vpc":                 {vpcTable.names(), keys(schema.Defs["vpc"])},
		"subnet":              {subnetTable.names(), keys(schema.Defs["vpc"], "properties", "subnets", "items")},
		"network ACL":         {aclTable.names(), keys(schema.Properties["network"], "properties", "networkAcls", "items")},
		"ACL entry":           {entryTable.names(), keys(schema.Defs["naclEntry"])},
		"attachment":          {attachmentTable.names(), keys(schema.Properties["network"], "properties", "transitGateways", "items", "properties", "attachments", "items")},
	} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s: table keys %v, schema keys %v", name, c.got, c.want)
		}
	}
}

// TestSecurityGroupRuleDescription: a rule's Description goes to its peer
// in the model (an IPv4 or IPv6 range, or a group pair), whichever key
// comes first, and is written back on the rule.
func TestSecurityGroupRuleDescription(t *testing.T) {
	src := strings.Replace(string(defaultSource(t)), "        - {IpProtocol: tcp, FromPort: 80, ToPort: 80, CidrIp: 0.0.0.0/0}\n",
		"        - {IpProtocol: tcp, FromPort: 80, ToPort: 80, CidrIp: 0.0.0.0/0, Description: web}\n"+
			"        - {Description: ipv6 web, IpProtocol: tcp, FromPort: 80, ToPort: 80, CidrIpv6: '::/0'}\n"+
			"        - {IpProtocol: udp, Description: from the adapter, SourceSecurityGroupId: adapter-sg}\n", 1)
	var sgs sgSection
	var doc struct {
		Network struct {
			SecurityGroups *sgSection `yaml:"securityGroups"`
		} `yaml:"network"`
	}
	doc.Network.SecurityGroups = &sgs
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	rules := sgs.List[0].IpPermissions
	if len(rules) != 3 || rules[0].IpRanges[0].Description != "web" || rules[1].Ipv6Ranges[0].Description != "ipv6 web" ||
		rules[2].UserIdGroupPairs[0].Description != "from the adapter" {
		t.Fatalf("rules %+v", rules)
	}
	one := sgSection{List: sgs.List[:1], Lab: sgs.Lab[:1]}
	out, err := yaml.Marshal(one.node())
	if err != nil {
		t.Fatal(err)
	}
	var back sgSection
	if err := yaml.Unmarshal(out, &back); err != nil || !reflect.DeepEqual(back.List, sgs.List[:1]) {
		t.Errorf("written rules read back as %+v (%v):\n%s", back.List, err, out)
	}
	for _, want := range []string{"Description: web\n", "Description: ipv6 web\n", "Description: from the adapter\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("written rules lack %q:\n%s", want, out)
		}
	}
}
