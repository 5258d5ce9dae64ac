package ec2api

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// taggable are the EC2 resource types the account holds: the kind (whose
// value is the id's prefix), the resource type DescribeTags names, and the
// NotFound code. A prefix comes before the shorter ones it extends
// (tgw-attach- before tgw-, tmfr- before tmf-): checkResources takes the
// first that matches.
var taggable = []struct {
	id                cloudmock.IDKind
	rtype, code, kind string
}{
	{cloudmock.KindVpc, "vpc", codeVpcNotFound, "vpc ID"},
	{cloudmock.KindPeering, "vpc-peering-connection", codes.PeeringNotFound, "vpcPeeringConnection ID"},
	{cloudmock.KindTransitGatewayAttachment, "transit-gateway-attachment", "InvalidTransitGatewayAttachmentID.NotFound", "transit gateway attachment ID"},
	{cloudmock.KindTransitGateway, "transit-gateway", codes.TransitGatewayNotFound, "transit gateway ID"},
	{cloudmock.KindSubnet, "subnet", codeSubnetNotFound, "subnet ID"},
	{cloudmock.KindRouteTable, "route-table", codes.RouteTableNotFound, "route table ID"},
	{cloudmock.KindSecurityGroup, "security-group", codeGroupNotFound, "security group"},
	{cloudmock.KindNetworkAcl, "network-acl", codeACLNotFound, "network ACL ID"},
	{cloudmock.KindNetworkInterface, "network-interface", codeENINotFound, "network interface ID"},
	{cloudmock.KindInstance, "instance", codeInstanceNotFound, "instance ID"},
	{cloudmock.KindFilterRule, "traffic-mirror-filter-rule", codeFilterRuleNotFound, "traffic mirror filter rule"},
	{cloudmock.KindFilter, "traffic-mirror-filter", codeFilterNotFound, "traffic mirror filter"},
	{cloudmock.KindTarget, "traffic-mirror-target", codeTargetNotFound, "traffic mirror target"},
	{cloudmock.KindSession, "traffic-mirror-session", codeSessionNotFound, "traffic mirror session"},
	{cloudmock.KindVpcEndpointService, "vpc-endpoint-service", codeServiceNotFound, "Vpc Endpoint Service Id"},
	{cloudmock.KindVpcEndpoint, "vpc-endpoint", "InvalidVpcEndpointId.NotFound", "Vpc Endpoint Id"},
}

// resourceTypes maps every EC2 resource id of a spec to its type (load
// balancers and their endpoints are not EC2's).
func resourceTypes(spec *cloudmock.Spec) map[string]string {
	rtype := make(map[cloudmock.IDKind]string, len(taggable))
	for _, t := range taggable {
		rtype[t.id] = t.rtype
	}
	m := map[string]string{}
	spec.EachID(func(r cloudmock.IDRef) {
		if t, ok := rtype[r.Kind]; ok && r.Own && *r.ID != "" {
			m[*r.ID] = t
		}
	})
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
			if strings.HasPrefix(id, string(t.id)+"-") {
				return notFound(t.code, t.kind, id)
			}
		}
		return errorf(codeInvalidID, "The ID '%s' is not valid", id)
	}
	return nil
}

func (s *Server) createTags(c *call) (any, error) {
	ids := c.p.requiredList("ResourceId")
	tags := c.p.tagList("Tag")
	if len(tags) == 0 && c.p.ok() {
		return nil, errMissing("Tag.1.Key")
	}
	if err := c.begin(); err != nil {
		return nil, err
	}
	// the tags alone, and the route tables where a derived main one
	// becomes taggable
	lists := cloudmock.Lists(0)
	if slices.ContainsFunc(ids, func(id string) bool { return strings.HasPrefix(id, string(cloudmock.KindRouteTable)+"-") }) {
		lists = cloudmock.RouteTablesList
	}
	return c.mutateIn(lists, "", func(st *state) (any, error) {
		for _, id := range ids {
			materializeMain(&st.spec, id) // a derived main route table becomes taggable
		}
		if err := checkResources(st.resourceTypesOf(ids), ids); err != nil {
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
	ids := c.p.requiredList("ResourceId")
	idx := c.p.indexes("Tag")
	var keys []tagKey
	for _, n := range idx {
		pre := fmt.Sprintf("Tag.%d", n)
		k := c.p.required(pre + ".Key")
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return nil, errInvalid(pre+".Key", k, "Tag keys starting with 'aws:' are reserved for internal use.")
		}
		v, ok := c.p.str(pre + ".Value")
		keys = append(keys, tagKey{key: k, value: v, hasValue: ok})
	}
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.mutateIn(0, "", func(st *state) (any, error) { // the tags alone
		if err := checkResources(st.resourceTypesOf(ids), ids); err != nil {
			return nil, err
		}
		for _, id := range ids {
			if len(keys) == 0 {
				st.tags.remove(id)
				continue
			}
			m := maps.Clone(st.tags.get(id)) // the stored map is shared with the published state
			for _, k := range keys {
				if v, ok := m[k.key]; ok && (!k.hasValue || v == k.value) {
					delete(m, k.key)
				}
			}
			st.tags.put(id, m) // none left removes them
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
	q, err := c.readDescribePage("", 1000)
	if err != nil {
		return nil, err
	}
	fs, pg := q.fs, q.pg
	return c.read(func(spec *cloudmock.Spec, tags tagStore) (any, error) {
		types := resourceTypes(spec)
		var items []xmlTagDescription
		tags.each(func(id string, m map[string]string) {
			t, ok := types[id]
			if !ok {
				return // not an EC2 resource (a load balancer's ARN)
			}
			for k, v := range m {
				items = append(items, xmlTagDescription{ResourceId: id, ResourceType: t, Key: k, Value: v})
			}
		})
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
