package ec2api

import (
	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// DescribeSecurityGroupRules: every rule of every group (one per CIDR or
// referenced group, the ids Authorize answers), which the provider's
// aws_vpc_security_group_*_rule resources and its revoke_rules_on_delete
// read.

const codeRuleNotFound = "InvalidSecurityGroupRuleId.NotFound"

// groupRule is one rule of a group, with its id.
type groupRule struct {
	group, id string
	r         sgRule
}

func allGroupRules(spec *cloudmock.Spec) []groupRule {
	var out []groupRule
	for _, g := range spec.SecurityGroups {
		for _, d := range [2]struct {
			ps     []cloudmock.IpPermission
			egress bool
		}{{g.IpPermissions, false}, {g.IpPermissionsEgress, true}} {
			for _, r := range sgRulesOf(d.ps, d.egress) {
				out = append(out, groupRule{group: g.GroupId, id: r.id(g.GroupId), r: r})
			}
		}
	}
	return out
}

type describeGroupRulesResult struct {
	Rules     []xmlGroupRule `xml:"securityGroupRuleSet>item"`
	NextToken string         `xml:"nextToken,omitempty"`
}

func (s *Server) describeSecurityGroupRules(c *call) (any, error) {
	q, err := c.readDescribe("SecurityGroupRuleId")
	if err != nil {
		return nil, err
	}
	return c.read(func(spec *cloudmock.Spec, tags tagStore) (any, error) {
		all := allGroupRules(spec)
		fields := filterFields[*groupRule]{
			"group-id":               func(r *groupRule) []string { return one(r.group) },
			"security-group-rule-id": func(r *groupRule) []string { return one(r.id) },
		}
		items, next, err := pickByID(q, all, nil, func(id string) error { return notFound(codeRuleNotFound, "security group rule ID", id) },
			fields, func(r *groupRule) string { return r.id }, tags)
		if err != nil {
			return nil, err
		}
		out := describeGroupRulesResult{NextToken: next}
		for _, r := range items {
			out.Rules = append(out.Rules, s.toXMLGroupRule(r.group, r.r, false))
		}
		return out, nil
	})
}
