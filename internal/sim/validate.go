package sim

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/mirrorlab/mirrorlab/internal/subnetaddr"
)

// Limits of a topology. Interface and namespace names carry the run id, so
// the counts are bounded to keep every kernel name within 15 bytes.
const (
	MinMTU           = 576  // smallest ENI MTU accepted (IPv4 minimum reassembly size)
	MaxMTU           = 9001 // largest ENI MTU accepted (the VPC jumbo-frame MTU)
	MinPrefixLen     = 16   // largest VPC or subnet: a /16, as in AWS
	MaxPrefixLen     = 28   // smallest VPC or subnet: a /28, as in AWS
	MaxSubnetsPerVPC = 999  // bridges are named ml<id>-b<n>
	MaxENIsPerVPC    = 9999 // fabric ports are named ml<id>-p<n>
	maxNameLen       = 48   // VPC and instance names (used in namespace names)
	maxIfNameLen     = 15   // IFNAMSIZ - 1
)

// ValidationError is one problem in a Topology. Field is the path of the
// offending field, e.g. "Instances[2].ENIs[0].IP"; Message says what is wrong
// and names the resources involved.
type ValidationError struct {
	Field   string
	Message string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Message }

type validator struct{ errs []error }

func (v *validator) add(field, format string, args ...any) {
	v.errs = append(v.errs, &ValidationError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// name checks the name of item i of the list at list (item's field f): err
// is its syntax check's verdict, seen the names of the items before it,
// what the kind of thing it names.
func (v *validator) name(f, list, what, name string, err error, seen map[string]int, i int) {
	if err != nil {
		v.add(f+".Name", "%v", err)
	} else if j, dup := seen[name]; dup {
		v.add(f+".Name", "%s name %q already used by %s[%d]", what, name, list, j)
	} else {
		seen[name] = i
	}
}

// Validate reports every problem of the topology at once, joined; each is a
// *ValidationError naming its field. It checks names (unique, usable in
// namespace and interface names), CIDRs (IPv4, canonical, /16 to /28,
// subnets inside their VPC and not overlapping), ENIs (known subnet of the
// instance's VPC, address inside the subnet, not reserved, unique in the
// VPC, MTU in range).
func (t Topology) Validate() error {
	var v validator
	if len(t.VPCs) == 0 {
		v.add("VPCs", "at least one VPC is required")
	}
	vpcs := map[string]int{}
	for i := range t.VPCs {
		t.validateVPC(&v, i, vpcs)
	}
	insts := map[string]int{}
	ips := map[string]map[netip.Addr]string{} // vpc -> ip -> field that holds it
	for i := range t.Instances {
		t.validateInstance(&v, i, insts, ips)
	}
	t.validatePeerings(&v)
	t.validateTransitGateways(&v)
	perVPC := map[string]int{}
	for _, in := range t.Instances {
		perVPC[in.VPC] += len(in.ENIs)
	}
	for _, vpc := range t.VPCs {
		if perVPC[vpc.Name] > MaxENIsPerVPC {
			v.add("Instances", "VPC %s has %d ENIs, at most %d", vpc.Name, perVPC[vpc.Name], MaxENIsPerVPC)
		}
	}
	return errors.Join(v.errs...)
}

func (t Topology) validateVPC(v *validator, i int, seen map[string]int) {
	vpc := &t.VPCs[i]
	f := fmt.Sprintf("VPCs[%d]", i)
	v.name(f, "VPCs", "VPC", vpc.Name, checkName(vpc.Name), seen, i)
	vpcOK := checkPrefix(v, f+".CIDR", vpc.CIDR)
	vpc6OK := vpc.IPv6CIDR.IsValid() && checkPrefix6(v, f+".IPv6CIDR", vpc.IPv6CIDR, 44, 56)
	if len(vpc.Subnets) > MaxSubnetsPerVPC {
		v.add(f+".Subnets", "%d subnets, at most %d per VPC", len(vpc.Subnets), MaxSubnetsPerVPC)
	}
	names := map[string]int{}
	for j := range vpc.Subnets {
		s := &vpc.Subnets[j]
		sf := fmt.Sprintf("%s.Subnets[%d]", f, j)
		v.name(sf, f+".Subnets", "subnet", s.Name, checkName(s.Name), names, j)
		t.validateSubnet6(v, vpc, j, sf, vpc6OK)
		if !checkPrefix(v, sf+".CIDR", s.CIDR) {
			continue
		}
		if vpcOK && (s.CIDR.Bits() < vpc.CIDR.Bits() || !vpc.CIDR.Contains(s.CIDR.Addr())) {
			v.add(sf+".CIDR", "subnet %s (%s) is not inside VPC %s (%s)", s.Name, s.CIDR, vpc.Name, vpc.CIDR)
		}
		for k := 0; k < j; k++ {
			o := vpc.Subnets[k].CIDR
			if o.IsValid() && o.Addr().Is4() && o.Overlaps(s.CIDR) {
				v.add(sf+".CIDR", "subnet %s (%s) overlaps %s.Subnets[%d] %s (%s)",
					s.Name, s.CIDR, f, k, vpc.Subnets[k].Name, o)
			}
		}
	}
}

func checkPrefix(v *validator, field string, p netip.Prefix) bool {
	switch {
	case !p.IsValid():
		v.add(field, "a CIDR is required, e.g. 10.0.0.0/24")
	case !p.Addr().Is4():
		v.add(field, "%s is not an IPv4 CIDR", p)
	default:
		return checkBits(v, field, p, MinPrefixLen, MaxPrefixLen)
	}
	return false
}

// checkBits accepts a canonical prefix (no host bits) of minBits..maxBits.
func checkBits(v *validator, field string, p netip.Prefix, minBits, maxBits int) bool {
	switch {
	case p.Bits() < minBits || p.Bits() > maxBits:
		v.add(field, "%s: prefix length must be between /%d and /%d", p, minBits, maxBits)
	case p.Masked() != p:
		v.add(field, "%s has host bits set; did you mean %s?", p, p.Masked())
	default:
		return true
	}
	return false
}

func (t Topology) validateInstance(v *validator, i int, seen map[string]int, ips map[string]map[netip.Addr]string) {
	in := &t.Instances[i]
	f := fmt.Sprintf("Instances[%d]", i)
	v.name(f, "Instances", "instance", in.Name, checkName(in.Name), seen, i)
	vpc := t.vpc(in.VPC)
	if vpc == nil {
		v.add(f+".VPC", "instance %s: no VPC named %q", in.Name, in.VPC)
	}
	if len(in.ENIs) == 0 {
		v.add(f+".ENIs", "instance %s has no ENI; at least one is required", in.Name)
	}
	ifnames := map[string]int{}
	for j := range in.ENIs {
		e := &in.ENIs[j]
		ef := fmt.Sprintf("%s.ENIs[%d]", f, j)
		v.name(ef, f+".ENIs", "interface", e.Name, checkIfName(e.Name), ifnames, j)
		if e.MTU != 0 && (e.MTU < MinMTU || e.MTU > MaxMTU) {
			v.add(ef+".MTU", "MTU %d out of range %d..%d (0 means %d)", e.MTU, MinMTU, MaxMTU, DefaultMTU)
		}
		if vpc == nil {
			continue
		}
		s := vpc.subnet(e.Subnet)
		if s == nil {
			v.add(ef+".Subnet", "instance %s: VPC %s has no subnet named %q", in.Name, vpc.Name, e.Subnet)
			continue
		}
		validateENI6(v, e, s, vpc.Name, ef, ips)
		if !e.IP.IsValid() {
			continue
		}
		if !e.IP.Is4() {
			v.add(ef+".IP", "%s is not an IPv4 address", e.IP)
			continue
		}
		if !s.CIDR.IsValid() || !s.CIDR.Contains(e.IP) {
			v.add(ef+".IP", "%s is not in subnet %s (%s)", e.IP, s.Name, s.CIDR)
			continue
		}
		if subnetaddr.Reserved(s.CIDR, e.IP) {
			v.add(ef+".IP", "%s is reserved in subnet %s (%s): the first four addresses and the last are not assignable",
				e.IP, s.Name, s.CIDR)
			continue
		}
		if ips[vpc.Name] == nil {
			ips[vpc.Name] = map[netip.Addr]string{}
		}
		if other, dup := ips[vpc.Name][e.IP]; dup {
			v.add(ef+".IP", "%s already assigned to %s in VPC %s", e.IP, other, vpc.Name)
			continue
		}
		ips[vpc.Name][e.IP] = ef
	}
}

// checkName accepts names made of letters, digits, '-' and '_', as used in
// namespace names.
func checkName(s string) error {
	if s == "" {
		return errors.New("a name is required")
	}
	if len(s) > maxNameLen {
		return fmt.Errorf("name %q is longer than %d bytes", s, maxNameLen)
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return fmt.Errorf("name %q: only letters, digits, '-' and '_' are allowed", s)
		}
	}
	return nil
}

// checkIfName accepts what the kernel accepts as an interface name (at most
// 15 bytes, no '/', ':' or white space, not "." or ".."), except "lo".
func checkIfName(s string) error {
	switch {
	case s == "":
		return errors.New("an interface name is required, e.g. eth0")
	case len(s) > maxIfNameLen:
		return fmt.Errorf("interface name %q is longer than %d bytes", s, maxIfNameLen)
	case s == "." || s == ".." || s == "lo":
		return fmt.Errorf("interface name %q is reserved", s)
	case strings.ContainsAny(s, "/: \t\n\r\v\f"):
		return fmt.Errorf("interface name %q contains '/', ':' or white space", s)
	}
	return nil
}
