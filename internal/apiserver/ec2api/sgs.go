package ec2api

import (
	"slices"
	"strconv"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// groupPair is a group named by a rule, with its owner.
func (s *Server) groupPair(g cloudmock.UserIdGroupPair) xres {
	return res(g).with(xel{"userId", s.cfg.AccountID})
}

func (s *Server) toXMLPermissions(ps []cloudmock.IpPermission) []xres {
	var out []xres
	for _, p := range ps {
		x := res(p).set("IpProtocol", protocolName(p.IpProtocol))
		if protocolName(p.IpProtocol) == "-1" {
			x = x.set("FromPort", (*int)(nil)).set("ToPort", (*int)(nil))
		}
		var pairs []xres
		for _, g := range p.UserIdGroupPairs {
			pairs = append(pairs, s.groupPair(g))
		}
		out = append(out, x.set("UserIdGroupPairs", pairs))
	}
	return out
}

// sgName is a group's name: its GroupName, else (a scenario file's
// group) its Name tag, else its id.
func sgName(g *cloudmock.SecurityGroup, tags tagStore) string {
	if g.GroupName != "" {
		return g.GroupName
	}
	return groupName(tags, g.GroupId)
}

// sgDescription is a group's description: its Description, else (a
// scenario file's group) its Description tag.
func sgDescription(g *cloudmock.SecurityGroup, tags tagStore) string {
	if g.Description != "" {
		return g.Description
	}
	v, _ := tags.value(g.GroupId, "Description")
	return v
}

func (s *Server) toXMLGroup(g *cloudmock.SecurityGroup, tags tagStore) xres {
	return res(g).set("GroupName", sgName(g, tags)).set("Description", sgDescription(g, tags)).
		set("IpPermissions", s.toXMLPermissions(g.IpPermissions)).set("IpPermissionsEgress", s.toXMLPermissions(g.IpPermissionsEgress)).
		with(xel{"ownerId", s.cfg.AccountID}, xel{"securityGroupArn", s.ec2ARN("security-group", g.GroupId)}, tagSet(tags, g.GroupId))
}

func (s *Server) groupFilters(tags tagStore) filterFields[*cloudmock.SecurityGroup] {
	type G = *cloudmock.SecurityGroup
	rules := func(egress bool, f func(sgRule) []string) func(G) []string {
		return func(g G) []string {
			ps := g.IpPermissions
			if egress {
				ps = g.IpPermissionsEgress
			}
			var out []string
			for _, r := range sgRulesOf(ps, egress) {
				out = append(out, f(r)...)
			}
			return out
		}
	}
	port := func(p int, proto string) []string {
		if proto == "-1" {
			return nil
		}
		return one(strconv.Itoa(p))
	}
	ff := filterFields[G]{
		"description": func(g G) []string { return one(sgDescription(g, tags)) },
		"group-id":    func(g G) []string { return one(g.GroupId) },
		"group-name":  func(g G) []string { return one(sgName(g, tags)) },
		"owner-id":    func(G) []string { return one(s.cfg.AccountID) },
		"vpc-id":      func(g G) []string { return one(g.VpcId) },
	}
	for _, dir := range []struct {
		prefix string
		egress bool
	}{{"ip-permission.", false}, {"egress.ip-permission.", true}} {
		ff[dir.prefix+"cidr"] = rules(dir.egress, func(r sgRule) []string { return one(r.cidr) })
		ff[dir.prefix+"ipv6-cidr"] = rules(dir.egress, func(r sgRule) []string { return one(r.cidr6) })
		ff[dir.prefix+"group-id"] = rules(dir.egress, func(r sgRule) []string { return one(r.group) })
		ff[dir.prefix+"protocol"] = rules(dir.egress, func(r sgRule) []string { return []string{r.proto, protocolNumber(r.proto)} })
		ff[dir.prefix+"from-port"] = rules(dir.egress, func(r sgRule) []string { return port(r.from, r.proto) })
		ff[dir.prefix+"to-port"] = rules(dir.egress, func(r sgRule) []string { return port(r.to, r.proto) })
	}
	return ff
}

// groupByName finds a group by its name (see sgName).
func groupByName(spec *cloudmock.Spec, tags tagStore, name string) (string, bool) {
	for i := range spec.SecurityGroups {
		if g := &spec.SecurityGroups[i]; sgName(g, tags) == name {
			return g.GroupId, true
		}
	}
	return "", false
}

func (s *Server) describeSecurityGroups(c *call) (any, error) {
	names := c.p.list("GroupName")
	q, err := c.readDescribe("GroupId")
	if err != nil {
		return nil, err
	}
	ids, fs, pg := q.ids, q.fs, q.pg
	return c.read(func(spec *cloudmock.Spec, tags tagStore) (any, error) {
		if err := idsExist(ids, func(id string) bool { return findGroup(spec, id) >= 0 }, codeGroupNotFound, "security group"); err != nil {
			return nil, err
		}
		for _, n := range names {
			if _, ok := groupByName(spec, tags, n); !ok {
				return nil, groupNotFound(n)
			}
		}
		var items []*cloudmock.SecurityGroup
		for i := range spec.SecurityGroups {
			g := &spec.SecurityGroups[i]
			if (len(ids) == 0 || slices.Contains(ids, g.GroupId)) && (len(names) == 0 || slices.Contains(names, sgName(g, tags))) {
				items = append(items, g)
			}
		}
		id := func(g *cloudmock.SecurityGroup) string { return g.GroupId }
		items, next, err := filterPage(items, fs, pg, s.groupFilters(tags), id, tags)
		if err != nil {
			return nil, err
		}
		out := listResult{set: "securityGroupInfo", next: next}
		for _, g := range items {
			out.items = append(out.items, s.toXMLGroup(g, tags))
		}
		return out, nil
	})
}

type xmlGroupRule struct {
	SecurityGroupRuleId string `xml:"securityGroupRuleId"`
	GroupId             string `xml:"groupId"`
	GroupOwnerId        string `xml:"groupOwnerId,omitempty"`
	IsEgress            bool   `xml:"isEgress"`
	IpProtocol          string `xml:"ipProtocol"`
	FromPort            *int   `xml:"fromPort"`
	ToPort              *int   `xml:"toPort"`
	CidrIpv4            string `xml:"cidrIpv4,omitempty"`
	CidrIpv6            string `xml:"cidrIpv6,omitempty"`
	Referenced          *xres  `xml:"referencedGroupInfo"`
	ReferencedGroupId   string `xml:"referencedGroupId,omitempty"`
}

type authorizeResult struct {
	Return bool           `xml:"return"`
	Rules  []xmlGroupRule `xml:"securityGroupRuleSet>item"`
}

type revokeResult struct {
	Return  bool           `xml:"return"`
	Unknown []xres         `xml:"unknownIpPermissionSet>item"`
	Revoked []xmlGroupRule `xml:"revokedSecurityGroupRuleSet>item"`
}

func (s *Server) toXMLGroupRule(groupID string, r sgRule, revoked bool) xmlGroupRule {
	x := xmlGroupRule{
		SecurityGroupRuleId: r.id(groupID), GroupId: groupID, IsEgress: r.egress, IpProtocol: r.proto,
		CidrIpv4: r.cidr, CidrIpv6: r.cidr6,
	}
	if !revoked {
		x.GroupOwnerId = s.cfg.AccountID
	}
	if r.proto != "-1" {
		x.FromPort, x.ToPort = new(r.from), new(r.to)
	}
	if r.group != "" {
		if revoked {
			x.ReferencedGroupId = r.group
		} else {
			x.Referenced = new(s.groupPair(cloudmock.UserIdGroupPair{GroupId: r.group}))
		}
	}
	return x
}
