package ec2api

import (
	"fmt"
	"strings"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// changeRules is Authorize/RevokeSecurityGroupIngress/Egress. Whether a
// rule is valid (protocol, ports, CIDR, peer group) is the model's rule;
// duplicates and unknown rules are the API's bookkeeping.
func (s *Server) changeRules(egress, authorize bool) actionFunc {
	return func(c *call) (any, error) {
		groupID, _ := c.p.str("GroupId")
		name := ""
		if !egress {
			name, _ = c.p.str("GroupName")
		}
		var ruleIDs []string
		if !authorize {
			ruleIDs = c.p.list("SecurityGroupRuleId")
		}
		rules, err := c.readRules(egress, len(ruleIDs) > 0)
		if err != nil {
			return nil, err
		}
		if groupID == "" && name == "" {
			return nil, errMissing("GroupId")
		}
		if err := c.begin(); err != nil {
			return nil, err
		}
		// where each added rule landed in the model, for its error messages
		placed := map[string]string{}
		res, err := c.mutate("", func(st *state) (any, error) {
			if groupID == "" {
				id, ok := groupByName(&st.spec, st.tags, name)
				if !ok {
					return nil, groupNotFound(name)
				}
				groupID = id
			}
			i := findGroup(&st.spec, groupID)
			if i < 0 {
				return nil, groupNotFound(groupID)
			}
			for k := range rules {
				if n := rules[k].groupName; n != "" {
					id, ok := groupByName(&st.spec, st.tags, n)
					if !ok {
						return nil, groupNotFound(n)
					}
					rules[k].group = id
				}
			}
			g := &st.spec.SecurityGroups[i]
			list, field := &g.IpPermissions, "IpPermissions"
			if egress {
				list, field = &g.IpPermissionsEgress, "IpPermissionsEgress"
			}
			if authorize {
				return s.authorize(groupID, list, field, rules, placed)
			}
			return s.revoke(groupID, list, rules, ruleIDs, egress)
		})
		return res, placedParam(err, placed)
	}
}

func (s *Server) authorize(groupID string, list *[]cloudmock.IpPermission, field string, rules []sgRule, placed map[string]string) (any, error) {
	have := map[string]bool{}
	for _, r := range sgRulesOf(*list, rules[0].egress) {
		have[r.key()] = true
	}
	out := authorizeResult{Return: true}
	for _, r := range rules {
		if have[r.key()] {
			return nil, errorf(codePermDuplicate, "the specified rule %q already exists in security group %s", r.String(), groupID)
		}
		have[r.key()] = true
		var pi int
		var peer string
		*list, pi, peer = addRule(*list, r)
		perm := fmt.Sprintf("%s[%d]", field, pi)
		if _, ok := placed[perm]; !ok {
			placed[perm] = r.permParam
		}
		placed[perm+"."+peer] = r.param
		out.Rules = append(out.Rules, s.toXMLGroupRule(groupID, r, false))
	}
	return out, nil
}

func (s *Server) revoke(groupID string, list *[]cloudmock.IpPermission, rules []sgRule, ruleIDs []string, egress bool) (any, error) {
	out := revokeResult{Return: true}
	for _, id := range ruleIDs {
		found := false
		for _, r := range sgRulesOf(*list, egress) {
			if r.id(groupID) == id {
				*list, _ = removeRule(*list, r)
				out.Revoked = append(out.Revoked, s.toXMLGroupRule(groupID, r, true))
				found = true
				break
			}
		}
		if !found {
			return nil, errorf(codeRuleNotFound, "The security group rule ID '%s' does not exist in security group %s.", id, groupID)
		}
	}
	for _, r := range rules {
		var ok bool
		if *list, ok = removeRule(*list, r); ok {
			out.Revoked = append(out.Revoked, s.toXMLGroupRule(groupID, r, true))
			continue
		}
		x := s.toXMLPermissions(addRuleOnly(r))
		out.Unknown = append(out.Unknown, x...)
	}
	if len(out.Revoked) == 0 {
		return nil, errorf(codePermNotFound, "The specified rule %s does not exist in security group %s.", rules[0].String(), groupID)
	}
	return out, nil
}

// addRuleOnly is r as a permission of its own.
func addRuleOnly(r sgRule) []cloudmock.IpPermission {
	ps, _, _ := addRule(nil, r)
	return ps
}

// placedParam makes a model finding on an added rule name the request's
// parameter of that rule.
func placedParam(err error, placed map[string]string) error {
	ae, ok := err.(*apiError)
	if !ok || ae.Cause == nil || ae.Cause.Resource != "SecurityGroup" {
		return err
	}
	f := ae.Cause.Field
	best := ""
	for path := range placed {
		if (strings.HasPrefix(f, path+".") || f == path) && len(path) > len(best) {
			best = path
		}
	}
	if best == "" {
		return err
	}
	rest := strings.TrimPrefix(strings.TrimPrefix(f, best), ".")
	param := placed[best]
	if rest != "" {
		if param != "" {
			param += "."
		}
		param += rest
	}
	return &apiError{Status: ae.Status, Code: ae.Code, Message: fmt.Sprintf("%s (parameter %s)", ae.Cause.Message, param), Cause: ae.Cause}
}
