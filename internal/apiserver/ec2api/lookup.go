package ec2api

import (
	"slices"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// Lookups by id in the spec's lists, shared by the actions that find,
// change or delete one resource: each kind names its id (vpcID, …) and
// its NotFound answer (vpcNotFound, …) once.

// indexByID is the index of the item whose id is want, -1 when none is.
func indexByID[T any](items []T, want string, id func(*T) string) int {
	for i := range items {
		if id(&items[i]) == want {
			return i
		}
	}
	return -1
}

// findByID returns the item whose id is want, or missing(want).
func findByID[T any](items []T, want string, id func(*T) string, missing func(string) error) (*T, error) {
	i := indexByID(items, want, id)
	if i < 0 {
		return nil, missing(want)
	}
	return &items[i], nil
}

// removeByID removes the item whose id is want from *items and returns
// it, or answers missing(want).
func removeByID[T any](items *[]T, want string, id func(*T) string, missing func(string) error) (T, error) {
	i := indexByID(*items, want, id)
	if i < 0 {
		var zero T
		return zero, missing(want)
	}
	x := (*items)[i]
	*items = slices.Delete(*items, i, i+1)
	return x, nil
}

// withoutEntry is a published list of pointers less its entry i, the list
// itself left as it was: the entries are shared, the rest of the list is
// copied, but for the last entry, cut off without a copy (clipped: an
// append copies).
func withoutEntry[T any](list []*T, i int) []*T {
	switch {
	case len(list) == 1:
		return nil
	case i == len(list)-1:
		return list[:i:i]
	default:
		return slices.Concat(list[:i:i], list[i+1:])
	}
}

func idOfVpc(v *cloudmock.Vpc) string                    { return v.VpcId }
func idOfSubnet(x *cloudmock.Subnet) string              { return x.SubnetId }
func idOfGroup(g *cloudmock.SecurityGroup) string        { return g.GroupId }
func idOfACL(a *cloudmock.NetworkAcl) string             { return a.NetworkAclId }
func idOfENI(e *cloudmock.NetworkInterface) string       { return e.NetworkInterfaceId }
func idOfTGW(g *cloudmock.TransitGateway) string         { return g.TransitGatewayId }
func idOfService(x *cloudmock.VpcEndpointService) string { return x.ServiceId }
func idOfAttachment(a *cloudmock.TransitGatewayVpcAttachment) string {
	return a.TransitGatewayAttachmentId
}
func idOfPeering(p *cloudmock.VpcPeeringConnection) string { return p.VpcPeeringConnectionId }

func vpcNotFound(id string) error    { return notFound(codeVpcNotFound, "vpc ID", id) }
func subnetNotFound(id string) error { return notFound(codeSubnetNotFound, "subnet ID", id) }
func groupNotFound(id string) error  { return notFound(codeGroupNotFound, "security group", id) }
func aclNotFound(id string) error    { return notFound(codeACLNotFound, "network ACL ID", id) }
func eniNotFound(id string) error    { return notFound(codeENINotFound, "network interface ID", id) }

// changeByID is a change of the element of a list whose id is want (list
// picks the list of the change's Spec; missing answers when there is
// none): fn changes it.
func changeByID[T any](c *call, list func(*cloudmock.Spec) []T, want string, id func(*T) string, missing func(string) error,
	fn func(st *state, x *T) (any, error)) (any, error) {
	return c.mutate("", func(st *state) (any, error) {
		x, err := findByID(list(&st.spec), want, id, missing)
		if err != nil {
			return nil, err
		}
		return fn(st, x)
	})
}

// changeVpc is a change of the VPC id.
func (c *call) changeVpc(id string, fn func(st *state, v *cloudmock.Vpc) (any, error)) (any, error) {
	return changeByID(c, func(s *cloudmock.Spec) []cloudmock.Vpc { return s.Vpcs }, id, idOfVpc, vpcNotFound, fn)
}

// changeSubnet is a change of the subnet id.
func (c *call) changeSubnet(id string, fn func(st *state, sn *cloudmock.Subnet) (any, error)) (any, error) {
	return changeByID(c, func(s *cloudmock.Spec) []cloudmock.Subnet { return s.Subnets }, id, idOfSubnet, subnetNotFound, fn)
}
