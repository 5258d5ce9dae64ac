package ec2api

import (
	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/codes"
)

// subnetAttributes are ModifySubnetAttribute's boolean attributes that
// the model holds (<Name>.Value).
var subnetAttributes = []struct {
	param string
	set   func(*cloudmock.Subnet, bool)
}{
	{"MapPublicIpOnLaunch.Value", func(s *cloudmock.Subnet, b bool) { s.MapPublicIpOnLaunch = b }},
	{"AssignIpv6AddressOnCreation.Value", func(s *cloudmock.Subnet, b bool) { s.AssignIpv6AddressOnCreation = b }},
	{"EnableDns64.Value", func(s *cloudmock.Subnet, b bool) { s.EnableDns64 = b }},
}

// subnetDefaults are attributes the model does not hold: only their
// default value is taken (a no-op), as the provider sends them. A slice,
// not a map: they are checked in this order, so that a request with two
// of them at other values is refused naming the same one every time.
var subnetDefaults = []struct{ param, def string }{
	{"PrivateDnsHostnameTypeOnLaunch", "ip-name"},
	{"EnableResourceNameDnsARecordOnLaunch.Value", "false"},
	{"EnableResourceNameDnsAAAARecordOnLaunch.Value", "false"},
	{"MapCustomerOwnedIpOnLaunch.Value", "false"},
}

// modifySubnetAttribute sets one attribute of a subnet. An IPv6 address
// on creation needs the subnet's IPv6 block.
func (s *Server) modifySubnetAttribute(c *call) (any, error) {
	id := c.p.required("SubnetId")
	var set func(*cloudmock.Subnet)
	name := ""
	for _, a := range subnetAttributes {
		if _, ok := c.p.str(a.param); !ok {
			continue
		}
		b := c.p.bool(a.param)
		if c.p.ok() && set != nil {
			return nil, errorf(codes.InvalidParameterCombination, "Specify only one attribute: %s and %s were given.", name, a.param)
		}
		set, name = func(sn *cloudmock.Subnet) { a.set(sn, b) }, a.param
	}
	for _, d := range subnetDefaults {
		p, def := d.param, d.def
		if v, ok := c.p.str(p); ok && v != def {
			return nil, errorf(codeUnsupported, "%s=%s is not emulated: only %s.", p, v, def)
		} else if ok && set == nil {
			set, name = func(*cloudmock.Subnet) {}, p
		}
	}
	if set == nil && c.p.ok() {
		return nil, errMissing("MapPublicIpOnLaunch.Value")
	}
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.changeSubnet(id, func(st *state, sn *cloudmock.Subnet) (any, error) {
		set(sn)
		if sn.AssignIpv6AddressOnCreation && sn.Ipv6CidrBlock == "" {
			return nil, errInvalid("AssignIpv6AddressOnCreation", "true", "The subnet "+id+" has no IPv6 CIDR block.")
		}
		return returnResult{true}, nil
	})
}
