package ec2api

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// principalOK is what an endpoint service may allow: everyone ("*") or
// an IAM account, role or user ARN.
var principalOK = regexp.MustCompile(`^(\*|arn:aws[a-z-]*:iam::\d{12}:(root|role/.+|user/.+))$`)

func principalType(p string) string {
	switch {
	case p == "*":
		return "All"
	case strings.Contains(p, ":role/"):
		return "Role"
	case strings.Contains(p, ":user/"):
		return "User"
	}
	return "Account"
}

type modifyPermsResult struct {
	ReturnValue bool `xml:"return"`
}

func (s *Server) modifyVpcEndpointServicePermissions(c *call) (any, error) {
	id := c.p.required("ServiceId")
	add := c.p.list("AddAllowedPrincipals")
	remove := c.p.list("RemoveAllowedPrincipals")
	for i, p := range add {
		if c.p.ok() && !principalOK.MatchString(p) {
			return nil, errInvalid("AddAllowedPrincipals."+strconv.Itoa(i+1), p, "A principal is * or an IAM account, role or user ARN.")
		}
	}
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.mutate("", func(st *state) (any, error) {
		i := findService(&st.spec, id)
		if i < 0 {
			return nil, serviceNotFound(id)
		}
		x := &st.spec.VpcEndpointServices[i]
		for _, p := range add {
			if !slices.Contains(x.AllowedPrincipals, p) {
				x.AllowedPrincipals = append(x.AllowedPrincipals, p)
			}
		}
		x.AllowedPrincipals = slices.DeleteFunc(x.AllowedPrincipals, func(p string) bool { return slices.Contains(remove, p) })
		return modifyPermsResult{ReturnValue: true}, nil
	})
}

type xmlPrincipal struct {
	PrincipalType       string `xml:"principalType"`
	Principal           string `xml:"principal"`
	ServicePermissionId string `xml:"servicePermissionId"`
	ServiceId           string `xml:"serviceId"`
}

type describePermsResult struct {
	AllowedPrincipals []xmlPrincipal `xml:"allowedPrincipals>item"`
	NextToken         string         `xml:"nextToken,omitempty"`
}

func (s *Server) describeVpcEndpointServicePermissions(c *call) (any, error) {
	id := c.p.required("ServiceId")
	q, err := c.readDescribePage("", 1000)
	if err != nil {
		return nil, err
	}
	return c.read(func(spec *cloudmock.Spec, tags tagStore) (any, error) {
		i := findService(spec, id)
		if i < 0 {
			return nil, serviceNotFound(id)
		}
		var all []*xmlPrincipal
		for _, p := range spec.VpcEndpointServices[i].AllowedPrincipals {
			all = append(all, &xmlPrincipal{PrincipalType: principalType(p), Principal: p, ServicePermissionId: derivedID("vpce-svc-perm", id+"\x00"+p), ServiceId: id})
		}
		type X = *xmlPrincipal
		fields := filterFields[X]{
			"principal":      func(x X) []string { return one(x.Principal) },
			"principal-type": func(x X) []string { return one(x.PrincipalType) },
		}
		key := func(x X) string { return x.ServicePermissionId }
		all, next, err := filterPage(all, q.fs, q.pg, fields, key, tags)
		if err != nil {
			return nil, err
		}
		out := describePermsResult{NextToken: next}
		for _, x := range all {
			out.AllowedPrincipals = append(out.AllowedPrincipals, *x)
		}
		return out, nil
	})
}

// modifyVpcEndpointService changes whether endpoints need acceptance and
// which gateway load balancers the service offers (one its endpoints
// send to stays: the model refuses a change that strands them).
func (s *Server) modifyVpcEndpointService(c *call) (any, error) {
	id := c.p.required("ServiceId")
	accept := c.p.optStr("AcceptanceRequired")
	if accept != nil && *accept != "true" && *accept != "false" {
		return nil, errInvalid("AcceptanceRequired", *accept, "It is true or false.")
	}
	add := c.p.list("AddGatewayLoadBalancerArn")
	remove := c.p.list("RemoveGatewayLoadBalancerArn")
	if err := c.begin(); err != nil {
		return nil, err
	}
	res, err := c.mutate("", func(st *state) (any, error) {
		i := findService(&st.spec, id)
		if i < 0 {
			return nil, serviceNotFound(id)
		}
		x := &st.spec.VpcEndpointServices[i]
		if accept != nil {
			x.AcceptanceRequired = *accept == "true"
		}
		for _, a := range add {
			if !slices.Contains(x.GatewayLoadBalancerArns, a) {
				x.GatewayLoadBalancerArns = append(x.GatewayLoadBalancerArns, a)
			}
		}
		x.GatewayLoadBalancerArns = slices.DeleteFunc(x.GatewayLoadBalancerArns, func(a string) bool { return slices.Contains(remove, a) })
		return modifyPermsResult{ReturnValue: true}, nil
	})
	if err != nil {
		return nil, endpointsStranded(renamedParam(err, "GatewayLoadBalancerArns[", "AddGatewayLoadBalancerArn["), id)
	}
	return res, nil
}
