package ec2api

import (
	"strings"

	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// vpcAttributes are the attributes of Describe/ModifyVpcAttribute: the
// name EC2 gives each, and the model field behind it.
var vpcAttributes = []struct {
	name string
	get  func(*cloudmock.Vpc) bool
	set  func(*cloudmock.Vpc, bool)
}{
	{"enableDnsSupport", (*cloudmock.Vpc).DnsSupport, func(v *cloudmock.Vpc, b bool) { v.EnableDnsSupport = new(b) }},
	{"enableDnsHostnames", func(v *cloudmock.Vpc) bool { return v.EnableDnsHostnames }, func(v *cloudmock.Vpc, b bool) { v.EnableDnsHostnames = b }},
	{"enableNetworkAddressUsageMetrics", func(v *cloudmock.Vpc) bool { return v.EnableNetworkAddressUsageMetrics },
		func(v *cloudmock.Vpc, b bool) { v.EnableNetworkAddressUsageMetrics = b }},
}

type xmlAttrValue struct {
	Value bool `xml:"value"`
}

type describeVpcAttributeResult struct {
	VpcId          string        `xml:"vpcId"`
	DnsSupport     *xmlAttrValue `xml:"enableDnsSupport"`
	DnsHostnames   *xmlAttrValue `xml:"enableDnsHostnames"`
	AddressMetrics *xmlAttrValue `xml:"enableNetworkAddressUsageMetrics"`
}

func (s *Server) describeVpcAttribute(c *call) (any, error) {
	id := c.p.required("VpcId")
	attr := c.p.required("Attribute")
	k := -1
	for i, a := range vpcAttributes {
		if a.name == attr {
			k = i
		}
	}
	if k < 0 && c.p.ok() {
		return nil, errInvalid("Attribute", attr, "It must be enableDnsSupport, enableDnsHostnames or enableNetworkAddressUsageMetrics.")
	}
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.read(func(spec *cloudmock.Spec, _ tagStore) (any, error) {
		vpc, err := findByID(spec.Vpcs, id, idOfVpc, vpcNotFound)
		if err != nil {
			return nil, err
		}
		out := describeVpcAttributeResult{VpcId: id}
		v := &xmlAttrValue{vpcAttributes[k].get(vpc)}
		switch k {
		case 0:
			out.DnsSupport = v
		case 1:
			out.DnsHostnames = v
		default:
			out.AddressMetrics = v
		}
		return out, nil
	})
}

// modifyVpcAttribute sets one attribute (<Name>.Value); EC2 takes one
// per request.
func (s *Server) modifyVpcAttribute(c *call) (any, error) {
	id := c.p.required("VpcId")
	k, val := -1, false
	for i, a := range vpcAttributes {
		name := strings.ToUpper(a.name[:1]) + a.name[1:] + ".Value"
		if _, ok := c.p.str(name); !ok {
			continue
		}
		b := c.p.bool(name)
		if c.p.ok() && k >= 0 {
			return nil, errorf(codes.InvalidParameterCombination, "Fields for multiple attribute types specified: %s, %s", vpcAttributes[k].name, a.name)
		}
		k, val = i, b
	}
	if k < 0 && c.p.ok() {
		return nil, errMissing("EnableDnsSupport.Value")
	}
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.changeVpc(id, func(st *state, v *cloudmock.Vpc) (any, error) {
		vpcAttributes[k].set(v, val)
		return returnResult{true}, nil
	})
}
