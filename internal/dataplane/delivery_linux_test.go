package dataplane

import (
	"fmt"
	"testing"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// TestPrivilegedTruncation: the inner frame carried is cut by the session's
// packet length, and by the profile's MTU rule: AWS against the target
// ENI's MTU (reserving 54 bytes), Alibaba against the source ENI's MTU
// (reserving 50).
func TestPrivilegedTruncation(t *testing.T) {
	lab := testLab(t)
	for i, tc := range []struct {
		name, profile, src, target string
		packetLength               int
		payload                    int // UDP payload bytes: frame = payload + 42
		wantInner                  int
	}{
		{"packet-length", "aws", "web", "tgt1", 100, 1000, 100},
		{"aws-target-mtu", "aws", "web", "tgt3", 0, 4000, 1500 - 54 + 14},
		{"aws-target-mtu-small-packet", "aws", "web", "tgt3", 0, 500, 542},
		{"alibaba-source-mtu", "alibaba", "web15", "tgt1", 0, 1472, 1500 - 50 + 14},
		{"aws-source-mtu-not-applied", "aws", "web15", "tgt1", 0, 1472, 1514},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := baseSpec()
			spec.Profile = tc.profile
			addSession(&spec, "tms", tc.src, tc.target, 1, 9, cloudmock.TrafficMirrorFilter{
				IngressFilterRules: rules{rule(100, "accept", 17, 9000, 9000)},
			})
			if tc.packetLength != 0 {
				spec.TrafficMirrorSessions[0].PacketLength = new(tc.packetLength)
			}
			sk := newSink(t, lab, tc.target)
			startService(t, lab, spec, nil)
			dst := lab.Instance(tc.src).ENI("eth0").IP
			listenUDP(t, lab, tc.src, 9000).drain()
			c := listenUDP(t, lab, "client", 40400+i)
			c.send(t, ap(fmt.Sprintf("%s:9000", dst)), make([]byte, tc.payload), 2)
			got := settle(2, sk)
			if len(got) != 2 {
				t.Fatalf("%d copies arrived, want 2:%s", len(got), describe(got))
			}
			for _, a := range got {
				if len(a.inner) != tc.wantInner || len(a.raw) != 8+tc.wantInner {
					t.Errorf("inner frame %d bytes (UDP payload %d), want %d (+8)", len(a.inner), len(a.raw), tc.wantInner)
				}
				if a.innerDst != dst || a.dport != 9000 {
					t.Errorf("inner packet %s:%d, want %s:9000", a.innerDst, a.dport, dst)
				}
			}
		})
	}
}

// TestPrivilegedTargetSecurityRules: a target subnet ACL or a target
// security group without inbound UDP 4789 from the source: nothing
// arrives, the drops are counted; with the rule added, copies arrive.
func TestPrivilegedTargetSecurityRules(t *testing.T) {
	lab := testLab(t)
	tcpOnlyACL := func(extra ...cloudmock.NetworkAclEntry) []cloudmock.NetworkAcl {
		entries := append([]cloudmock.NetworkAclEntry{
			{RuleNumber: 100, Protocol: "tcp", RuleAction: "allow", CidrBlock: "0.0.0.0/0"},
			{RuleNumber: 100, Egress: true, Protocol: "-1", RuleAction: "allow", CidrBlock: "0.0.0.0/0"},
		}, extra...)
		return []cloudmock.NetworkAcl{{NetworkAclId: "acl-adapter", VpcId: "vpc-1",
			Associations: []cloudmock.NetworkAclAssociation{{SubnetId: "subnet-adapter"}}, Entries: entries}}
	}
	allow4789 := cloudmock.NetworkAclEntry{RuleNumber: 90, Protocol: "udp", RuleAction: "allow", CidrBlock: "10.0.0.0/28",
		PortRange: &cloudmock.PortRange{From: 4789, To: 4789}}
	tcp80 := cloudmock.IpPermission{IpProtocol: "tcp", FromPort: 80, ToPort: 80, IpRanges: []cloudmock.IpRange{{CidrIp: "0.0.0.0/0"}}}
	udp4789 := cloudmock.IpPermission{IpProtocol: "udp", FromPort: 4789, ToPort: 4789, IpRanges: []cloudmock.IpRange{{CidrIp: "10.0.0.5/32"}}}
	sg := func(perms ...cloudmock.IpPermission) []cloudmock.SecurityGroup {
		return []cloudmock.SecurityGroup{{GroupId: "sg-tgt", VpcId: "vpc-1", IpPermissions: perms}}
	}
	for i, tc := range []struct {
		name   string
		acl    []cloudmock.NetworkAcl
		groups []cloudmock.SecurityGroup
		want   int
		reason string // the data plane's drop reason
		model  string // the model's delivery outcome
	}{
		{"nacl-without-4789", tcpOnlyACL(), nil, 0, "target_nacl", "dropped-by-target-nacl"},
		{"nacl-with-4789", tcpOnlyACL(allow4789), nil, 3, "", "delivered"},
		{"sg-without-4789", nil, sg(tcp80), 0, "target_sg", "dropped-by-target-sg"},
		{"sg-with-4789", nil, sg(tcp80, udp4789), 3, "", "delivered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := baseSpec()
			spec.NetworkAcls = tc.acl
			if tc.groups != nil {
				spec.SecurityGroups = tc.groups
				for j := range spec.NetworkInterfaces {
					if spec.NetworkInterfaces[j].NetworkInterfaceId == "eni-tgt1" {
						spec.NetworkInterfaces[j].Groups = []string{"sg-tgt"}
					}
				}
			}
			addSession(&spec, "tms", "web", "tgt1", 1, 3, cloudmock.TrafficMirrorFilter{
				IngressFilterRules: rules{rule(100, "accept", 17, 9000, 9000)},
			})
			sk := newSink(t, lab, "tgt1")
			svc, _ := startService(t, lab, spec, nil)
			sendToWeb(t, lab, 40500+i, 9000, 3, 64)
			got := settle(tc.want, sk)
			if len(got) != tc.want {
				t.Fatalf("%d copies arrived at the target, want %d:%s", len(got), tc.want, describe(got))
			}
			snap := svc.Snapshot()
			if tc.reason != "" {
				if n := snap.Totals.Dropped[tc.reason]; n != 3 {
					t.Errorf("data plane dropped %d as %s, want 3 (%v)", n, tc.reason, snap.Totals.Dropped)
				}
			}
			if n := snap.Model.Sessions["tms"].Delivery[tc.model]; n != 3 {
				t.Errorf("model: %d copies %s, want 3 (%v)", n, tc.model, snap.Model.Sessions["tms"].Delivery)
			}
		})
	}
}
