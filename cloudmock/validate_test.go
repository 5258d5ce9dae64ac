package cloudmock

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/encap"

	"github.com/mirrorlab/mirrorlab/internal/codes"
)

func TestValidateErrors(t *testing.T) {
	sess := func(f func(*TrafficMirrorSession)) func(*Spec) {
		return func(s *Spec) { f(s.TrafficMirrorSessions[0]) }
	}
	rule := func(f func(*TrafficMirrorFilterRule)) func(*Spec) {
		return func(s *Spec) { f(&s.TrafficMirrorFilters[0].IngressFilterRules[0]) }
	}
	entry := func(f func(*NetworkAclEntry)) func(*Spec) {
		return func(s *Spec) { f(&s.NetworkAcls[0].Entries[0]) }
	}
	addSessions := func(n int, target string) func(*Spec) {
		return func(s *Spec) {
			for i := 0; i < n; i++ {
				id := fmt.Sprintf("eni-x%d", i)
				s.NetworkInterfaces = append(s.NetworkInterfaces, NetworkInterface{NetworkInterfaceId: id, SubnetId: "subnet-test", PrivateIpAddress: fmt.Sprintf("10.0.0.%d", 37+i)})
				s.TrafficMirrorSessions = append(s.TrafficMirrorSessions, &TrafficMirrorSession{TrafficMirrorSessionId: "tms-" + id, NetworkInterfaceId: id,
					TrafficMirrorTargetId: target, TrafficMirrorFilterId: "tmf-web", SessionNumber: 1})
			}
		}
	}
	moreSessionsOnWeb := func(n int) func(*Spec) {
		return func(s *Spec) {
			for i := 2; i <= n; i++ {
				s.TrafficMirrorSessions = append(s.TrafficMirrorSessions, &TrafficMirrorSession{TrafficMirrorSessionId: fmt.Sprintf("tms-%d", i), NetworkInterfaceId: "eni-web",
					TrafficMirrorTargetId: "tmt-adapter", TrafficMirrorFilterId: "tmf-web", SessionNumber: i})
			}
		}
	}
	rules := func(n int, egress int) func(*Spec) {
		return func(s *Spec) {
			f := s.TrafficMirrorFilters[0]
			for i := 2; i <= n; i++ {
				f.IngressFilterRules = append(f.IngressFilterRules, acceptAll(i))
			}
			for i := 1; i <= egress; i++ {
				f.EgressFilterRules = append(f.EgressFilterRules, acceptAll(i))
			}
		}
	}
	alibaba := func(f func(*Spec)) func(*Spec) {
		return func(s *Spec) { s.Profile = "alibaba"; f(s) }
	}
	cases := []struct {
		name           string
		mod            func(*Spec)
		res, id, field string
		code           string
	}{
		{"profile", func(s *Spec) { s.Profile = "gcp" }, "Spec", "", "Profile", codes.InvalidParameterValue},
		{"reject behaviour", func(s *Spec) { s.RejectBehavior = "reject-sometimes" }, "Spec", "", "RejectBehavior", codes.InvalidParameterValue},
		{"session number 0", sess(func(x *TrafficMirrorSession) { x.SessionNumber = 0 }), "TrafficMirrorSession", "tms-web", "SessionNumber", codes.InvalidParameterValue},
		{"session number 32767", sess(func(x *TrafficMirrorSession) { x.SessionNumber = 32767 }), "TrafficMirrorSession", "tms-web", "SessionNumber", codes.InvalidParameterValue},
		{"vni negative", sess(func(x *TrafficMirrorSession) { x.VirtualNetworkId = new(-1) }), "TrafficMirrorSession", "tms-web", "VirtualNetworkId", codes.InvalidParameterValue},
		{"vni 2^24", sess(func(x *TrafficMirrorSession) { x.VirtualNetworkId = new(1 << 24) }), "TrafficMirrorSession", "tms-web", "VirtualNetworkId", codes.InvalidParameterValue},
		{"packet length 0", sess(func(x *TrafficMirrorSession) { x.PacketLength = new(0) }), "TrafficMirrorSession", "tms-web", "PacketLength", codes.InvalidParameterValue},
		{"packet length 8948", sess(func(x *TrafficMirrorSession) { x.PacketLength = new(8948) }), "TrafficMirrorSession", "tms-web", "PacketLength", codes.InvalidParameterValue},
		{"packet length 8501 to nlb", func(s *Spec) {
			*s = nlbSpec(true)
			s.TrafficMirrorSessions[0].PacketLength = new(8501)
		}, "TrafficMirrorSession", "tms-web", "PacketLength", codes.InvalidParameterValue},
		{"source not found", sess(func(x *TrafficMirrorSession) { x.NetworkInterfaceId = "eni-nope" }), "TrafficMirrorSession", "tms-web", "NetworkInterfaceId", codes.NetworkInterfaceNotFound},
		{"source missing", sess(func(x *TrafficMirrorSession) { x.NetworkInterfaceId = "" }), "TrafficMirrorSession", "tms-web", "NetworkInterfaceId", codes.MissingParameter},
		{"target not found", sess(func(x *TrafficMirrorSession) { x.TrafficMirrorTargetId = "tmt-nope" }), "TrafficMirrorSession", "tms-web", "TrafficMirrorTargetId", codes.TargetNotFound},
		{"filter not found", sess(func(x *TrafficMirrorSession) { x.TrafficMirrorFilterId = "tmf-nope" }), "TrafficMirrorSession", "tms-web", "TrafficMirrorFilterId", codes.FilterNotFound},
		{"source is a target", sess(func(x *TrafficMirrorSession) { x.NetworkInterfaceId = "eni-adapter" }), "TrafficMirrorSession", "tms-web", "NetworkInterfaceId", codes.InvalidParameterValue},
		{"two sources on aws", sess(func(x *TrafficMirrorSession) { x.TrafficMirrorSourceIds = []string{"eni-test"} }), "TrafficMirrorSession", "tms-web", "TrafficMirrorSourceIds", codes.SourceLimitExceeded},
		{"eleven sources on alibaba", alibaba(func(s *Spec) {
			addSessions(10, "tmt-adapter")(s)
			var ids []string
			for _, x := range s.TrafficMirrorSessions[1:] {
				ids = append(ids, x.NetworkInterfaceId)
			}
			s.TrafficMirrorSessions = s.TrafficMirrorSessions[:1]
			s.TrafficMirrorSessions[0].TrafficMirrorSourceIds = ids
		}), "TrafficMirrorSession", "tms-web", "TrafficMirrorSourceIds", codes.SourceLimitExceeded},
		{"session number twice on a source", func(s *Spec) {
			moreSessionsOnWeb(2)(s)
			s.TrafficMirrorSessions[1].SessionNumber = 1
		}, "TrafficMirrorSession", "tms-2", "SessionNumber", codes.InvalidParameterValue},
		{"four sessions on an aws source", moreSessionsOnWeb(4), "TrafficMirrorSession", "tms-4", "NetworkInterfaceId", codes.SessionLimitExceeded},
		{"two sessions on an alibaba source", alibaba(moreSessionsOnWeb(2)), "TrafficMirrorSession", "tms-2", "NetworkInterfaceId", codes.SessionLimitExceeded},
		{"session number twice on alibaba", alibaba(func(s *Spec) {
			addSessions(1, "tmt-adapter")(s) // another source, session number 1 as tms-web's
		}), "TrafficMirrorSession", "tms-eni-x0", "SessionNumber", codes.InvalidParameterValue},
		{"eleven sessions on an eni target", addSessions(10, "tmt-adapter"), "TrafficMirrorSession", "tms-eni-x9", "TrafficMirrorTargetId", codes.SessionLimitExceeded},
		{"session id twice", func(s *Spec) {
			moreSessionsOnWeb(2)(s)
			s.TrafficMirrorSessions[1].TrafficMirrorSessionId = "tms-web"
		}, "TrafficMirrorSession", "tms-web", "TrafficMirrorSessionId", codes.DuplicateID},
		{"rule number 0", rule(func(r *TrafficMirrorFilterRule) { r.RuleNumber = 0 }), "TrafficMirrorFilter", "tmf-web", "IngressFilterRules[0].RuleNumber", codes.InvalidParameterValue},
		{"rule number 32767", rule(func(r *TrafficMirrorFilterRule) { r.RuleNumber = 32767 }), "TrafficMirrorFilter", "tmf-web", "IngressFilterRules[0].RuleNumber", codes.InvalidParameterValue},
		{"rule number twice", func(s *Spec) {
			s.TrafficMirrorFilters[0].IngressFilterRules = append(s.TrafficMirrorFilters[0].IngressFilterRules, acceptAll(100))
		}, "TrafficMirrorFilter", "tmf-web", "IngressFilterRules[1].RuleNumber", codes.FilterRuleExists},
		{"same rule number in both directions is fine, then 11 rules", rules(1, 10), "TrafficMirrorFilter", "tmf-web", "IngressFilterRules", codes.FilterRuleLimitExceeded},
		{"alibaba 11 per direction", alibaba(rules(11, 0)), "TrafficMirrorFilter", "tmf-web", "IngressFilterRules", codes.FilterRuleLimitExceeded},
		{"rule action", rule(func(r *TrafficMirrorFilterRule) { r.RuleAction = "drop" }), "TrafficMirrorFilter", "tmf-web", "IngressFilterRules[0].RuleAction", codes.InvalidParameterValue},
		{"protocol 256", rule(func(r *TrafficMirrorFilterRule) { r.Protocol = 256; r.DestinationPortRange = nil }), "TrafficMirrorFilter", "tmf-web", "IngressFilterRules[0].Protocol", codes.InvalidParameterValue},
		{"bad source cidr", rule(func(r *TrafficMirrorFilterRule) { r.SourceCidrBlock = "10.0.0.0/33" }), "TrafficMirrorFilter", "tmf-web", "IngressFilterRules[0].SourceCidrBlock", codes.InvalidParameterValue},
		{"missing destination cidr", rule(func(r *TrafficMirrorFilterRule) { r.DestinationCidrBlock = "" }), "TrafficMirrorFilter", "tmf-web", "IngressFilterRules[0].DestinationCidrBlock", codes.MissingParameter},
		{"mixed families", rule(func(r *TrafficMirrorFilterRule) { r.DestinationCidrBlock = "::/0" }), "TrafficMirrorFilter", "tmf-web", "IngressFilterRules[0].DestinationCidrBlock", codes.InvalidParameterValue},
		{"ipv6 rule on alibaba", alibaba(rule(func(r *TrafficMirrorFilterRule) { r.SourceCidrBlock, r.DestinationCidrBlock = "::/0", "::/0" })),
			"TrafficMirrorFilter", "tmf-web", "IngressFilterRules[0].SourceCidrBlock", codes.Unsupported},
		{"ports with icmp", rule(func(r *TrafficMirrorFilterRule) { r.Protocol = encap.ProtoICMP }), "TrafficMirrorFilter", "tmf-web", "IngressFilterRules[0].DestinationPortRange", codes.InvalidParameterCombination},
		{"ports with all protocols", rule(func(r *TrafficMirrorFilterRule) { r.Protocol = 0 }), "TrafficMirrorFilter", "tmf-web", "IngressFilterRules[0].DestinationPortRange", codes.InvalidParameterCombination},
		{"port 65536", rule(func(r *TrafficMirrorFilterRule) { r.DestinationPortRange.ToPort = 65536 }), "TrafficMirrorFilter", "tmf-web", "IngressFilterRules[0].DestinationPortRange.ToPort", codes.InvalidParameterValue},
		{"port -1", rule(func(r *TrafficMirrorFilterRule) { r.SourcePortRange = &TrafficMirrorPortRange{FromPort: -1, ToPort: 5} }), "TrafficMirrorFilter", "tmf-web", "IngressFilterRules[0].SourcePortRange.FromPort", codes.InvalidParameterValue},
		{"from > to", rule(func(r *TrafficMirrorFilterRule) { r.DestinationPortRange.FromPort = 81 }), "TrafficMirrorFilter", "tmf-web", "IngressFilterRules[0].DestinationPortRange", codes.InvalidParameterValue},
		{"network service", func(s *Spec) { s.TrafficMirrorFilters[0].NetworkServices = []string{"amazon-ntp"} }, "TrafficMirrorFilter", "tmf-web", "NetworkServices[0]", codes.InvalidParameterValue},
		{"target eni not found", func(s *Spec) { s.TrafficMirrorTargets[0].NetworkInterfaceId = "eni-nope" }, "TrafficMirrorTarget", "tmt-adapter", "NetworkInterfaceId", codes.NetworkInterfaceNotFound},
		{"target with nothing", func(s *Spec) { s.TrafficMirrorTargets[0].NetworkInterfaceId = "" }, "TrafficMirrorTarget", "tmt-adapter", "NetworkInterfaceId", codes.MissingParameter},
		{"target with two", func(s *Spec) { s.TrafficMirrorTargets[0].NetworkLoadBalancerArn = "arn:x" }, "TrafficMirrorTarget", "tmt-adapter", "NetworkInterfaceId", codes.InvalidParameterCombination},
		{"target nlb not found", func(s *Spec) {
			s.TrafficMirrorTargets[0] = &TrafficMirrorTarget{TrafficMirrorTargetId: "tmt-adapter", NetworkLoadBalancerArn: "arn:nope"}
		}, "TrafficMirrorTarget", "tmt-adapter", "NetworkLoadBalancerArn", codes.LoadBalancerNotFound},
		{"target endpoint not found", func(s *Spec) {
			s.TrafficMirrorTargets[0] = &TrafficMirrorTarget{TrafficMirrorTargetId: "tmt-adapter", GatewayLoadBalancerEndpointId: "vpce-nope"}
		}, "TrafficMirrorTarget", "tmt-adapter", "GatewayLoadBalancerEndpointId", codes.LoadBalancerNotFound},
		{"lb target not found", func(s *Spec) {
			*s = nlbSpec(true)
			s.LoadBalancers[0].Targets[0].NetworkInterfaceId = "eni-nope"
		}, "LoadBalancer", "arn:nlb", "Targets[0].NetworkInterfaceId", codes.NetworkInterfaceNotFound},
		{"lb type", func(s *Spec) {
			*s = nlbSpec(true)
			s.LoadBalancers[0].Type = "application"
		}, "LoadBalancer", "arn:nlb", "Type", codes.InvalidParameterValue},
		{"lb address outside subnet", func(s *Spec) {
			*s = nlbSpec(true)
			s.LoadBalancers[0].PrivateIpAddress = "10.0.0.50"
		}, "LoadBalancer", "arn:nlb", "PrivateIpAddress", codes.InvalidParameterValue},
		{"eni subnet not found", func(s *Spec) { s.NetworkInterfaces[2].SubnetId = "subnet-nope" }, "NetworkInterface", "eni-test", "SubnetId", codes.SubnetNotFound},
		{"eni address outside subnet", func(s *Spec) { s.NetworkInterfaces[2].PrivateIpAddress = "10.0.0.5" + "0" }, "NetworkInterface", "eni-test", "PrivateIpAddress", codes.InvalidParameterValue},
		{"eni address not ipv4", func(s *Spec) { s.NetworkInterfaces[2].PrivateIpAddress = "2001:db8::1" }, "NetworkInterface", "eni-test", "PrivateIpAddress", codes.InvalidParameterValue},
		{"eni address in use", func(s *Spec) {
			s.NetworkInterfaces = append(s.NetworkInterfaces, NetworkInterface{NetworkInterfaceId: "eni-dup", SubnetId: "subnet-test", PrivateIpAddress: "10.0.0.36"})
		}, "NetworkInterface", "eni-dup", "PrivateIpAddress", codes.IPAddressInUse},
		{"eni mtu", func(s *Spec) { s.NetworkInterfaces[2].Mtu = 9002 }, "NetworkInterface", "eni-test", "Mtu", codes.InvalidParameterValue},
		{"eni group", func(s *Spec) { s.NetworkInterfaces[2].Groups = []string{"sg-nope"} }, "NetworkInterface", "eni-test", "Groups[0]", codes.GroupNotFound},
		{"eni primary ipv6 on alibaba", alibaba(func(s *Spec) {
			dualStack(s)
			s.NetworkInterfaces[2].EnablePrimaryIpv6 = true
		}), "NetworkInterface", "eni-test", "EnablePrimaryIpv6", codes.Unsupported},
		{"eni ipv6 without subnet block", func(s *Spec) { s.NetworkInterfaces[2].Ipv6Address = "2001:db8::36" }, "NetworkInterface", "eni-test", "Ipv6Address", codes.InvalidParameterValue},
		{"eni ipv6 outside subnet", func(s *Spec) {
			dualStack(s)
			s.NetworkInterfaces[2].Ipv6Address = "2001:db8:0:100::99"
		}, "NetworkInterface", "eni-test", "Ipv6Address", codes.InvalidParameterValue},
		{"eni ipv6 in use", func(s *Spec) {
			dualStack(s)
			s.NetworkInterfaces[1].Ipv6Address = "2001:db8:0:100::5"
			s.NetworkInterfaces[1].SubnetId = "subnet-public"
			s.NetworkInterfaces[1].PrivateIpAddress = "10.0.0.6"
		}, "NetworkInterface", "eni-adapter", "Ipv6Address", codes.IPAddressInUse},
		{"eni primary ipv6 without address", func(s *Spec) { s.NetworkInterfaces[2].EnablePrimaryIpv6 = true }, "NetworkInterface", "eni-test", "EnablePrimaryIpv6", codes.InvalidParameterCombination},
		{"subnet ipv6 without vpc block", func(s *Spec) {
			s.Subnets[2].Ipv6CidrBlock = "2001:db8:0:102::/64"
		}, "Subnet", "subnet-test", "Ipv6CidrBlock", codes.SubnetRange},
		{"subnet ipv6 outside vpc", func(s *Spec) {
			dualStack(s)
			s.Subnets[2].Ipv6CidrBlock = "2001:db8:1:102::/64"
			s.NetworkInterfaces[2].Ipv6Address = ""
		}, "Subnet", "subnet-test", "Ipv6CidrBlock", codes.SubnetRange},
		{"subnet ipv6 longer than /64", func(s *Spec) {
			dualStack(s)
			s.Subnets[2].Ipv6CidrBlock = "2001:db8:0:102::/80"
			s.NetworkInterfaces[2].Ipv6Address = ""
		}, "Subnet", "subnet-test", "Ipv6CidrBlock", codes.InvalidParameterValue},
		{"eni id twice", func(s *Spec) { s.NetworkInterfaces[2].NetworkInterfaceId = "eni-web" }, "NetworkInterface", "eni-web", "NetworkInterfaceId", codes.DuplicateID},
		{"subnet vpc", func(s *Spec) { s.Subnets[2].VpcId = "vpc-nope" }, "Subnet", "subnet-test", "VpcId", codes.VpcNotFound},
		{"subnet outside vpc", func(s *Spec) {
			s.Subnets = append(s.Subnets, Subnet{SubnetId: "subnet-out", VpcId: "vpc-1", CidrBlock: "10.1.0.0/28"})
		}, "Subnet", "subnet-out", "CidrBlock", codes.SubnetRange},
		{"vpc cidr", func(s *Spec) {
			s.Vpcs = append(s.Vpcs, Vpc{VpcId: "vpc-2", CidrBlock: "banana"})
		}, "Vpc", "vpc-2", "CidrBlock", codes.InvalidParameterValue},
		{"acl rule number", entry(func(e *NetworkAclEntry) { e.RuleNumber = 0 }), "NetworkAcl", "acl-adapter", "Entries[0].RuleNumber", codes.InvalidParameterValue},
		{"acl rule number twice", func(s *Spec) {
			s.NetworkAcls[0].Entries = append(s.NetworkAcls[0].Entries, NetworkAclEntry{RuleNumber: 100, Protocol: "-1", RuleAction: "deny", CidrBlock: "0.0.0.0/0"})
		}, "NetworkAcl", "acl-adapter", "Entries[2].RuleNumber", codes.NetworkAclEntryExists},
		{"acl protocol", entry(func(e *NetworkAclEntry) { e.Protocol = "sctp-ish" }), "NetworkAcl", "acl-adapter", "Entries[0].Protocol", codes.InvalidParameterValue},
		{"acl action", entry(func(e *NetworkAclEntry) { e.RuleAction = "accept" }), "NetworkAcl", "acl-adapter", "Entries[0].RuleAction", codes.InvalidParameterValue},
		{"acl ports with all", entry(func(e *NetworkAclEntry) { e.Protocol = "-1" }), "NetworkAcl", "acl-adapter", "Entries[0].PortRange", codes.InvalidParameterCombination},
		{"acl port range", entry(func(e *NetworkAclEntry) { e.PortRange.From = 5000 }), "NetworkAcl", "acl-adapter", "Entries[0].PortRange", codes.InvalidParameterValue},
		{"acl no cidr", entry(func(e *NetworkAclEntry) { e.CidrBlock = "" }), "NetworkAcl", "acl-adapter", "Entries[0].CidrBlock", codes.MissingParameter},
		{"acl subnet", func(s *Spec) { s.NetworkAcls[0].Associations[0].SubnetId = "subnet-nope" }, "NetworkAcl", "acl-adapter", "Associations[0].SubnetId", codes.SubnetNotFound},
		{"sg group pair", func(s *Spec) { s.SecurityGroups[1].IpPermissions[0].UserIdGroupPairs[0].GroupId = "sg-nope" },
			"SecurityGroup", "sg-adapter", "IpPermissions[0].UserIdGroupPairs[0].GroupId", codes.GroupNotFound},
		{"sg ports", func(s *Spec) { s.SecurityGroups[0].IpPermissions[0].ToPort = 70000 }, "SecurityGroup", "sg-web", "IpPermissions[0].FromPort", codes.InvalidParameterValue},
		{"sg cidr", func(s *Spec) { s.SecurityGroups[0].IpPermissionsEgress[0].IpRanges[0].CidrIp = "::/0" },
			"SecurityGroup", "sg-web", "IpPermissionsEgress[0].IpRanges[0].CidrIp", codes.InvalidParameterValue},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := walkthroughSpec()
			c.mod(&s)
			errs := validationErrors(t, s.Validate())
			if len(errs) != 1 {
				t.Fatalf("want exactly one error %s %s %s %s, got %d: %v", c.res, c.id, c.field, c.code, len(errs), errs)
			}
			e := errs[0]
			if e.Resource != c.res || e.ID != c.id || e.Field != c.field || e.Code != c.code {
				t.Fatalf("got %s %q %s %s (%s)\nwant %s %q %s %s", e.Resource, e.ID, e.Field, e.Code, e.Message, c.res, c.id, c.field, c.code)
			}
			if e.Message == "" || !strings.Contains(e.Error(), c.code) {
				t.Errorf("error text %q", e.Error())
			}
			if _, err := New(s); err == nil {
				t.Error("New accepted an invalid spec")
			}
		})
	}
}

func TestValidateReportsEverything(t *testing.T) {
	s := walkthroughSpec()
	s.TrafficMirrorSessions[0].SessionNumber = 0
	s.TrafficMirrorSessions[0].PacketLength = new(9000)
	s.TrafficMirrorFilters[0].IngressFilterRules[0].RuleAction = "maybe"
	s.NetworkInterfaces[2].SubnetId = "subnet-nope"
	errs := validationErrors(t, s.Validate())
	fields := map[string]bool{}
	for _, e := range errs {
		fields[e.Resource+"."+e.Field] = true
	}
	for _, f := range []string{"TrafficMirrorSession.SessionNumber", "TrafficMirrorSession.PacketLength",
		"TrafficMirrorFilter.IngressFilterRules[0].RuleAction", "NetworkInterface.SubnetId"} {
		if !fields[f] {
			t.Errorf("missing %s in %v", f, errs)
		}
	}
	var ve *ValidationError
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "SessionNumber") {
		t.Errorf("joined error text: %v", err)
	} else if !errorsAs(err, &ve) {
		t.Error("errors.As finds no *ValidationError")
	}
}

func TestValidateAccepts(t *testing.T) {
	for name, s := range map[string]Spec{
		"walk-through": walkthroughSpec(),
		"nlb":          nlbSpec(true),
		"bench":        benchSpec(),
		"aws capture":  awsCaptureSpec(),
		"alibaba ten sources": func() Spec {
			s := walkthroughSpec()
			s.Profile = "alibaba"
			for i := range 9 {
				id := fmt.Sprintf("eni-x%d", i)
				s.NetworkInterfaces = append(s.NetworkInterfaces, NetworkInterface{NetworkInterfaceId: id, SubnetId: "subnet-test", PrivateIpAddress: fmt.Sprintf("10.0.0.%d", 37+i)})
				s.TrafficMirrorSessions[0].TrafficMirrorSourceIds = append(s.TrafficMirrorSessions[0].TrafficMirrorSourceIds, id)
			}
			return s
		}(),
		"aws three sessions, ten rules": func() Spec {
			s := benchSpec()
			return s
		}(),
	} {
		if err := s.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestVNIAssignment(t *testing.T) {
	s := benchSpec()
	s.TrafficMirrorSessions[0].VirtualNetworkId = nil
	s.TrafficMirrorSessions[1].VirtualNetworkId = nil
	s.TrafficMirrorSessions[2].VirtualNetworkId = new(7)
	a := mustNew(t, s, WithSeed(42))
	b := mustNew(t, s, WithSeed(42))
	seen := map[uint32]bool{}
	for _, id := range []string{"tms-1", "tms-2", "tms-3"} {
		va, _ := a.SessionVNI(id)
		vb, _ := b.SessionVNI(id)
		if va != vb {
			t.Errorf("%s: VNI %d and %d under one seed", id, va, vb)
		}
		if seen[va] || va > 1<<24-1 {
			t.Errorf("%s: VNI %d repeated or out of range", id, va)
		}
		seen[va] = true
	}
	if v, _ := a.SessionVNI("tms-3"); v != 7 {
		t.Errorf("given VNI changed to %d", v)
	}
	differ := false
	for seed := range uint64(8) {
		c := mustNew(t, s, WithSeed(seed+100))
		v1, _ := a.SessionVNI("tms-1")
		v2, _ := c.SessionVNI("tms-1")
		differ = differ || v1 != v2
	}
	if !differ {
		t.Error("eight other seeds all gave the same VNI")
	}
	// The decision carries the assigned VNI.
	ref := mustENI(t, a, "eni-web")
	d := a.Decide(ref, Ingress, frame(t, tcp("203.0.113.9", "10.0.0.5", 1, 80)))
	if v, _ := a.SessionVNI(d.SessionId); !d.Mirrored || d.VNI != v {
		t.Errorf("decision VNI %d, session VNI %d", d.VNI, v)
	}
}

// TestValidateLBSessionQuota: Alibaba allows 200 sessions per CLB target;
// AWS sets no limit per NLB target.
func TestValidateLBSessionQuota(t *testing.T) {
	build := func(profile string, n int) Spec {
		s := nlbSpec(true)
		s.Profile = profile
		s.Vpcs[0].CidrBlock = "10.0.0.0/16"
		s.Subnets = append(s.Subnets, Subnet{SubnetId: "subnet-many", VpcId: "vpc-1", CidrBlock: "10.0.4.0/22"})
		s.TrafficMirrorSessions = nil
		s.TrafficMirrorFilters[0].IngressFilterRules = s.TrafficMirrorFilters[0].IngressFilterRules[:1]
		for i := range n {
			id := fmt.Sprintf("eni-s%d", i)
			s.NetworkInterfaces = append(s.NetworkInterfaces, NetworkInterface{NetworkInterfaceId: id, SubnetId: "subnet-many",
				PrivateIpAddress: fmt.Sprintf("10.0.%d.%d", 4+i/250, 1+i%250)})
			s.TrafficMirrorSessions = append(s.TrafficMirrorSessions, &TrafficMirrorSession{TrafficMirrorSessionId: "tms-" + id,
				NetworkInterfaceId: id, TrafficMirrorTargetId: "tmt-adapter", TrafficMirrorFilterId: "tmf-web", SessionNumber: i + 1}) // unique: alibaba's are per account
		}
		return s
	}
	for _, c := range []struct {
		profile string
		n       int
		fail    bool
	}{{"alibaba", 200, false}, {"alibaba", 201, true}, {"aws", 201, false}} {
		s := build(c.profile, c.n)
		errs := validationErrors(t, s.Validate())
		if !c.fail {
			if len(errs) != 0 {
				t.Errorf("%s with %d sessions: %v", c.profile, c.n, errs)
			}
			continue
		}
		if len(errs) != 1 || errs[0].Code != codes.SessionLimitExceeded || errs[0].Field != "TrafficMirrorTargetId" || errs[0].ID != "tms-eni-s200" {
			t.Errorf("%s with %d sessions: %v", c.profile, c.n, errs)
		}
	}
}
