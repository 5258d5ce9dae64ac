package cloudmock

import (
	"fmt"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/codes"
)

// quotaCase changes the walk-through spec and names the one problem wanted.
type quotaCase struct {
	name           string
	profile        string
	mod            func(*Spec)
	res, id, field string
	code           string
}

func naclEntries(in, out int) func(*Spec) {
	return func(s *Spec) {
		a := &s.NetworkAcls[0]
		a.Entries = nil
		for i := 1; i <= in; i++ {
			a.Entries = append(a.Entries, NetworkAclEntry{RuleNumber: i, Protocol: "-1", RuleAction: "allow", CidrBlock: "0.0.0.0/0"})
		}
		for i := 1; i <= out; i++ {
			a.Entries = append(a.Entries, NetworkAclEntry{RuleNumber: i, Egress: true, Protocol: "-1", RuleAction: "allow", CidrBlock: "0.0.0.0/0"})
		}
	}
}

func sgRules(in, out int) func(*Spec) {
	return func(s *Spec) {
		g := &s.SecurityGroups[0]
		g.IpPermissions, g.IpPermissionsEgress = nil, nil
		for i := range in {
			g.IpPermissions = append(g.IpPermissions, IpPermission{IpProtocol: "tcp", FromPort: i, ToPort: i, IpRanges: []IpRange{{CidrIp: "0.0.0.0/0"}}})
		}
		for i := range out {
			g.IpPermissionsEgress = append(g.IpPermissionsEgress, IpPermission{IpProtocol: "tcp", FromPort: i, ToPort: i, IpRanges: []IpRange{{CidrIp: "0.0.0.0/0"}}})
		}
	}
}

func manyGroups(n int) func(*Spec) {
	return func(s *Spec) {
		e := &s.NetworkInterfaces[2]
		for i := range n {
			id := fmt.Sprintf("sg-%d", i)
			s.SecurityGroups = append(s.SecurityGroups, SecurityGroup{GroupId: id, VpcId: "vpc-1"})
			e.Groups = append(e.Groups, id)
		}
	}
}

func manyFilters(n int) func(*Spec) {
	return func(s *Spec) {
		for i := len(s.TrafficMirrorFilters); i < n; i++ {
			s.TrafficMirrorFilters = append(s.TrafficMirrorFilters, &TrafficMirrorFilter{TrafficMirrorFilterId: fmt.Sprintf("tmf-%d", i)})
		}
	}
}

func manyTargets(n int) func(*Spec) {
	return func(s *Spec) {
		for i := len(s.TrafficMirrorTargets); i < n; i++ {
			s.TrafficMirrorTargets = append(s.TrafficMirrorTargets, &TrafficMirrorTarget{TrafficMirrorTargetId: fmt.Sprintf("tmt-%d", i), NetworkInterfaceId: "eni-adapter"})
		}
	}
}

// manySessions spreads n sessions over enough source ENIs and targets to
// stay within the per-ENI and per-target quotas.
func manySessions(n int) func(*Spec) {
	return func(s *Spec) {
		s.Subnets = append(s.Subnets, Subnet{SubnetId: "subnet-big", VpcId: "vpc-big", CidrBlock: "10.128.0.0/9"})
		s.Vpcs = append(s.Vpcs, Vpc{VpcId: "vpc-big", CidrBlock: "10.128.0.0/9"})
		s.TrafficMirrorSessions = nil
		for i := range n {
			src := fmt.Sprintf("eni-s%d", i)
			s.NetworkInterfaces = append(s.NetworkInterfaces, NetworkInterface{NetworkInterfaceId: src, SubnetId: "subnet-big",
				PrivateIpAddress: fmt.Sprintf("10.%d.%d.%d", 128+i>>16, i>>8&255, i&255)})
			tgt := fmt.Sprintf("tmt-%d", i/10)
			if i%10 == 0 {
				dst := fmt.Sprintf("eni-t%d", i/10)
				s.NetworkInterfaces = append(s.NetworkInterfaces, NetworkInterface{NetworkInterfaceId: dst, SubnetId: "subnet-big",
					PrivateIpAddress: fmt.Sprintf("10.255.%d.%d", (i/10)>>8, (i/10)&255)})
				s.TrafficMirrorTargets = append(s.TrafficMirrorTargets, &TrafficMirrorTarget{TrafficMirrorTargetId: tgt, NetworkInterfaceId: dst})
			}
			s.TrafficMirrorSessions = append(s.TrafficMirrorSessions, &TrafficMirrorSession{TrafficMirrorSessionId: fmt.Sprintf("tms-%d", i),
				NetworkInterfaceId: src, TrafficMirrorTargetId: tgt, TrafficMirrorFilterId: "tmf-web", SessionNumber: i + 1}) // unique: alibaba's are per account
		}
	}
}

func TestValidateQuotas(t *testing.T) {
	cases := []quotaCase{
		{"nacl 21 inbound", "aws", naclEntries(21, 1), "NetworkAcl", "acl-adapter", "Entries[20]", codes.NetworkAclEntryLimitExceeded},
		{"nacl 21 outbound", "aws", naclEntries(1, 21), "NetworkAcl", "acl-adapter", "Entries[21]", codes.NetworkAclEntryLimitExceeded},
		{"nacl 21 inbound alibaba", "alibaba", naclEntries(21, 0), "NetworkAcl", "acl-adapter", "Entries[20]", codes.NetworkAclEntryLimitExceeded},
		{"sg 61 inbound", "aws", sgRules(61, 1), "SecurityGroup", "sg-web", "IpPermissions", codes.RulesPerSecurityGroupExceeded},
		{"sg 61 outbound", "aws", sgRules(1, 61), "SecurityGroup", "sg-web", "IpPermissionsEgress", codes.RulesPerSecurityGroupExceeded},
		{"sg 201 rules alibaba", "alibaba", sgRules(150, 51), "SecurityGroup", "sg-web", "IpPermissions", codes.RulesPerSecurityGroupExceeded},
		{"6 groups on an eni", "aws", manyGroups(6), "NetworkInterface", "eni-test", "Groups[5]", codes.SecurityGroupsPerENIExceeded},
		{"6 groups on an eni alibaba", "alibaba", manyGroups(6), "NetworkInterface", "eni-test", "Groups[5]", codes.SecurityGroupsPerENIExceeded},
		{"10001 filters", "aws", manyFilters(10_001), "TrafficMirrorFilter", "tmf-10000", "TrafficMirrorFilterId", codes.FilterLimitExceeded},
		{"10001 targets", "aws", manyTargets(10_001), "TrafficMirrorTarget", "tmt-10000", "TrafficMirrorTargetId", codes.TargetLimitExceeded},
		{"10001 sessions", "aws", manySessions(10_001), "TrafficMirrorSession", "tms-10000", "TrafficMirrorSessionId", codes.SessionLimitExceeded},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := walkthroughSpec()
			s.Profile = c.profile
			c.mod(&s)
			errs := validationErrors(t, s.Validate())
			if len(errs) != 1 {
				t.Fatalf("%d problems, want 1: %v", len(errs), errs)
			}
			e := errs[0]
			if e.Resource != c.res || e.ID != c.id || e.Field != c.field || e.Code != c.code {
				t.Fatalf("got %s %s %s %s (%s), want %s %s %s %s", e.Resource, e.ID, e.Field, e.Code, e.Message, c.res, c.id, c.field, c.code)
			}
		})
	}
}

// TestValidateQuotasAtTheLimit: exactly the quota is fine.
func TestValidateQuotasAtTheLimit(t *testing.T) {
	for _, prof := range []string{"aws", "alibaba"} {
		for name, mod := range map[string]func(*Spec){
			"nacl 20+20":  naclEntries(20, 20),
			"sg 60+60":    sgRules(60, 60),
			"5 groups":    manyGroups(5),
			"10000 filt":  manyFilters(10_000),
			"10000 targ":  manyTargets(10_000),
			"10000 sess.": manySessions(10_000),
		} {
			s := walkthroughSpec()
			s.Profile = prof
			mod(&s)
			if err := s.Validate(); err != nil {
				t.Errorf("%s %s: %v", prof, name, err)
			}
		}
	}
}

// TestValidateHugeNACL: a network ACL with 32 000 entries (every rule
// number of both directions) is refused, with one problem per direction.
func TestValidateHugeNACL(t *testing.T) {
	s := walkthroughSpec()
	naclEntries(16_000, 16_000)(&s)
	errs := validationErrors(t, s.Validate())
	if len(errs) != 2 || errs[0].Code != codes.NetworkAclEntryLimitExceeded || errs[1].Code != codes.NetworkAclEntryLimitExceeded {
		t.Fatalf("want two NetworkAclEntryLimitExceeded, got %v", errs)
	}
}
