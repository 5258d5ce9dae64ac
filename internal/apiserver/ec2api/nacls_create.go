package ec2api

import (
	"slices"

	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// Network ACLs created, deleted and associated through the API.

const codeAssociationNotFound = "InvalidAssociationID.NotFound"

// aclAssocID is the id of a subnet's association with a network ACL.
func aclAssocID(acl, subnet string) string { return derivedID("aclassoc", acl+"|"+subnet) }

// createNetworkAcl adds an ACL with no entries to a VPC: it denies
// everything until entries are added, as EC2's custom ACLs do.
func (s *Server) createNetworkAcl(c *call) (any, error) {
	return c.createInVpc("acl", cloudmock.KindNetworkAcl, "network-acl", func(st *state, id, vpc string) any {
		a := cloudmock.NetworkAcl{NetworkAclId: id, VpcId: vpc}
		st.spec.NetworkAcls = append(st.spec.NetworkAcls, a)
		return itemResult{name: "networkAcl", item: s.toXMLACL(&a, st.tags)}
	})
}

// createInVpc serves the Create action of a resource of a VPC that reads
// VpcId, ClientToken and TagSpecification (of tagType): add puts the
// resource, under a new id of prefix, into the state and returns the
// answer; the tags are set before it, the quota of kind checked after.
func (c *call) createInVpc(prefix string, kind cloudmock.IDKind, tagType string, add func(st *state, id, vpc string) any) (any, error) {
	vpc := c.p.required("VpcId")
	token, _ := c.p.str("ClientToken")
	tags := c.p.tagSpecs(tagType)
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.mutate(token, func(st *state) (any, error) {
		if findVpc(&st.spec, vpc) < 0 {
			return nil, vpcNotFound(vpc)
		}
		id := st.newID(prefix)
		if err := st.tags.set(id, tags, "TagSpecification"); err != nil {
			return nil, err
		}
		res := add(st, id, vpc)
		return res, st.quota(kind, vpc)
	})
}

// deleteNetworkAcl removes an ACL that no subnet is associated with; a
// VPC's default ACL cannot be deleted.
func (s *Server) deleteNetworkAcl(c *call) (any, error) {
	id, err := c.beginWith("NetworkAclId")
	if err != nil {
		return nil, err
	}
	return c.mutate("", func(st *state) (any, error) {
		// a failed change leaves the state as it was: remove, then check
		a, err := removeByID(&st.spec.NetworkAcls, id, idOfACL, aclNotFound)
		switch {
		case err != nil:
			return nil, err
		case a.IsDefault:
			return nil, errorf(codes.InvalidParameterValue, "cannot delete default network ACL %s", id)
		case len(a.Associations) > 0:
			return nil, errorf(codeDependencyViolation, "The networkAcl '%s' has dependencies and cannot be deleted (subnet %s is associated with it).", id, a.Associations[0].SubnetId)
		}
		st.tags.remove(id)
		return returnResult{true}, nil
	})
}

type replaceAssociationResult struct {
	NewAssociationId string `xml:"newAssociationId"`
}

// replaceNetworkAclAssociation moves the subnet of an association
// (AssociationId) to another ACL of its VPC.
func (s *Server) replaceNetworkAclAssociation(c *call) (any, error) {
	assoc := c.p.required("AssociationId")
	to, err := c.beginWith("NetworkAclId")
	if err != nil {
		return nil, err
	}
	return c.mutate("", func(st *state) (any, error) {
		from, j := findACLAssociation(&st.spec, assoc)
		if from < 0 {
			return nil, notFound(codeAssociationNotFound, "association ID", assoc)
		}
		k := findACL(&st.spec, to)
		if k < 0 {
			return nil, aclNotFound(to)
		}
		old := &st.spec.NetworkAcls[from]
		if old.VpcId != st.spec.NetworkAcls[k].VpcId {
			return nil, errInvalid("NetworkAclId", to, "The network ACL is not in the subnet's VPC "+old.VpcId+".")
		}
		subnet := old.Associations[j].SubnetId
		old.Associations = slices.Delete(old.Associations, j, j+1)
		n := &st.spec.NetworkAcls[k]
		n.Associations = append(n.Associations, cloudmock.NetworkAclAssociation{SubnetId: subnet})
		return replaceAssociationResult{NewAssociationId: aclAssocID(to, subnet)}, nil
	})
}

// findACLAssociation finds an association by id: the ACL's index and the
// association's, -1 when absent.
func findACLAssociation(spec *cloudmock.Spec, id string) (int, int) {
	for i, a := range spec.NetworkAcls {
		for j, as := range a.Associations {
			if aclAssocID(a.NetworkAclId, as.SubnetId) == id {
				return i, j
			}
		}
	}
	return -1, -1
}
