package ec2api

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

func (s *Server) registerTagging(a map[string]actionFunc) {
	a["CreateTags"] = s.createTags
	a["DeleteTags"] = s.deleteTags
	a["DescribeTags"] = s.describeTags
}

// taggable are the EC2 resource types the account holds: the id prefix,
// the resource type DescribeTags names, and the NotFound code.
var taggable = []struct{ prefix, rtype, code, kind string }{
	{"vpc-", "vpc", codeVpcNotFound, "vpc ID"},
	{"pcx-", "vpc-peering-connection", cloudmock.CodePeeringNotFound, "vpcPeeringConnection ID"},
	{"tgw-attach-", "transit-gateway-attachment", "InvalidTransitGatewayAttachmentID.NotFound", "transit gateway attachment ID"},
	{"tgw-", "transit-gateway", cloudmock.CodeTransitGatewayNotFound, "transit gateway ID"},
	{"subnet-", "subnet", codeSubnetNotFound, "subnet ID"},
	{"sg-", "security-group", codeGroupNotFound, "security group"},
	{"acl-", "network-acl", codeACLNotFound, "network ACL ID"},
	{"eni-", "network-interface", codeENINotFound, "network interface ID"},
	{"i-", "instance", codeInstanceNotFound, "instance ID"},
	{"tmfr-", "traffic-mirror-filter-rule", codeFilterRuleNotFound, "traffic mirror filter rule"},
	{"tmf-", "traffic-mirror-filter", codeFilterNotFound, "traffic mirror filter"},
	{"tmt-", "traffic-mirror-target", codeTargetNotFound, "traffic mirror target"},
	{"tms-", "traffic-mirror-session", codeSessionNotFound, "traffic mirror session"},
}

// resourceTypes maps every EC2 resource id of a spec to its type.
func resourceTypes(spec *cloudmock.Spec) map[string]string {
	m := map[string]string{}
	add := func(id, t string) {
		if id != "" {
			m[id] = t
		}
	}
	for _, x := range spec.Vpcs {
		add(x.VpcId, "vpc")
	}
	for _, x := range spec.VpcPeeringConnections {
		add(x.VpcPeeringConnectionId, "vpc-peering-connection")
	}
	for _, x := range spec.TransitGateways {
		add(x.TransitGatewayId, "transit-gateway")
	}
	for _, x := range spec.TransitGatewayVpcAttachments {
		add(x.TransitGatewayAttachmentId, "transit-gateway-attachment")
	}
	for _, x := range spec.Subnets {
		add(x.SubnetId, "subnet")
	}
	for _, x := range spec.SecurityGroups {
		add(x.GroupId, "security-group")
	}
	for _, x := range spec.NetworkAcls {
		add(x.NetworkAclId, "network-acl")
	}
	for _, x := range spec.NetworkInterfaces {
		add(x.NetworkInterfaceId, "network-interface")
		add(x.InstanceId, "instance")
	}
	for _, f := range spec.TrafficMirrorFilters {
		add(f.TrafficMirrorFilterId, "traffic-mirror-filter")
		for _, r := range slices.Concat(f.IngressFilterRules, f.EgressFilterRules) {
			add(r.TrafficMirrorFilterRuleId, "traffic-mirror-filter-rule")
		}
	}
	for _, x := range spec.TrafficMirrorTargets {
		add(x.TrafficMirrorTargetId, "traffic-mirror-target")
	}
	for _, x := range spec.TrafficMirrorSessions {
		add(x.TrafficMirrorSessionId, "traffic-mirror-session")
	}
	return m
}

// checkResources answers the first id that names no resource: the
// NotFound error of the type its prefix says, or InvalidID.
func checkResources(types map[string]string, ids []string) error {
	for _, id := range ids {
		if _, ok := types[id]; ok {
			continue
		}
		for _, t := range taggable {
			if strings.HasPrefix(id, t.prefix) {
				return notFound(t.code, t.kind, id)
			}
		}
		return errorf(codeInvalidID, "The ID '%s' is not valid", id)
	}
	return nil
}

func (s *Server) createTags(c *call) (any, error) {
	ids, err := c.p.list("ResourceId")
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, errMissing("ResourceId.1")
	}
	tags, err := c.p.tagList("Tag")
	if err != nil {
		return nil, err
	}
	if len(tags) == 0 {
		return nil, errMissing("Tag.1.Key")
	}
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.mutate("", func(st *state) (any, error) {
		if err := checkResources(resourceTypes(&st.spec), ids); err != nil {
			return nil, err
		}
		for _, id := range ids {
			if err := st.tags.set(id, tags, "Tag"); err != nil {
				return nil, err
			}
		}
		return emptyResult{Return: true}, nil
	})
}

// tagKey is one Tag.N of DeleteTags: a key, and a value that must match
// when given.
type tagKey struct {
	key      string
	value    string
	hasValue bool
}

func (s *Server) deleteTags(c *call) (any, error) {
	ids, err := c.p.list("ResourceId")
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, errMissing("ResourceId.1")
	}
	idx, err := c.p.indexes("Tag")
	if err != nil {
		return nil, err
	}
	var keys []tagKey
	for _, n := range idx {
		pre := fmt.Sprintf("Tag.%d", n)
		k, err := c.p.required(pre + ".Key")
		if err != nil {
			return nil, err
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return nil, errInvalid(pre+".Key", k, "Tag keys starting with 'aws:' are reserved for internal use.")
		}
		v, ok := c.p.str(pre + ".Value")
		keys = append(keys, tagKey{key: k, value: v, hasValue: ok})
	}
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.mutate("", func(st *state) (any, error) {
		if err := checkResources(resourceTypes(&st.spec), ids); err != nil {
			return nil, err
		}
		for _, id := range ids {
			if len(keys) == 0 {
				st.tags.remove(id)
				continue
			}
			m := maps.Clone(st.tags[id]) // the stored map is shared with the published state
			for _, k := range keys {
				if v, ok := m[k.key]; ok && (!k.hasValue || v == k.value) {
					delete(m, k.key)
				}
			}
			if len(m) == 0 {
				st.tags.remove(id)
			} else {
				st.tags[id] = m
			}
		}
		return emptyResult{Return: true}, nil
	})
}

type xmlTagDescription struct {
	ResourceId   string `xml:"resourceId"`
	ResourceType string `xml:"resourceType"`
	Key          string `xml:"key"`
	Value        string `xml:"value"`
}

type describeTagsResult struct {
	Tags      []xmlTagDescription `xml:"tagSet>item"`
	NextToken string              `xml:"nextToken,omitempty"`
}

func (s *Server) describeTags(c *call) (any, error) {
	fs, err := c.p.filters()
	if err != nil {
		return nil, err
	}
	pg, err := c.p.paging(5, 1000)
	if err != nil {
		return nil, err
	}
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.read(func(spec *cloudmock.Spec, tags tagStore) (any, error) {
		types := resourceTypes(spec)
		var items []xmlTagDescription
		for id, m := range tags {
			t, ok := types[id]
			if !ok {
				continue // not an EC2 resource (a load balancer's ARN)
			}
			for k, v := range m {
				items = append(items, xmlTagDescription{ResourceId: id, ResourceType: t, Key: k, Value: v})
			}
		}
		sort.Slice(items, func(i, j int) bool {
			if items[i].ResourceId != items[j].ResourceId {
				return items[i].ResourceId < items[j].ResourceId
			}
			return items[i].Key < items[j].Key
		})
		type T = xmlTagDescription
		items, err := applyFilters(items, fs, filterFields[T]{
			"key":           func(x T) []string { return []string{x.Key} },
			"value":         func(x T) []string { return []string{x.Value} },
			"resource-id":   func(x T) []string { return one(x.ResourceId) },
			"resource-type": func(x T) []string { return one(x.ResourceType) },
		}, func(x T) string { return x.ResourceId }, tags)
		if err != nil {
			return nil, err
		}
		// a page ends between two tags: the token is resource id and key
		items, next := page(pg, items, func(x T) string { return x.ResourceId + "\x00" + x.Key })
		return describeTagsResult{Tags: items, NextToken: next}, nil
	})
}
