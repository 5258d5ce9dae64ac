package ec2api

import (
	"slices"
	"strconv"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// defaultRuleNumber is the number of the implicit last rule of every
// network ACL (deny all), which EC2 lists as "*".
const defaultRuleNumber = 32767

type xmlICMPTypes struct {
	Code int `xml:"code"`
	Type int `xml:"type"`
}

type xmlACLAssoc struct {
	AssociationId string `xml:"networkAclAssociationId"`
	NetworkAclId  string `xml:"networkAclId"`
	SubnetId      string `xml:"subnetId"`
}

// aclEntries are an ACL's entries as EC2 lists them: per direction
// (inbound first), by rule number, then the implicit deny-all that ends
// each list; protocols as numbers.
func aclEntries(a *cloudmock.NetworkAcl) []cloudmock.NetworkAclEntry {
	var out []cloudmock.NetworkAclEntry
	for _, egress := range []bool{false, true} {
		var entries []cloudmock.NetworkAclEntry
		for _, e := range a.Entries {
			if e.Egress == egress {
				e.Protocol = protocolNumber(e.Protocol)
				entries = append(entries, e)
			}
		}
		slices.SortStableFunc(entries, func(p, q cloudmock.NetworkAclEntry) int { return p.RuleNumber - q.RuleNumber })
		out = append(append(out, entries...),
			cloudmock.NetworkAclEntry{RuleNumber: defaultRuleNumber, Protocol: "-1", RuleAction: "deny", Egress: egress, CidrBlock: "0.0.0.0/0"})
	}
	return out
}

// aclAssocs are an ACL's associations with their ids.
func aclAssocs(a *cloudmock.NetworkAcl) []xmlACLAssoc {
	var out []xmlACLAssoc
	for _, as := range a.Associations {
		out = append(out, xmlACLAssoc{AssociationId: aclAssocID(a.NetworkAclId, as.SubnetId), NetworkAclId: a.NetworkAclId, SubnetId: as.SubnetId})
	}
	return out
}

func (s *Server) toXMLACL(a *cloudmock.NetworkAcl, tags tagStore) xres {
	var entries []xres
	for _, e := range aclEntries(a) {
		x := res(e)
		if e.Protocol == "1" || e.Protocol == "58" {
			x = x.with(xel{"icmpTypeCode", xmlICMPTypes{Code: -1, Type: -1}})
		}
		entries = append(entries, x)
	}
	return res(a).set("Entries", entries).set("Associations", aclAssocs(a)).with(xel{"ownerId", s.cfg.AccountID}, tagSet(tags, a.NetworkAclId))
}

func (s *Server) aclFilters() filterFields[*cloudmock.NetworkAcl] {
	type A = *cloudmock.NetworkAcl
	entries := func(f func(e cloudmock.NetworkAclEntry) []string) func(A) []string {
		return func(a A) []string {
			var out []string
			for _, e := range aclEntries(a) {
				out = append(out, f(e)...)
			}
			return out
		}
	}
	assoc := func(f func(x xmlACLAssoc) []string) func(A) []string {
		return func(a A) []string {
			var out []string
			for _, x := range aclAssocs(a) {
				out = append(out, f(x)...)
			}
			return out
		}
	}
	ports := func(from bool) func(e cloudmock.NetworkAclEntry) []string {
		return func(e cloudmock.NetworkAclEntry) []string {
			switch {
			case e.PortRange == nil:
				return nil
			case from:
				return num(e.PortRange.From)
			}
			return num(e.PortRange.To)
		}
	}
	return filterFields[A]{
		"association.association-id": assoc(func(x xmlACLAssoc) []string { return one(x.AssociationId) }),
		"association.network-acl-id": assoc(func(x xmlACLAssoc) []string { return one(x.NetworkAclId) }),
		"association.subnet-id":      assoc(func(x xmlACLAssoc) []string { return one(x.SubnetId) }),
		"default":                    func(a A) []string { return tf(a.IsDefault) },
		"entry.cidr":                 entries(func(e cloudmock.NetworkAclEntry) []string { return one(e.CidrBlock) }),
		"entry.ipv6-cidr":            entries(func(e cloudmock.NetworkAclEntry) []string { return one(e.Ipv6CidrBlock) }),
		"entry.egress":               entries(func(e cloudmock.NetworkAclEntry) []string { return tf(e.Egress) }),
		"entry.protocol":             entries(func(e cloudmock.NetworkAclEntry) []string { return one(e.Protocol) }),
		"entry.rule-action":          entries(func(e cloudmock.NetworkAclEntry) []string { return one(e.RuleAction) }),
		"entry.rule-number":          entries(func(e cloudmock.NetworkAclEntry) []string { return num(e.RuleNumber) }),
		"entry.port-range.from":      entries(ports(true)),
		"entry.port-range.to":        entries(ports(false)),
		"network-acl-id":             func(a A) []string { return one(a.NetworkAclId) },
		"owner-id":                   func(A) []string { return one(s.cfg.AccountID) },
		"vpc-id":                     func(a A) []string { return one(a.VpcId) },
	}
}

func (s *Server) describeNetworkAcls(c *call) (any, error) {
	return describeByID(c, "NetworkAclId", "networkAclSet", aclNotFound, idOfACL,
		func(spec *cloudmock.Spec) ([]cloudmock.NetworkAcl, filterFields[*cloudmock.NetworkAcl]) {
			return spec.NetworkAcls, s.aclFilters()
		},
		func(_ *cloudmock.Spec, a *cloudmock.NetworkAcl, tags tagStore) xres { return s.toXMLACL(a, tags) })
}

type aclChange int

const (
	aclCreate aclChange = iota
	aclReplace
	aclDelete
)

// emptyResult is the answer of actions that return only "return true".
type emptyResult struct {
	Return bool `xml:"return"`
}

// readACLEntry reads the entry of Create/ReplaceNetworkAclEntry. ICMP
// types and codes are not modelled: only -1 (all) is taken.
func (c *call) readACLEntry(e *cloudmock.NetworkAclEntry) error {
	e.Protocol = c.p.required("Protocol")
	e.RuleAction = c.p.required("RuleAction")
	e.CidrBlock, _ = c.p.str("CidrBlock")
	e.Ipv6CidrBlock, _ = c.p.str("Ipv6CidrBlock")
	pr := c.portRangeFromTo("PortRange")
	if !c.p.ok() {
		return c.p.Err()
	}
	if p := protocolNumber(e.Protocol); p == "6" || p == "17" {
		e.PortRange = pr // EC2 ignores a port range given with another protocol (the provider sends 0-0)
	}
	for _, k := range []string{"Icmp.Type", "Icmp.Code"} {
		if v := c.p.int(k); v != nil && *v != -1 {
			return errorf(codeUnsupported, "ICMP types and codes on network ACL entries are not modelled: give %s -1 (all) or leave it out.", k)
		}
	}
	return c.p.Err()
}

// portRangeFromTo reads "<name>.From"/"<name>.To" (network ACL entries);
// nil when neither is given.
func (c *call) portRangeFromTo(name string) *cloudmock.PortRange {
	if pr := c.p.intPair(name+".From", name+".To"); pr != nil {
		return &cloudmock.PortRange{From: pr[0], To: pr[1]}
	}
	return nil
}

func (s *Server) changeACLEntry(op aclChange) actionFunc {
	return func(c *call) (any, error) {
		aclID := c.p.required("NetworkAclId")
		number := c.p.requiredInt("RuleNumber")
		if _, ok := c.p.str("Egress"); !ok && c.p.ok() {
			return nil, errMissing("Egress")
		}
		egress := c.p.bool("Egress")
		e := cloudmock.NetworkAclEntry{RuleNumber: number, Egress: egress}
		if op != aclDelete {
			if err := c.readACLEntry(&e); err != nil {
				return nil, err
			}
		}
		if err := c.begin(); err != nil {
			return nil, err
		}
		var at int
		res, err := c.mutate("", func(st *state) (any, error) {
			i := findACL(&st.spec, aclID)
			if i < 0 {
				return nil, notFound(codeACLNotFound, "network ACL", aclID)
			}
			a := &st.spec.NetworkAcls[i]
			j := slices.IndexFunc(a.Entries, func(x cloudmock.NetworkAclEntry) bool { return x.RuleNumber == number && x.Egress == egress })
			dir := map[bool]string{false: "ingress", true: "egress"}[egress]
			switch {
			case op == aclCreate:
				// a second entry with this number and direction is the
				// model's NetworkAclEntryAlreadyExists
				a.Entries = append(a.Entries, e)
				at = len(a.Entries) - 1
			case j < 0:
				return nil, errorf(codeACLEntryNotFound, "The network ACL entry identified by %d (%s) does not exist in %s.", number, dir, aclID)
			case op == aclReplace:
				a.Entries[j], at = e, j
			default:
				a.Entries = slices.Delete(a.Entries, j, j+1)
			}
			return emptyResult{Return: true}, nil
		})
		return res, renamedParam(err, "Entries["+strconv.Itoa(at)+"].", "")
	}
}
