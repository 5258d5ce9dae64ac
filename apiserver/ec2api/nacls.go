package ec2api

import (
	"slices"
	"strconv"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

func (s *Server) registerNetworkAcls(a map[string]actionFunc) {
	a["DescribeNetworkAcls"] = s.describeNetworkAcls
	a["CreateNetworkAclEntry"] = s.changeACLEntry(aclCreate)
	a["ReplaceNetworkAclEntry"] = s.changeACLEntry(aclReplace)
	a["DeleteNetworkAclEntry"] = s.changeACLEntry(aclDelete)
}

// defaultRuleNumber is the number of the implicit last rule of every
// network ACL (deny all), which EC2 lists as "*".
const defaultRuleNumber = 32767

type xmlACLEntry struct {
	RuleNumber    int           `xml:"ruleNumber"`
	Protocol      string        `xml:"protocol"`
	RuleAction    string        `xml:"ruleAction"`
	Egress        bool          `xml:"egress"`
	CidrBlock     string        `xml:"cidrBlock,omitempty"`
	Ipv6CidrBlock string        `xml:"ipv6CidrBlock,omitempty"`
	PortRange     *xmlACLPorts  `xml:"portRange"`
	Icmp          *xmlICMPTypes `xml:"icmpTypeCode"`
}

type xmlACLPorts struct {
	From int `xml:"from"`
	To   int `xml:"to"`
}

type xmlICMPTypes struct {
	Code int `xml:"code"`
	Type int `xml:"type"`
}

type xmlACLAssoc struct {
	AssociationId string `xml:"networkAclAssociationId"`
	NetworkAclId  string `xml:"networkAclId"`
	SubnetId      string `xml:"subnetId"`
}

type xmlACL struct {
	NetworkAclId string        `xml:"networkAclId"`
	VpcId        string        `xml:"vpcId"`
	IsDefault    bool          `xml:"default"`
	OwnerId      string        `xml:"ownerId"`
	Entries      []xmlACLEntry `xml:"entrySet>item"`
	Associations []xmlACLAssoc `xml:"associationSet>item"`
	Tags         []tag         `xml:"tagSet>item"`
}

type describeACLsResult struct {
	NetworkAcls []xmlACL `xml:"networkAclSet>item"`
	NextToken   string   `xml:"nextToken,omitempty"`
}

func toXMLACLEntry(e cloudmock.NetworkAclEntry) xmlACLEntry {
	x := xmlACLEntry{
		RuleNumber: e.RuleNumber, Protocol: protocolNumber(e.Protocol), RuleAction: e.RuleAction, Egress: e.Egress,
		CidrBlock: e.CidrBlock, Ipv6CidrBlock: e.Ipv6CidrBlock,
	}
	if e.PortRange != nil {
		x.PortRange = &xmlACLPorts{From: e.PortRange.From, To: e.PortRange.To}
	}
	if x.Protocol == "1" || x.Protocol == "58" {
		x.Icmp = &xmlICMPTypes{Code: -1, Type: -1}
	}
	return x
}

func (s *Server) toXMLACL(a *cloudmock.NetworkAcl, tags tagStore) xmlACL {
	x := xmlACL{NetworkAclId: a.NetworkAclId, VpcId: a.VpcId, IsDefault: a.IsDefault, OwnerId: s.cfg.AccountID, Tags: tags.xml(a.NetworkAclId)}
	// per direction (inbound first), by rule number, then the implicit
	// deny-all that ends each list
	for _, egress := range []bool{false, true} {
		var entries []cloudmock.NetworkAclEntry
		for _, e := range a.Entries {
			if e.Egress == egress {
				entries = append(entries, e)
			}
		}
		slices.SortStableFunc(entries, func(p, q cloudmock.NetworkAclEntry) int { return p.RuleNumber - q.RuleNumber })
		for _, e := range entries {
			x.Entries = append(x.Entries, toXMLACLEntry(e))
		}
		x.Entries = append(x.Entries, xmlACLEntry{RuleNumber: defaultRuleNumber, Protocol: "-1", RuleAction: "deny", Egress: egress, CidrBlock: "0.0.0.0/0"})
	}
	for _, as := range a.Associations {
		x.Associations = append(x.Associations, xmlACLAssoc{
			AssociationId: aclAssocID(a.NetworkAclId, as.SubnetId), NetworkAclId: a.NetworkAclId, SubnetId: as.SubnetId,
		})
	}
	return x
}

func (s *Server) aclFilters() filterFields[*cloudmock.NetworkAcl] {
	type A = *cloudmock.NetworkAcl
	entries := func(f func(e xmlACLEntry) []string) func(A) []string {
		return func(a A) []string {
			var out []string
			for _, e := range s.toXMLACL(a, nil).Entries {
				out = append(out, f(e)...)
			}
			return out
		}
	}
	assoc := func(f func(x xmlACLAssoc) []string) func(A) []string {
		return func(a A) []string {
			var out []string
			for _, x := range s.toXMLACL(a, nil).Associations {
				out = append(out, f(x)...)
			}
			return out
		}
	}
	ports := func(from bool) func(e xmlACLEntry) []string {
		return func(e xmlACLEntry) []string {
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
		"entry.cidr":                 entries(func(e xmlACLEntry) []string { return one(e.CidrBlock) }),
		"entry.ipv6-cidr":            entries(func(e xmlACLEntry) []string { return one(e.Ipv6CidrBlock) }),
		"entry.egress":               entries(func(e xmlACLEntry) []string { return tf(e.Egress) }),
		"entry.protocol":             entries(func(e xmlACLEntry) []string { return one(e.Protocol) }),
		"entry.rule-action":          entries(func(e xmlACLEntry) []string { return one(e.RuleAction) }),
		"entry.rule-number":          entries(func(e xmlACLEntry) []string { return num(e.RuleNumber) }),
		"entry.port-range.from":      entries(ports(true)),
		"entry.port-range.to":        entries(ports(false)),
		"network-acl-id":             func(a A) []string { return one(a.NetworkAclId) },
		"owner-id":                   func(A) []string { return one(s.cfg.AccountID) },
		"vpc-id":                     func(a A) []string { return one(a.VpcId) },
	}
}

func (s *Server) describeNetworkAcls(c *call) (any, error) {
	q, err := c.readDescribe("NetworkAclId")
	if err != nil {
		return nil, err
	}
	return c.read(func(spec *cloudmock.Spec, tags tagStore) (any, error) {
		items, next, err := pickByID(q, spec.NetworkAcls, nil, aclNotFound, s.aclFilters(), idOfACL, tags)
		if err != nil {
			return nil, err
		}
		out := describeACLsResult{NextToken: next}
		for _, a := range items {
			out.NetworkAcls = append(out.NetworkAcls, s.toXMLACL(a, tags))
		}
		return out, nil
	})
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
	var err error
	if e.Protocol, err = c.p.required("Protocol"); err != nil {
		return err
	}
	if e.RuleAction, err = c.p.required("RuleAction"); err != nil {
		return err
	}
	e.CidrBlock, _ = c.p.str("CidrBlock")
	e.Ipv6CidrBlock, _ = c.p.str("Ipv6CidrBlock")
	pr, err := c.portRangeFromTo("PortRange")
	if err != nil {
		return err
	}
	if p := protocolNumber(e.Protocol); p == "6" || p == "17" {
		e.PortRange = pr // EC2 ignores a port range given with another protocol (the provider sends 0-0)
	}
	for _, k := range []string{"Icmp.Type", "Icmp.Code"} {
		v, err := c.p.int(k)
		if err != nil {
			return err
		}
		if v != nil && *v != -1 {
			return errorf(codeUnsupported, "ICMP types and codes on network ACL entries are not modelled: give %s -1 (all) or leave it out.", k)
		}
	}
	return nil
}

// portRangeFromTo reads "<name>.From"/"<name>.To" (network ACL entries);
// nil when neither is given.
func (c *call) portRangeFromTo(name string) (*cloudmock.PortRange, error) {
	pr, err := c.p.intPair(name+".From", name+".To")
	if pr == nil {
		return nil, err
	}
	return &cloudmock.PortRange{From: pr[0], To: pr[1]}, nil
}

func (s *Server) changeACLEntry(op aclChange) actionFunc {
	return func(c *call) (any, error) {
		aclID, err := c.p.required("NetworkAclId")
		if err != nil {
			return nil, err
		}
		number, err := c.p.requiredInt("RuleNumber")
		if err != nil {
			return nil, err
		}
		if _, ok := c.p.str("Egress"); !ok {
			return nil, errMissing("Egress")
		}
		egress, err := c.p.bool("Egress")
		if err != nil {
			return nil, err
		}
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
