package ec2api

import (
	"slices"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// Route tables created, deleted and associated through the API.

// storeVpcTables stores the derived main table of a VPC that has no
// stored table, so that a table added beside it does not change the
// VPC's routes.
func storeVpcTables(spec *cloudmock.Spec, vpcID string) {
	if slices.ContainsFunc(spec.RouteTables, func(t cloudmock.RouteTable) bool { return t.VpcId == vpcID }) {
		return
	}
	if i := findVpc(spec, vpcID); i >= 0 {
		spec.RouteTables = append(spec.RouteTables, *derivedMain(spec, &spec.Vpcs[i]))
	}
}

func (s *Server) createRouteTable(c *call) (any, error) {
	return c.createInVpc("rtb", cloudmock.KindRouteTable, "route-table", func(st *state, id, vpc string) any {
		storeVpcTables(&st.spec, vpc)
		rt := cloudmock.RouteTable{RouteTableId: id, VpcId: vpc}
		st.spec.RouteTables = append(st.spec.RouteTables, rt)
		return itemResult{name: "routeTable", item: s.toXMLRouteTable(&st.spec, &rt, st.tags)}
	})
}

// deleteRouteTable removes a table that is neither its VPC's main table
// nor associated with a subnet.
func (s *Server) deleteRouteTable(c *call) (any, error) {
	return mutateTable(c, nil, func(st *state, i int) (any, error) {
		rt := st.spec.RouteTables[i]
		if rt.Main || len(rt.Associations) > 0 {
			return nil, errorf(codeDependencyViolation, "The routeTable '%s' has dependencies and cannot be deleted.", rt.RouteTableId)
		}
		st.spec.RouteTables = slices.Delete(st.spec.RouteTables, i, i+1)
		st.tags.remove(rt.RouteTableId)
		return returnResult{true}, nil
	})
}

// mutateTable serves an action on the table RouteTableId names: it reads
// that, then the action's other parameters (more, may be nil), then runs
// change on the table's index (a derived main table stored first) in a
// mutation.
func mutateTable(c *call, more func() error, change func(st *state, i int) (any, error)) (any, error) {
	id := c.p.required("RouteTableId")
	if more != nil && c.p.ok() { // more checks what it reads
		if err := more(); err != nil {
			return nil, err
		}
	}
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.mutate("", func(st *state) (any, error) {
		i, err := tableAt(&st.spec, id)
		if err != nil {
			return nil, err
		}
		return change(st, i)
	})
}

type xmlAssociationState struct {
	State string `xml:"state"`
}

type associateRouteTableResult struct {
	AssociationId string              `xml:"associationId"`
	State         xmlAssociationState `xml:"associationState"`
}

func (s *Server) associateRouteTable(c *call) (any, error) {
	var subnet string
	return mutateTable(c, func() error {
		if _, ok := c.p.str("GatewayId"); ok {
			return errorf(codeUnsupported, "Gateway route tables are not emulated: give SubnetId.")
		}
		subnet = c.p.required("SubnetId")
		return c.p.Err()
	}, func(st *state, i int) (any, error) {
		if findSubnet(&st.spec, subnet) < 0 {
			return nil, subnetNotFound(subnet)
		}
		rt := &st.spec.RouteTables[i]
		rt.Associations = append(rt.Associations, cloudmock.RouteTableAssociation{SubnetId: subnet})
		return associateRouteTableResult{AssociationId: assocID(rt.RouteTableId, subnet), State: xmlAssociationState{"associated"}}, nil
	})
}

// findRouteAssociation finds an association by id among the tables
// (derived main tables included: a found one is stored first): the
// table's index, the subnet ("" for a main association).
func findRouteAssociation(spec *cloudmock.Spec, id string) (int, string, bool) {
	for _, rt := range routeTables(spec) {
		if rt.Main && assocID(rt.RouteTableId, "") == id {
			return materializeMain(spec, rt.RouteTableId), "", true
		}
		for _, a := range rt.Associations {
			if assocID(rt.RouteTableId, a.SubnetId) == id {
				return findRouteTable(spec, rt.RouteTableId), a.SubnetId, true
			}
		}
	}
	return -1, "", false
}

func (s *Server) disassociateRouteTable(c *call) (any, error) {
	id, err := c.beginWith("AssociationId")
	if err != nil {
		return nil, err
	}
	return c.mutate("", func(st *state) (any, error) {
		i, subnet, ok := findRouteAssociation(&st.spec, id)
		switch {
		case !ok:
			return nil, notFound(codeAssociationNotFound, "association ID", id)
		case subnet == "":
			return nil, errInvalid("AssociationId", id, "The main route table association cannot be disassociated; replace it with ReplaceRouteTableAssociation.")
		}
		rt := &st.spec.RouteTables[i]
		rt.Associations = slices.DeleteFunc(rt.Associations, func(a cloudmock.RouteTableAssociation) bool { return a.SubnetId == subnet })
		return returnResult{true}, nil
	})
}

type replaceRouteAssociationResult struct {
	NewAssociationId string              `xml:"newAssociationId"`
	State            xmlAssociationState `xml:"associationState"`
}

// replaceRouteTableAssociation moves an association to another table of
// the VPC: a subnet's, or the main one (the new table becomes main).
func (s *Server) replaceRouteTableAssociation(c *call) (any, error) {
	id := c.p.required("AssociationId")
	to, err := c.beginWith("RouteTableId")
	if err != nil {
		return nil, err
	}
	return c.mutate("", func(st *state) (any, error) {
		i, subnet, ok := findRouteAssociation(&st.spec, id)
		if !ok {
			return nil, notFound(codeAssociationNotFound, "association ID", id)
		}
		k, err := tableAt(&st.spec, to)
		if err != nil {
			return nil, err
		}
		from, dst := &st.spec.RouteTables[i], &st.spec.RouteTables[k]
		if from.VpcId != dst.VpcId {
			return nil, errInvalid("RouteTableId", to, "The route table is not in the VPC "+from.VpcId+".")
		}
		if subnet == "" {
			from.Main, dst.Main = false, true
		} else {
			from.Associations = slices.DeleteFunc(from.Associations, func(a cloudmock.RouteTableAssociation) bool { return a.SubnetId == subnet })
			dst.Associations = append(dst.Associations, cloudmock.RouteTableAssociation{SubnetId: subnet})
		}
		return replaceRouteAssociationResult{NewAssociationId: assocID(to, subnet), State: xmlAssociationState{"associated"}}, nil
	})
}
