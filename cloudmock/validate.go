package cloudmock

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/mirrorlab/mirrorlab/internal/encap"

	"github.com/mirrorlab/mirrorlab/internal/codes"
)

// ValidationError is one problem of a Spec: the resource (type, id and
// index in its list), the field (a path such as
// "IngressFilterRules[1].DestinationPortRange.FromPort"), the provider's
// error code and a message.
//
// Its fields and the Code* constants are a stable interface: the EC2 API
// server answers with Code and Message, and the scenario loader maps
// Resource, ID, Index and Field back to a line of the file. Resource is the
// EC2 type name without a prefix (Vpc, Subnet, NetworkAcl, SecurityGroup,
// NetworkInterface, Instance, LoadBalancer, TrafficMirrorFilter, TrafficMirrorTarget,
// TrafficMirrorSession, or Spec for the profile); Index is the resource's
// position in its Spec list; Field uses the Spec's field names with [i]
// for list items. A quota is reported once, at the first item beyond it.
type ValidationError struct {
	Resource string
	ID       string
	Index    int
	Field    string
	Code     string
	Message  string
}

func (e *ValidationError) Error() string {
	id := e.ID
	if id == "" {
		id = fmt.Sprintf("#%d", e.Index)
	}
	return fmt.Sprintf("%s %s: %s: %s: %s", e.Resource, id, e.Field, e.Code, e.Message)
}

type validator struct {
	prof Profile
	errs []error
	r    *resolver
	// d, when validating a change (Change.Validate), is what differs from
	// the previous Spec, which is valid.
	d *specDiff
}

// filterStands says session i is known to name an existing filter
// without looking: the change left the filters and that session as they
// were in a valid Spec.
func (v *validator) filterStands(i int) bool {
	if !v.d.unchanged(listFilters) {
		return false
	}
	sp := v.d.lists[listSessions]
	return i < sp.lo || i >= sp.nextHi
}

func (v *validator) add(res, id string, idx int, field, code, format string, args ...any) {
	v.errs = append(v.errs, &ValidationError{Resource: res, ID: id, Index: idx, Field: field, Code: code, Message: fmt.Sprintf(format, args...)})
}

// Validate reports every problem of the spec at once: errors.Join of
// *ValidationError, nil when there is none.
func (s *Spec) Validate() error { return s.validate(nil) }

// validate is Validate. Given d, the difference from a valid Spec, it
// skips the checks of the lists an account holds thousands of when d
// shows their inputs unchanged (their answer on the valid Spec was
// nothing). The inputs are what each check reads, directly or through
// the resolver: keep them in step with the checks
// (TestChangeValidateAnyField fails on a missing one it can reach).
func (s *Spec) validate(d *specDiff) error {
	if err := s.nullEntry(); err != nil {
		return err // the other checks read every entry: none can run
	}
	v := &validator{r: newResolver(s), d: d}
	prof, err := LookupProfile(s.Profile)
	if err != nil {
		v.add("Spec", "", 0, "Profile", codes.InvalidParameterValue, "%v", err)
		prof = awsProfile()
	}
	v.prof = prof
	if _, err := parseRejectBehavior(s.RejectBehavior); err != nil {
		v.add("Spec", "", 0, "RejectBehavior", codes.InvalidParameterValue, "%v", err)
	}
	v.vpcs(s)
	v.subnets(s)
	v.netDefaults(s)
	v.routeTables(s)
	v.peerings(s)
	v.transitGateways(s)
	v.acls(s)
	v.groups(s)
	if !d.unchanged(listNetworkInterfaces, listSubnets, listSecurityGroups) {
		v.enis(s)
	}
	v.instances(s)
	v.loadBalancers(s)
	v.elb(s)
	if !d.unchanged(listFilters) {
		v.filters(s)
	}
	if !d.unchanged(listTargets, listNetworkInterfaces, listLoadBalancers) {
		v.targets(s)
	}
	if !d.unchanged(listSessions, listFilters, listTargets, listNetworkInterfaces) {
		v.sessions(s)
	}
	v.quotas(s)
	return errors.Join(v.errs...)
}

// nullEntry reports the first null entry of the lists of pointers (only
// a decoded JSON Spec can hold one).
func (s *Spec) nullEntry() error {
	null := func(res, list string, i int) error {
		return &ValidationError{Resource: res, Index: i, Field: fmt.Sprintf("%s[%d]", list, i),
			Code: codes.InvalidParameterValue, Message: "the entry is null, not a " + res}
	}
	if i := slices.Index(s.TrafficMirrorFilters, nil); i >= 0 {
		return null("TrafficMirrorFilter", "TrafficMirrorFilters", i)
	}
	if i := slices.Index(s.TrafficMirrorTargets, nil); i >= 0 {
		return null("TrafficMirrorTarget", "TrafficMirrorTargets", i)
	}
	if i := slices.Index(s.TrafficMirrorSessions, nil); i >= 0 {
		return null("TrafficMirrorSession", "TrafficMirrorSessions", i)
	}
	return nil
}

// unique reports an empty or repeated id.
func (v *validator) unique(res, idField, id string, idx int, seen map[string]bool) {
	switch {
	case id == "":
		v.add(res, id, idx, idField, codes.MissingParameter, "%s is required", idField)
	case seen[id]:
		v.add(res, id, idx, idField, codes.DuplicateID, "%s %q is used twice", idField, id)
	}
	seen[id] = true
}

// prefix parses a CIDR of the wanted family (4 or 6).
func (v *validator) prefix(res, id string, idx int, field, s string, family int) (netip.Prefix, bool) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		v.add(res, id, idx, field, codes.InvalidParameterValue, "%q is not a CIDR block", s)
		return p, false
	}
	if (family == 4) != p.Addr().Is4() {
		v.add(res, id, idx, field, codes.InvalidParameterValue, "%q is not an IPv%d CIDR block", s, family)
		return p, false
	}
	return p, true
}

// address checks an IPv4 address inside a subnet.
func (v *validator) address(res, id string, idx int, field, addr, subnetID string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(addr)
	if err != nil || !a.Is4() {
		v.add(res, id, idx, field, codes.InvalidParameterValue, "%q is not an IPv4 address", addr)
		return a, false
	}
	if sn := v.r.subnets[subnetID]; sn != nil {
		if p, err := netip.ParsePrefix(sn.CidrBlock); err == nil && !p.Contains(a) {
			v.add(res, id, idx, field, codes.InvalidParameterValue, "%s is not inside subnet %s's %s", addr, subnetID, sn.CidrBlock)
		}
	}
	return a, true
}

func (v *validator) enis(s *Spec) {
	seen := map[string]bool{}
	ips := map[netip.Addr]string{}
	types := map[string]string{} // instance id -> instance type
	for i, e := range s.NetworkInterfaces {
		const res = "NetworkInterface"
		id := e.NetworkInterfaceId
		v.unique(res, "NetworkInterfaceId", id, i, seen)
		if v.r.subnets[e.SubnetId] == nil {
			v.add(res, id, i, "SubnetId", codes.SubnetNotFound, "subnet %q does not exist", e.SubnetId)
		}
		if a, ok := v.address(res, id, i, "PrivateIpAddress", e.PrivateIpAddress, e.SubnetId); ok {
			if other, dup := ips[a]; dup {
				v.add(res, id, i, "PrivateIpAddress", codes.IPAddressInUse, "%s is already the address of %s", a, other)
			}
			ips[a] = id
		}
		v.eniIPv6(e, i, ips)
		v.instanceType(e, i, types)
		if e.Mtu != 0 && (e.Mtu < 576 || e.Mtu > DefaultMTU) {
			v.add(res, id, i, "Mtu", codes.InvalidParameterValue, "MTU %d is out of range 576-%d", e.Mtu, DefaultMTU)
		}
		for j, g := range e.Groups {
			if v.r.groups[g] == nil {
				v.add(res, id, i, fmt.Sprintf("Groups[%d]", j), codes.GroupNotFound, "security group %q does not exist", g)
			}
		}
	}
}

// eniIPv6 checks an ENI's IPv6 address: an IPv6 address inside its subnet's
// Ipv6CidrBlock, not used twice. The VPC may be dual-stack under either
// profile (Alibaba's VPCs have IPv6 too; only its mirroring has none), but a
// primary IPv6 address, which decides the copies' outer family, needs a
// profile that mirrors IPv6.
func (v *validator) eniIPv6(e NetworkInterface, i int, ips map[netip.Addr]string) {
	const res = "NetworkInterface"
	id := e.NetworkInterfaceId
	if e.Ipv6Address == "" {
		if e.EnablePrimaryIpv6 {
			v.add(res, id, i, "EnablePrimaryIpv6", codes.InvalidParameterCombination, "a primary IPv6 address needs an Ipv6Address")
		}
		return
	}
	a, err := netip.ParseAddr(e.Ipv6Address)
	if err != nil || !a.Is6() || a.Is4In6() {
		v.add(res, id, i, "Ipv6Address", codes.InvalidParameterValue, "%q is not an IPv6 address", e.Ipv6Address)
		return
	}
	if sn := v.r.subnets[e.SubnetId]; sn != nil {
		p, err := netip.ParsePrefix(sn.Ipv6CidrBlock)
		switch {
		case sn.Ipv6CidrBlock == "":
			v.add(res, id, i, "Ipv6Address", codes.InvalidParameterValue, "subnet %s has no Ipv6CidrBlock for %s", e.SubnetId, a)
		case err == nil && !p.Contains(a):
			v.add(res, id, i, "Ipv6Address", codes.InvalidParameterValue, "%s is not inside subnet %s's %s", a, e.SubnetId, sn.Ipv6CidrBlock)
		}
	}
	if other, dup := ips[a]; dup {
		v.add(res, id, i, "Ipv6Address", codes.IPAddressInUse, "%s is already the address of %s", a, other)
	}
	ips[a] = id
	if e.EnablePrimaryIpv6 && !v.prof.IPv6 {
		v.add(res, id, i, "EnablePrimaryIpv6", codes.Unsupported, "profile %s does not mirror IPv6", v.prof.Name)
	}
}

func (v *validator) loadBalancers(s *Spec) {
	seen := map[string]bool{}
	for i, l := range s.LoadBalancers {
		const res = "LoadBalancer"
		id := l.LoadBalancerArn
		v.unique(res, "LoadBalancerArn", id, i, seen)
		switch l.Type {
		case "network":
		case "gateway": // without VpcEndpointId: a gateway load balancer behind endpoints (GatewayLoadBalancerArn)
			if v.prof.Name == "alibaba" {
				v.add(res, id, i, "Type", codes.Unsupported, "profile alibaba has no gateway load balancer targets")
			}
		default:
			v.add(res, id, i, "Type", codes.InvalidParameterValue, "type %q is not network or gateway", l.Type)
		}
		if v.r.subnets[l.SubnetId] == nil {
			v.add(res, id, i, "SubnetId", codes.SubnetNotFound, "subnet %q does not exist", l.SubnetId)
		}
		v.address(res, id, i, "PrivateIpAddress", l.PrivateIpAddress, l.SubnetId)
		v.loadBalancerIPv6(l, i)
		for j, li := range l.Listeners {
			if li.Port < 1 || li.Port > 65535 {
				v.add(res, id, i, fmt.Sprintf("Listeners[%d].Port", j), codes.InvalidParameterValue, "port %d is out of range 1-65535", li.Port)
			}
			switch strings.ToUpper(li.Protocol) {
			case "UDP", "TCP", "TCP_UDP", "TLS":
			default:
				v.add(res, id, i, fmt.Sprintf("Listeners[%d].Protocol", j), codes.InvalidParameterValue, "protocol %q is not UDP, TCP, TCP_UDP or TLS", li.Protocol)
			}
		}
		for j, t := range l.Targets {
			if v.r.enis[t.NetworkInterfaceId] == nil {
				v.add(res, id, i, fmt.Sprintf("Targets[%d].NetworkInterfaceId", j), codes.NetworkInterfaceNotFound, "network interface %q does not exist", t.NetworkInterfaceId)
			}
		}
	}
}

func (v *validator) filters(s *Spec) {
	seen := map[string]bool{}
	for i := range s.TrafficMirrorFilters {
		f := s.TrafficMirrorFilters[i]
		v.unique("TrafficMirrorFilter", "TrafficMirrorFilterId", f.TrafficMirrorFilterId, i, seen)
		v.filter(i, f)
	}
}

// filter checks filter i alone (its id's uniqueness and its references
// aside): its network services, its rules and their limits.
func (v *validator) filter(i int, f *TrafficMirrorFilter) {
	const res = "TrafficMirrorFilter"
	id := f.TrafficMirrorFilterId
	for j, ns := range f.NetworkServices {
		if ns != NetworkServiceAmazonDNS {
			v.add(res, id, i, fmt.Sprintf("NetworkServices[%d]", j), codes.InvalidParameterValue, "network service %q is not %s", ns, NetworkServiceAmazonDNS)
		}
	}
	lists := [2][]TrafficMirrorFilterRule{f.IngressFilterRules, f.EgressFilterRules}
	names := [2]string{"IngressFilterRules", "EgressFilterRules"}
	total := len(lists[0]) + len(lists[1])
	if v.prof.RulesPerFilter > 0 && total > v.prof.RulesPerFilter {
		v.add(res, id, i, "IngressFilterRules", codes.FilterRuleLimitExceeded, "%d rules, profile %s allows %d per filter", total, v.prof.Name, v.prof.RulesPerFilter)
	}
	for d, rules := range lists {
		if v.prof.RulesPerDirection > 0 && len(rules) > v.prof.RulesPerDirection {
			v.add(res, id, i, names[d], codes.FilterRuleLimitExceeded, "%d rules, profile %s allows %d per direction", len(rules), v.prof.Name, v.prof.RulesPerDirection)
		}
		nums := map[int]bool{}
		for j, r := range rules {
			fp := fmt.Sprintf("%s[%d]", names[d], j)
			if nums[r.RuleNumber] {
				v.add(res, id, i, fp+".RuleNumber", codes.FilterRuleExists, "rule number %d is used twice in %s", r.RuleNumber, names[d])
			}
			nums[r.RuleNumber] = true
			v.filterRule(id, i, fp, r)
		}
	}
}

func (v *validator) filterRule(id string, idx int, f string, r TrafficMirrorFilterRule) {
	const res = "TrafficMirrorFilter"
	if r.RuleNumber < 1 || r.RuleNumber > 32766 {
		v.add(res, id, idx, f+".RuleNumber", codes.InvalidParameterValue, "rule number %d is out of range 1-32766", r.RuleNumber)
	}
	if r.RuleAction != "accept" && r.RuleAction != "reject" {
		v.add(res, id, idx, f+".RuleAction", codes.InvalidParameterValue, "rule action %q is not accept or reject", r.RuleAction)
	}
	if r.Protocol < 0 || r.Protocol > 255 {
		v.add(res, id, idx, f+".Protocol", codes.InvalidParameterValue, "protocol %d is out of range 0-255", r.Protocol)
	}
	var fam [2]int
	for k, c := range [2]string{r.SourceCidrBlock, r.DestinationCidrBlock} {
		field := f + [2]string{".SourceCidrBlock", ".DestinationCidrBlock"}[k]
		if c == "" {
			v.add(res, id, idx, field, codes.MissingParameter, "a CIDR block is required (0.0.0.0/0 for any)")
			continue
		}
		p, err := netip.ParsePrefix(c)
		if err != nil {
			v.add(res, id, idx, field, codes.InvalidParameterValue, "%q is not a CIDR block", c)
			continue
		}
		fam[k] = 4
		if p.Addr().Is6() {
			fam[k] = 6
			if !v.prof.IPv6 && (k == 0 || fam[0] != 6) {
				v.add(res, id, idx, field, codes.Unsupported, "profile %s does not support IPv6", v.prof.Name)
			}
		}
	}
	if fam[0] != 0 && fam[1] != 0 && fam[0] != fam[1] {
		v.add(res, id, idx, f+".DestinationCidrBlock", codes.InvalidParameterValue, "source %s and destination %s are of different address families", r.SourceCidrBlock, r.DestinationCidrBlock)
	}
	for k, p := range [2]*TrafficMirrorPortRange{r.SourcePortRange, r.DestinationPortRange} {
		if p == nil {
			continue
		}
		field := f + [2]string{".SourcePortRange", ".DestinationPortRange"}[k]
		if r.Protocol != encap.ProtoTCP && r.Protocol != encap.ProtoUDP {
			v.add(res, id, idx, field, codes.InvalidParameterCombination, "port ranges need protocol 6 (TCP) or 17 (UDP), not %d", r.Protocol)
		}
		if p.FromPort < 0 || p.FromPort > 65535 {
			v.add(res, id, idx, field+".FromPort", codes.InvalidParameterValue, "port %d is out of range 0-65535", p.FromPort)
		}
		if p.ToPort < 0 || p.ToPort > 65535 {
			v.add(res, id, idx, field+".ToPort", codes.InvalidParameterValue, "port %d is out of range 0-65535", p.ToPort)
		}
		if p.FromPort > p.ToPort {
			v.add(res, id, idx, field, codes.InvalidParameterValue, "port range %d-%d has FromPort > ToPort", p.FromPort, p.ToPort)
		}
	}
}

func (v *validator) targets(s *Spec) {
	seen := map[string]bool{}
	for i := range s.TrafficMirrorTargets {
		t := s.TrafficMirrorTargets[i]
		v.unique("TrafficMirrorTarget", "TrafficMirrorTargetId", t.TrafficMirrorTargetId, i, seen)
		v.target(i, t)
	}
}

// target checks target i alone (its id's uniqueness aside): one
// destination, and that it exists.
func (v *validator) target(i int, t *TrafficMirrorTarget) {
	const res = "TrafficMirrorTarget"
	id := t.TrafficMirrorTargetId
	n := 0
	for _, x := range [3]string{t.NetworkInterfaceId, t.NetworkLoadBalancerArn, t.GatewayLoadBalancerEndpointId} {
		if x != "" {
			n++
		}
	}
	switch {
	case n == 0:
		v.add(res, id, i, "NetworkInterfaceId", codes.MissingParameter, "one of NetworkInterfaceId, NetworkLoadBalancerArn, GatewayLoadBalancerEndpointId is required")
	case n > 1:
		v.add(res, id, i, "NetworkInterfaceId", codes.InvalidParameterCombination, "give only one of NetworkInterfaceId, NetworkLoadBalancerArn, GatewayLoadBalancerEndpointId")
	case t.NetworkInterfaceId != "":
		if v.r.enis[t.NetworkInterfaceId] == nil {
			v.add(res, id, i, "NetworkInterfaceId", codes.NetworkInterfaceNotFound, "network interface %q does not exist", t.NetworkInterfaceId)
		}
	case t.NetworkLoadBalancerArn != "":
		if lb := v.r.lbs[t.NetworkLoadBalancerArn]; lb == nil || lb.Type == "gateway" {
			v.add(res, id, i, "NetworkLoadBalancerArn", codes.LoadBalancerNotFound, "network load balancer %q does not exist", t.NetworkLoadBalancerArn)
		}
	default:
		if v.r.endpoints[t.GatewayLoadBalancerEndpointId] == nil {
			v.add(res, id, i, "GatewayLoadBalancerEndpointId", codes.LoadBalancerNotFound, "gateway load balancer endpoint %q does not exist", t.GatewayLoadBalancerEndpointId)
		}
	}
}

// resSession names sessions in problems.
const resSession = "TrafficMirrorSession"

func (v *validator) sessions(s *Spec) {
	seen := map[string]bool{}
	tally := newSessionTally(s)
	for i, x := range s.TrafficMirrorSessions {
		id := x.TrafficMirrorSessionId
		v.unique(resSession, "TrafficMirrorSessionId", id, i, seen)
		v.sessionSources(x, i, tally)
		if !v.filterStands(i) && v.r.filter(x.TrafficMirrorFilterId) == nil {
			v.add(resSession, id, i, "TrafficMirrorFilterId", codes.FilterNotFound, "filter %q does not exist", x.TrafficMirrorFilterId)
		}
		isLB := v.sessionTarget(x, i, tally)
		v.sessionValues(x, i, isLB, tally)
	}
}

// sessionTally is what the checks of one session need to know of those
// before it, and the ENIs that are targets.
type sessionTally struct {
	perSource  map[string][]int // session numbers per source ENI
	perTarget  map[string]int
	byNumber   map[int]string    // session number -> first session, under UniqueSessionNumbers
	targetENIs map[string]string // ENI -> its target
}

func newSessionTally(s *Spec) *sessionTally {
	t := &sessionTally{perSource: map[string][]int{}, perTarget: map[string]int{}, byNumber: map[int]string{}, targetENIs: map[string]string{}}
	for _, tg := range s.TrafficMirrorTargets {
		if tg.NetworkInterfaceId != "" {
			t.targetENIs[tg.NetworkInterfaceId] = tg.TrafficMirrorTargetId
		}
	}
	return t
}

// sessionSources checks session i's source ENIs: that they exist, are no
// target, and stay within the profile's limits.
func (v *validator) sessionSources(x *TrafficMirrorSession, i int, tally *sessionTally) {
	id := x.TrafficMirrorSessionId
	if x.NetworkInterfaceId == "" {
		v.add(resSession, id, i, "NetworkInterfaceId", codes.MissingParameter, "the source NetworkInterfaceId is required")
	}
	if n := len(sessionSources(x)); n > v.prof.SourcesPerSession {
		v.add(resSession, id, i, "TrafficMirrorSourceIds", codes.SourceLimitExceeded, "%d sources, profile %s allows %d per session", n, v.prof.Name, v.prof.SourcesPerSession)
	}
	for j, src := range sessionSources(x) {
		field := "NetworkInterfaceId"
		if j > 0 || x.NetworkInterfaceId == "" {
			field = fmt.Sprintf("TrafficMirrorSourceIds[%d]", slices.Index(x.TrafficMirrorSourceIds, src))
		}
		if v.r.enis[src] == nil {
			v.add(resSession, id, i, field, codes.NetworkInterfaceNotFound, "network interface %q does not exist", src)
			continue
		}
		if ok, why := MirrorSourceSupported(v.r.enis[src].InstanceType); !ok && v.prof.Name == "aws" {
			v.add(resSession, id, i, field, codes.SourceInstanceType, "network interface %q cannot be a mirror source: %s", src, why)
		}
		if t, ok := tally.targetENIs[src]; ok {
			v.add(resSession, id, i, field, codes.InvalidParameterValue, "network interface %q is the ENI of target %s: an ENI cannot be both source and target", src, t)
		}
		if slices.Contains(tally.perSource[src], x.SessionNumber) {
			v.add(resSession, id, i, "SessionNumber", codes.InvalidParameterValue, "session number %d is already used on source %s", x.SessionNumber, src)
		}
		tally.perSource[src] = append(tally.perSource[src], x.SessionNumber)
		if n := len(tally.perSource[src]); n == v.prof.SessionsPerSource+1 {
			v.add(resSession, id, i, field, codes.SessionLimitExceeded, "source %s has more than %d sessions (profile %s)", src, v.prof.SessionsPerSource, v.prof.Name)
		}
	}
}

// sessionTarget checks session i's target and its sessions per target;
// it reports whether the target is a load balancer.
func (v *validator) sessionTarget(x *TrafficMirrorSession, i int, tally *sessionTally) (isLB bool) {
	id := x.TrafficMirrorSessionId
	tg := v.r.targets[x.TrafficMirrorTargetId]
	if tg == nil {
		v.add(resSession, id, i, "TrafficMirrorTargetId", codes.TargetNotFound, "target %q does not exist", x.TrafficMirrorTargetId)
	}
	isLB = tg != nil && tg.NetworkInterfaceId == ""
	if tg != nil {
		tally.perTarget[tg.TrafficMirrorTargetId]++
		limit := v.prof.SessionsPerENITarget
		if isLB {
			limit = v.prof.SessionsPerLBTarget
		}
		if limit > 0 && tally.perTarget[tg.TrafficMirrorTargetId] == limit+1 {
			v.add(resSession, id, i, "TrafficMirrorTargetId", codes.SessionLimitExceeded, "target %s has more than %d sessions (profile %s)", tg.TrafficMirrorTargetId, limit, v.prof.Name)
		}
	}
	return isLB
}

// sessionValues checks session i's number, VNI and packet length.
func (v *validator) sessionValues(x *TrafficMirrorSession, i int, isLB bool, tally *sessionTally) {
	id := x.TrafficMirrorSessionId
	if first, dup := tally.byNumber[x.SessionNumber]; dup && v.prof.UniqueSessionNumbers {
		v.add(resSession, id, i, "SessionNumber", codes.InvalidParameterValue, "session number %d is already used by session %s (profile %s: one session per number in the account)", x.SessionNumber, first, v.prof.Name)
	} else if !dup {
		tally.byNumber[x.SessionNumber] = id
	}
	if x.SessionNumber < 1 || x.SessionNumber > 32766 {
		v.add(resSession, id, i, "SessionNumber", codes.InvalidParameterValue, "session number %d is out of range 1-32766", x.SessionNumber)
	}
	if x.VirtualNetworkId != nil && (*x.VirtualNetworkId < 0 || *x.VirtualNetworkId > 1<<24-1) {
		v.add(resSession, id, i, "VirtualNetworkId", codes.InvalidParameterValue, "VNI %d is out of range 0-16777215", *x.VirtualNetworkId)
	}
	if x.PacketLength != nil {
		pl, maxPL := *x.PacketLength, v.prof.MaxPacketLength
		if isLB {
			maxPL = v.prof.MaxPacketLengthLB
		}
		if pl < 1 || pl > maxPL {
			v.add(resSession, id, i, "PacketLength", codes.InvalidParameterValue, "packet length %d is out of range 1-%d%s", pl, maxPL, map[bool]string{true: " (load balancer target)"}[isLB])
		}
	}
}
