package ec2api

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// AssignIDs renames every resource id of a scenario's spec (which uses the
// scenario's names as ids) to an AWS-shaped id, in region us-east-1 and
// account 123456789012 (see AssignIDsIn), and rewrites every reference.
// It returns the spec and, per new id, the original name (for the Name
// tags of Config.Names).
func AssignIDs(spec cloudmock.Spec, seed string) (cloudmock.Spec, map[string]string) {
	return AssignIDsIn(spec, seed, "us-east-1", "123456789012")
}

// AssignIDsIn is AssignIDs for a region and an account (they appear in
// load balancer ARNs). Ids are "<prefix>-" + 17 lowercase hex digits of
// SHA-256(seed, kind, name): vpc-, pcx-, tgw-, tgw-attach-, subnet-, acl-, sg-, eni-, i- (instance
// ids), vpce-, tmf-, tmfr-, tmt-, tms-; a load balancer becomes
// arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/net|gwy/NAME/16hex.
// The same seed, kind and name always give the same id, so a scenario file
// keeps its ids from run to run. Filter rules without an id are named
// after their filter, direction and rule number. The input is not changed.
func AssignIDsIn(spec cloudmock.Spec, seed, region, account string) (cloudmock.Spec, map[string]string) {
	out := cloneSpec(spec)
	a := &assigner{seed: seed, region: region, account: account, names: map[string]string{}, ids: map[string]string{}, used: map[string]bool{}}
	a.network(&out)
	a.accessControl(&out)
	a.interfaces(&out)
	a.mirroring(&out)
	return out, a.names
}

// network renames VPCs, subnets, transit gateways, their attachments and
// peering connections.
func (a *assigner) network(s *cloudmock.Spec) {
	for i := range s.Vpcs {
		s.Vpcs[i].VpcId = a.id("vpc", s.Vpcs[i].VpcId)
	}
	for i := range s.Subnets {
		x := &s.Subnets[i]
		x.SubnetId, x.VpcId = a.id("subnet", x.SubnetId), a.id("vpc", x.VpcId)
	}
	for i := range s.TransitGateways {
		s.TransitGateways[i].TransitGatewayId = a.id("tgw", s.TransitGateways[i].TransitGatewayId)
	}
	for i := range s.TransitGatewayVpcAttachments {
		x := &s.TransitGatewayVpcAttachments[i]
		x.TransitGatewayAttachmentId = a.id("tgw-attach", x.TransitGatewayAttachmentId)
		x.TransitGatewayId, x.VpcId = a.id("tgw", x.TransitGatewayId), a.id("vpc", x.VpcId)
	}
	for i := range s.VpcPeeringConnections {
		x := &s.VpcPeeringConnections[i]
		x.VpcPeeringConnectionId = a.id("pcx", x.VpcPeeringConnectionId)
		x.RequesterVpcInfo.VpcId = a.id("vpc", x.RequesterVpcInfo.VpcId)
		x.AccepterVpcInfo.VpcId = a.id("vpc", x.AccepterVpcInfo.VpcId)
	}
}

// accessControl renames network ACLs and security groups.
func (a *assigner) accessControl(s *cloudmock.Spec) {
	for i := range s.NetworkAcls {
		x := &s.NetworkAcls[i]
		x.NetworkAclId, x.VpcId = a.id("acl", x.NetworkAclId), a.id("vpc", x.VpcId)
		for j := range x.Associations {
			x.Associations[j].SubnetId = a.id("subnet", x.Associations[j].SubnetId)
		}
	}
	for i := range s.SecurityGroups {
		x := &s.SecurityGroups[i]
		x.GroupId, x.VpcId = a.id("sg", x.GroupId), a.id("vpc", x.VpcId)
		for _, perms := range [2][]cloudmock.IpPermission{x.IpPermissions, x.IpPermissionsEgress} {
			for j := range perms {
				for k := range perms[j].UserIdGroupPairs {
					perms[j].UserIdGroupPairs[k].GroupId = a.id("sg", perms[j].UserIdGroupPairs[k].GroupId)
				}
			}
		}
	}
}

// interfaces renames network interfaces (with their instances) and load
// balancers.
func (a *assigner) interfaces(s *cloudmock.Spec) {
	for i := range s.NetworkInterfaces {
		x := &s.NetworkInterfaces[i]
		x.NetworkInterfaceId, x.SubnetId = a.id("eni", x.NetworkInterfaceId), a.id("subnet", x.SubnetId)
		x.InstanceId = a.id("i", x.InstanceId)
		for j := range x.Groups {
			x.Groups[j] = a.id("sg", x.Groups[j])
		}
	}
	for i := range s.LoadBalancers {
		x := &s.LoadBalancers[i]
		x.LoadBalancerArn = a.arn(x.LoadBalancerArn, x.Type)
		x.SubnetId, x.VpcEndpointId = a.id("subnet", x.SubnetId), a.id("vpce", x.VpcEndpointId)
		for j := range x.Targets {
			x.Targets[j].NetworkInterfaceId = a.id("eni", x.Targets[j].NetworkInterfaceId)
		}
	}
}

// mirroring renames Traffic Mirroring filters, targets and sessions.
func (a *assigner) mirroring(s *cloudmock.Spec) {
	for i := range s.TrafficMirrorFilters {
		f := &s.TrafficMirrorFilters[i]
		name := f.TrafficMirrorFilterId
		f.TrafficMirrorFilterId = a.id("tmf", name)
		a.filterRules(f, name)
	}
	for i := range s.TrafficMirrorTargets {
		x := &s.TrafficMirrorTargets[i]
		x.TrafficMirrorTargetId = a.id("tmt", x.TrafficMirrorTargetId)
		x.NetworkInterfaceId = a.id("eni", x.NetworkInterfaceId)
		x.NetworkLoadBalancerArn = a.arn(x.NetworkLoadBalancerArn, "network")
		x.GatewayLoadBalancerEndpointId = a.id("vpce", x.GatewayLoadBalancerEndpointId)
	}
	for i := range s.TrafficMirrorSessions {
		x := &s.TrafficMirrorSessions[i]
		x.TrafficMirrorSessionId = a.id("tms", x.TrafficMirrorSessionId)
		x.NetworkInterfaceId = a.id("eni", x.NetworkInterfaceId)
		for j := range x.TrafficMirrorSourceIds {
			x.TrafficMirrorSourceIds[j] = a.id("eni", x.TrafficMirrorSourceIds[j])
		}
		x.TrafficMirrorTargetId = a.id("tmt", x.TrafficMirrorTargetId)
		x.TrafficMirrorFilterId = a.id("tmf", x.TrafficMirrorFilterId)
	}
}

// filterRules renames the rules of filter f, named name in the scenario; a rule
// without an id is named after its filter, direction and rule number.
func (a *assigner) filterRules(f *cloudmock.TrafficMirrorFilter, name string) {
	for _, d := range [2]struct {
		dir   string
		rules []cloudmock.TrafficMirrorFilterRule
	}{{dirIngress, f.IngressFilterRules}, {dirEgress, f.EgressFilterRules}} {
		for j := range d.rules {
			r := &d.rules[j]
			rn := r.TrafficMirrorFilterRuleId
			if rn == "" {
				rn = fmt.Sprintf("%s/%s/%d/%d", name, d.dir, r.RuleNumber, j)
				r.TrafficMirrorFilterRuleId = a.hashed("tmfr", rn)
				continue
			}
			r.TrafficMirrorFilterRuleId = a.id("tmfr", rn)
		}
	}
}

// assigner maps (kind, name) to one id, the same for every reference.
type assigner struct {
	seed, region, account string
	names                 map[string]string // new id -> name
	ids                   map[string]string // kind \x00 name -> new id
	used                  map[string]bool
}

// id returns the id of a named resource of a kind ("" stays "").
func (a *assigner) id(kind, name string) string {
	if name == "" {
		return ""
	}
	key := kind + "\x00" + name
	if id, ok := a.ids[key]; ok {
		return id
	}
	id := a.hashed(kind, name)
	a.ids[key] = id
	a.names[id] = name
	return id
}

// hashed derives a new unique id (no Name tag).
func (a *assigner) hashed(kind, name string) string {
	for n := 0; ; n++ {
		h := a.hex(kind, name, n)
		id := kind + "-" + h[:17]
		if !a.used[id] {
			a.used[id] = true
			return id
		}
	}
}

func (a *assigner) hex(kind, name string, n int) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%s\x00%s\x00%d", a.seed, kind, name, n)))
	return hex.EncodeToString(sum[:])
}

// lbName is what an ELB name may hold: letters, digits, hyphens, at most
// 32 characters, no hyphen at either end.
var lbNameBad = regexp.MustCompile(`[^A-Za-z0-9-]+`)

// arn returns a load balancer's ARN; an empty name stays "".
func (a *assigner) arn(name, typ string) string {
	if name == "" {
		return ""
	}
	key := "lb\x00" + name
	if id, ok := a.ids[key]; ok {
		return id
	}
	short := strings.Trim(lbNameBad.ReplaceAllString(name, "-"), "-")
	if len(short) > 32 {
		short = strings.Trim(short[:32], "-")
	}
	if short == "" {
		short = "lb"
	}
	kind := "net"
	if typ == "gateway" {
		kind = "gwy"
	}
	var id string
	for n := 0; ; n++ {
		id = fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:loadbalancer/%s/%s/%s", a.region, a.account, kind, short, a.hex("lb", name, n)[:16])
		if !a.used[id] {
			break
		}
	}
	a.used[id] = true
	a.ids[key] = id
	a.names[id] = name
	return id
}
