package cloudmock

import (
	"fmt"

	"github.com/mirrorlab/mirrorlab/internal/codes"
)

// Quotas are the account and resource quotas checked besides the mirroring
// ones of Profile. 0 means no limit. Where each figure comes from:
//
// AWS (the providers' default quotas, not raised ones):
//   - NetworkAclEntriesPerDirection 20: Amazon VPC quotas, "Rules per
//     network ACL: 20" (inbound and outbound counted apart; adjustable to 40).
//   - SecurityGroupRulesPerDirection 60: Amazon VPC quotas, "Inbound or
//     outbound rules per security group: 60" (AWS counts IPv4 and IPv6
//     rules apart; here every CIDR or group reference of a direction
//     counts, which is stricter for a group mixing both families).
//   - SecurityGroupsPerENI 5: Amazon VPC quotas, "Security groups per
//     network interface: 5".
//   - FiltersPerAccount, TargetsPerAccount, SessionsPerAccount 10 000: the
//     Traffic Mirroring quotas page ("Traffic Mirroring quotas and
//     limitations") as remembered; not confirmed against the page here.
//
// Alibaba Cloud:
//   - NetworkAclEntriesPerDirection 20: VPC quotas, 20 inbound and 20
//     outbound rules per network ACL (as remembered, not confirmed).
//   - SecurityGroupRulesTotal 200: ECS security group limits, 200 rules per
//     security group, both directions together (as remembered, not
//     confirmed); no per-direction figure.
//   - SecurityGroupsPerENI 5: ECS limits (as remembered, not confirmed).
//   - Filters, targets and sessions per account: no Alibaba figure could be
//     confirmed; AWS's are used.
type Quotas struct {
	NetworkAclEntriesPerDirection  int
	SecurityGroupRulesPerDirection int
	SecurityGroupRulesTotal        int
	SecurityGroupsPerENI           int
	FiltersPerAccount              int
	TargetsPerAccount              int
	SessionsPerAccount             int
}

func awsQuotas() Quotas {
	return Quotas{NetworkAclEntriesPerDirection: 20, SecurityGroupRulesPerDirection: 60, SecurityGroupsPerENI: 5,
		FiltersPerAccount: 10_000, TargetsPerAccount: 10_000, SessionsPerAccount: 10_000}
}

func alibabaQuotas() Quotas {
	return Quotas{NetworkAclEntriesPerDirection: 20, SecurityGroupRulesTotal: 200, SecurityGroupsPerENI: 5,
		FiltersPerAccount: 10_000, TargetsPerAccount: 10_000, SessionsPerAccount: 10_000}
}

var directionNames = [2]string{"inbound", "outbound"}

// quotas checks the quotas above. Each is reported once, at the first
// resource or entry beyond it, so a file far over a quota gets one problem
// per resource, not one per excess entry.
func (v *validator) quotas(s *Spec) {
	q := v.prof.Quotas
	if n := q.NetworkAclEntriesPerDirection; n > 0 {
		for i, a := range s.NetworkAcls {
			var count [2]int
			for j, e := range a.Entries {
				d := 0
				if e.Egress {
					d = 1
				}
				if count[d]++; count[d] == n+1 {
					total := 0
					for _, e2 := range a.Entries {
						if e2.Egress == e.Egress {
							total++
						}
					}
					v.add("NetworkAcl", a.NetworkAclId, i, fmt.Sprintf("Entries[%d]", j), codes.NetworkAclEntryLimitExceeded,
						"%d %s entries, profile %s allows %d per network ACL", total, directionNames[d], v.prof.Name, n)
				}
			}
		}
	}
	for i, g := range s.SecurityGroups {
		lists := [2][]IpPermission{g.IpPermissions, g.IpPermissionsEgress}
		names := [2]string{"IpPermissions", "IpPermissionsEgress"}
		var counts [2]int
		for d, list := range lists {
			for _, p := range list {
				counts[d] += permissionRules(p)
			}
			if n := q.SecurityGroupRulesPerDirection; n > 0 && counts[d] > n {
				v.add("SecurityGroup", g.GroupId, i, names[d], codes.RulesPerSecurityGroupExceeded,
					"%d %s rules, profile %s allows %d per security group", counts[d], directionNames[d], v.prof.Name, n)
			}
		}
		if n := q.SecurityGroupRulesTotal; n > 0 && counts[0]+counts[1] > n {
			v.add("SecurityGroup", g.GroupId, i, "IpPermissions", codes.RulesPerSecurityGroupExceeded,
				"%d rules, profile %s allows %d per security group", counts[0]+counts[1], v.prof.Name, n)
		}
	}
	if n := q.SecurityGroupsPerENI; n > 0 {
		for i, e := range s.NetworkInterfaces {
			if len(e.Groups) > n {
				v.add("NetworkInterface", e.NetworkInterfaceId, i, fmt.Sprintf("Groups[%d]", n), codes.SecurityGroupsPerENIExceeded,
					"%d security groups, profile %s allows %d per network interface", len(e.Groups), v.prof.Name, n)
			}
		}
	}
	if n := q.FiltersPerAccount; n > 0 && len(s.TrafficMirrorFilters) > n {
		v.add("TrafficMirrorFilter", s.TrafficMirrorFilters[n].TrafficMirrorFilterId, n, "TrafficMirrorFilterId", codes.FilterLimitExceeded,
			"%d filters, profile %s allows %d per account", len(s.TrafficMirrorFilters), v.prof.Name, n)
	}
	if n := q.TargetsPerAccount; n > 0 && len(s.TrafficMirrorTargets) > n {
		v.add("TrafficMirrorTarget", s.TrafficMirrorTargets[n].TrafficMirrorTargetId, n, "TrafficMirrorTargetId", codes.TargetLimitExceeded,
			"%d targets, profile %s allows %d per account", len(s.TrafficMirrorTargets), v.prof.Name, n)
	}
	if n := q.SessionsPerAccount; n > 0 && len(s.TrafficMirrorSessions) > n {
		v.add("TrafficMirrorSession", s.TrafficMirrorSessions[n].TrafficMirrorSessionId, n, "TrafficMirrorSessionId", codes.SessionsPerAccountLimitExceeded,
			"%d sessions, profile %s allows %d per account", len(s.TrafficMirrorSessions), v.prof.Name, n)
	}
}

// permissionRules is how many rules a permission counts for: one per CIDR
// or referenced group (at least one).
func permissionRules(p IpPermission) int {
	return max(1, len(p.IpRanges)+len(p.Ipv6Ranges)+len(p.UserIdGroupPairs))
}
