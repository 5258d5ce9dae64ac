package ec2api_test

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/apiserver/ec2api"
	"github.com/mirrorlab/mirrorlab/scenarios"
)

var (
	awsID  = regexp.MustCompile(`^(vpc|subnet|acl|sg|eni|i|vpce|tmf|tmfr|tmt|tms)-[0-9a-f]{17}$`)
	lbARN  = regexp.MustCompile(`^arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/(net|gwy)/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}$`)
	prefix = map[string]string{"VpcId": "vpc-", "SubnetId": "subnet-", "NetworkAclId": "acl-", "GroupId": "sg-", "NetworkInterfaceId": "eni-", "InstanceId": "i-", "TrafficMirrorFilterId": "tmf-", "TrafficMirrorFilterRuleId": "tmfr-", "TrafficMirrorTargetId": "tmt-", "TrafficMirrorSessionId": "tms-", "VpcEndpointId": "vpce-", "GatewayLoadBalancerEndpointId": "vpce-"}
)

// checkIDs walks a Spec and checks every id-valued field's shape.
func checkIDs(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			fv := v.Field(i)
			p := path + "." + f.Name
			if fv.Kind() == reflect.String && fv.String() != "" {
				switch {
				case prefix[f.Name] != "":
					if !awsID.MatchString(fv.String()) || !strings.HasPrefix(fv.String(), prefix[f.Name]) {
						t.Errorf("%s = %q, want %s + 17 hex digits", p, fv.String(), prefix[f.Name])
					}
				case strings.HasSuffix(f.Name, "LoadBalancerArn"):
					if !lbARN.MatchString(fv.String()) {
						t.Errorf("%s = %q is not a load balancer ARN", p, fv.String())
					}
				}
				continue
			}
			checkIDs(t, fv, p)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			e := v.Index(i)
			if e.Kind() == reflect.String && strings.HasSuffix(path, ".Groups") {
				if !strings.HasPrefix(e.String(), "sg-") || !awsID.MatchString(e.String()) {
					t.Errorf("%s[%d] = %q, want sg- id", path, i, e.String())
				}
				continue
			}
			if e.Kind() == reflect.String && strings.HasSuffix(path, ".TrafficMirrorSourceIds") {
				if !strings.HasPrefix(e.String(), "eni-") {
					t.Errorf("%s[%d] = %q, want eni- id", path, i, e.String())
				}
				continue
			}
			checkIDs(t, e, path)
		}
	case reflect.Pointer:
		if !v.IsNil() {
			checkIDs(t, v.Elem(), path)
		}
	}
}

// Every scenario of the library keeps its validity through AssignIDs (all
// references rewritten), gets AWS-shaped ids, a Name per named resource,
// and the same ids for the same seed.
func TestAssignIDsOnTheLibrary(t *testing.T) {
	lib, names := scenarios.Library()
	lib["default.yaml"] = scenarios.Default()
	names = append(names, "default.yaml")
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			sc, err := scenarios.Load(strings.TrimSuffix(name, ".yaml"))
			if name == "default.yaml" {
				sc, err = scenarios.Load("")
			}
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			orig := sc.Model()
			before, _ := json.Marshal(orig)
			spec, ids := ec2api.AssignIDs(orig, name)
			if after, _ := json.Marshal(orig); string(after) != string(before) {
				t.Fatal("AssignIDs changed its input")
			}
			_, errOrig := cloudmock.New(orig)
			_, errNew := cloudmock.New(spec)
			if (errOrig == nil) != (errNew == nil) {
				t.Fatalf("validity changed: before %v, after %v", errOrig, errNew)
			}
			checkIDs(t, reflect.ValueOf(spec), "Spec")
			for _, e := range spec.NetworkInterfaces {
				if ids[e.NetworkInterfaceId] == "" {
					t.Errorf("ENI %s has no name", e.NetworkInterfaceId)
				}
			}
			for i, e := range orig.NetworkInterfaces {
				if got := ids[spec.NetworkInterfaces[i].NetworkInterfaceId]; got != e.NetworkInterfaceId {
					t.Errorf("name of %s = %q, want %q", spec.NetworkInterfaces[i].NetworkInterfaceId, got, e.NetworkInterfaceId)
				}
			}
			again, ids2 := ec2api.AssignIDs(orig, name)
			if !reflect.DeepEqual(again, spec) || !reflect.DeepEqual(ids, ids2) {
				t.Fatal("AssignIDs is not deterministic")
			}
			if errOrig == nil {
				if _, err := ec2api.New(ec2api.Config{Spec: spec, Names: ids}); err != nil {
					t.Fatalf("New on the assigned spec: %v", err)
				}
			}
		})
	}
}

func TestAssignIDsSeedAndARN(t *testing.T) {
	spec := cloudmock.Spec{
		Vpcs:              []cloudmock.Vpc{{VpcId: "vpc", CidrBlock: "10.0.0.0/24"}},
		Subnets:           []cloudmock.Subnet{{SubnetId: "a", VpcId: "vpc", CidrBlock: "10.0.0.0/28"}},
		NetworkInterfaces: []cloudmock.NetworkInterface{{NetworkInterfaceId: "agent", SubnetId: "a", PrivateIpAddress: "10.0.0.5"}},
		LoadBalancers: []cloudmock.LoadBalancer{{LoadBalancerArn: "my agents_nlb", Type: "network", SubnetId: "a", PrivateIpAddress: "10.0.0.9",
			Targets: []cloudmock.TargetDescription{{NetworkInterfaceId: "agent"}}}},
		TrafficMirrorTargets: []*cloudmock.TrafficMirrorTarget{{TrafficMirrorTargetId: "t", NetworkLoadBalancerArn: "my agents_nlb"}},
	}
	a, names := ec2api.AssignIDsIn(spec, "s1", "eu-west-1", "111122223333")
	arn := a.LoadBalancers[0].LoadBalancerArn
	if !regexp.MustCompile(`^arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/net/my-agents-nlb/[0-9a-f]{16}$`).MatchString(arn) {
		t.Fatalf("ARN = %s", arn)
	}
	if a.TrafficMirrorTargets[0].NetworkLoadBalancerArn != arn || names[arn] != "my agents_nlb" {
		t.Fatalf("target ARN %s, name %q", a.TrafficMirrorTargets[0].NetworkLoadBalancerArn, names[arn])
	}
	if a.Subnets[0].SubnetId == a.Vpcs[0].VpcId[len("vpc-"):] {
		t.Fatal("kinds share ids")
	}
	b, _ := ec2api.AssignIDsIn(spec, "s2", "eu-west-1", "111122223333")
	if b.NetworkInterfaces[0].NetworkInterfaceId == a.NetworkInterfaces[0].NetworkInterfaceId {
		t.Fatal("another seed gave the same ids")
	}
}

// pinnedSpec uses every kind of id field once, and the special cases of
// AssignIDs: unnamed filter rules, a gateway load balancer named by a
// target, a target naming a load balancer that does not exist.
func pinnedSpec() cloudmock.Spec {
	rules := []cloudmock.TrafficMirrorFilterRule{{RuleNumber: 1}, {RuleNumber: 2, TrafficMirrorFilterRuleId: "named"}}
	perm := []cloudmock.IpPermission{{IpProtocol: "-1", UserIdGroupPairs: []cloudmock.UserIdGroupPair{{GroupId: "g"}}}}
	return cloudmock.Spec{
		Vpcs:                         []cloudmock.Vpc{{VpcId: "v"}},
		Subnets:                      []cloudmock.Subnet{{SubnetId: "s", VpcId: "v"}},
		TransitGateways:              []cloudmock.TransitGateway{{TransitGatewayId: "t"}},
		TransitGatewayVpcAttachments: []cloudmock.TransitGatewayVpcAttachment{{TransitGatewayAttachmentId: "at", TransitGatewayId: "t", VpcId: "v"}},
		VpcPeeringConnections: []cloudmock.VpcPeeringConnection{{VpcPeeringConnectionId: "p",
			RequesterVpcInfo: cloudmock.VpcPeeringConnectionVpcInfo{VpcId: "v"}, AccepterVpcInfo: cloudmock.VpcPeeringConnectionVpcInfo{VpcId: "v"}}},
		NetworkAcls:       []cloudmock.NetworkAcl{{NetworkAclId: "a", VpcId: "v", Associations: []cloudmock.NetworkAclAssociation{{SubnetId: "s"}}}},
		SecurityGroups:    []cloudmock.SecurityGroup{{GroupId: "g", VpcId: "v", IpPermissionsEgress: perm}},
		NetworkInterfaces: []cloudmock.NetworkInterface{{NetworkInterfaceId: "e", SubnetId: "s", InstanceId: "i", Groups: []string{"g"}}},
		LoadBalancers: []cloudmock.LoadBalancer{{LoadBalancerArn: "gw", Type: "gateway", SubnetId: "s", VpcEndpointId: "ep",
			Targets: []cloudmock.TargetDescription{{NetworkInterfaceId: "e"}}}},
		TrafficMirrorFilters: []*cloudmock.TrafficMirrorFilter{{TrafficMirrorFilterId: "f", IngressFilterRules: rules, EgressFilterRules: rules}},
		TrafficMirrorTargets: []*cloudmock.TrafficMirrorTarget{{TrafficMirrorTargetId: "tg", NetworkLoadBalancerArn: "gw"},
			{TrafficMirrorTargetId: "tn", NetworkLoadBalancerArn: "none", GatewayLoadBalancerEndpointId: "ep"}},
		TrafficMirrorSessions: []*cloudmock.TrafficMirrorSession{{TrafficMirrorSessionId: "m", NetworkInterfaceId: "e",
			TrafficMirrorSourceIds: []string{"e"}, TrafficMirrorTargetId: "tg", TrafficMirrorFilterId: "f"}},
	}
}

// The ids of a file never change from one version of mirrorlab to the
// next (users keep them in scripts): these were assigned before AssignIDs
// used cloudmock's EachID, and must stay.
func TestAssignIDsPinned(t *testing.T) {
	s, names := ec2api.AssignIDs(pinnedSpec(), "pinned")
	const arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/"
	for _, c := range []struct{ got, want string }{
		{s.Vpcs[0].VpcId, "vpc-ac3bc983eab9b446d"},
		{s.Subnets[0].VpcId, "vpc-ac3bc983eab9b446d"},
		{s.TransitGatewayVpcAttachments[0].TransitGatewayAttachmentId, "tgw-attach-13fde607c95fc1270"},
		{s.VpcPeeringConnections[0].AccepterVpcInfo.VpcId, "vpc-ac3bc983eab9b446d"},
		{s.SecurityGroups[0].IpPermissionsEgress[0].UserIdGroupPairs[0].GroupId, "sg-7446f46ce73c08cce"},
		{s.NetworkInterfaces[0].InstanceId, "i-cc64c0653005ecc03"},
		{s.LoadBalancers[0].LoadBalancerArn, arn + "gwy/gw/51a10dc76ad55857"},
		{s.LoadBalancers[0].VpcEndpointId, "vpce-40583713cb40a0801"},
		{s.TrafficMirrorFilters[0].IngressFilterRules[0].TrafficMirrorFilterRuleId, "tmfr-85106de0c02cd9656"},
		{s.TrafficMirrorFilters[0].EgressFilterRules[0].TrafficMirrorFilterRuleId, "tmfr-d1cfad3e72d5e4a57"},
		{s.TrafficMirrorFilters[0].EgressFilterRules[1].TrafficMirrorFilterRuleId, "tmfr-86e73729a8df8b108"},
		{s.TrafficMirrorTargets[0].NetworkLoadBalancerArn, arn + "gwy/gw/51a10dc76ad55857"},
		{s.TrafficMirrorTargets[1].NetworkLoadBalancerArn, arn + "net/none/7b178daa11c4e6c8"},
		{s.TrafficMirrorSessions[0].TrafficMirrorSourceIds[0], "eni-3c1a535ba8037ffd2"},
	} {
		if c.got != c.want {
			t.Errorf("id %q, want %q", c.got, c.want)
		}
	}
	// every named resource (and named reference) has its name, unnamed
	// rules none
	if len(names) != 17 || names[arn+"gwy/gw/51a10dc76ad55857"] != "gw" ||
		names["tmfr-86e73729a8df8b108"] != "named" || names["tmfr-85106de0c02cd9656"] != "" {
		t.Errorf("names = %v", names)
	}
}
