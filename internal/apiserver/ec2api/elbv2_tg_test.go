package ec2api

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/encap"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

func lbOf(t *testing.T, s *Server, arn string) cloudmock.LoadBalancer {
	t.Helper()
	for _, lb := range s.Spec().LoadBalancers {
		if lb.LoadBalancerArn == arn {
			return lb
		}
	}
	t.Fatalf("no load balancer %s in the model", arn)
	return cloudmock.LoadBalancer{}
}

// A target group's registrations become the balancer's Targets (what the
// model sends copies to) once a listener forwards to it, and leave them
// with the listener.
func TestTargetGroupFeedsTheModel(t *testing.T) {
	s, c, _ := bothClients(t, twoZones())
	lbArn := aws.ToString(createNLB(t, c, "collectors", subPublic).LoadBalancerArn)
	in := &elb.CreateTargetGroupInput{Name: aws.String("agents-udp"), Protocol: elbtypes.ProtocolEnumUdp, Port: aws.Int32(4789),
		VpcId: aws.String(vpcID), TargetType: elbtypes.TargetTypeEnumIp, HealthCheckProtocol: elbtypes.ProtocolEnumTcp, HealthCheckPort: aws.String("80")}
	tg := must(c.CreateTargetGroup(ctx, in))(t).TargetGroups[0]
	tgArn := aws.ToString(tg.TargetGroupArn)
	if tg.Protocol != elbtypes.ProtocolEnumUdp || aws.ToInt32(tg.Port) != 4789 || aws.ToString(tg.HealthCheckPort) != "80" ||
		aws.ToInt32(tg.HealthCheckIntervalSeconds) != 30 || len(tg.LoadBalancerArns) != 0 || tg.TargetType != elbtypes.TargetTypeEnumIp {
		t.Fatalf("created = %+v", tg)
	}
	if again := must(c.CreateTargetGroup(ctx, in))(t).TargetGroups[0]; aws.ToString(again.TargetGroupArn) != tgArn {
		t.Fatalf("a repeated create made another group")
	}
	in2 := *in
	in2.Port = aws.Int32(4790)
	_, err := c.CreateTargetGroup(ctx, &in2)
	wantCode(t, err, "DuplicateTargetGroupName")
	_, err = c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(tgArn), Targets: []elbtypes.TargetDescription{{Id: aws.String(eniAdapter)}}})
	wantCode(t, err, "ValidationError") // an ip group takes addresses
	_, err = c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(tgArn), Targets: []elbtypes.TargetDescription{{Id: aws.String("10.0.0.99")}}})
	wantCode(t, err, "InvalidTarget")
	must(c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(tgArn), Targets: []elbtypes.TargetDescription{{Id: aws.String("10.0.0.20")}}}))(t)
	if h := must(c.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(tgArn)}))(t).TargetHealthDescriptions; len(h) != 1 ||
		h[0].TargetHealth.State != elbtypes.TargetHealthStateEnumUnused {
		t.Fatalf("health before a listener: %+v", h)
	}
	if lb := lbOf(t, s, lbArn); len(lb.Targets) != 0 {
		t.Fatalf("targets reach the balancer with no listener: %+v", lb.Targets)
	}
	ls := must(c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(lbArn), Protocol: elbtypes.ProtocolEnumUdp, Port: aws.Int32(4789),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(tgArn)}}}))(t).Listeners[0]
	lb := lbOf(t, s, lbArn)
	if len(lb.Targets) != 1 || lb.Targets[0].NetworkInterfaceId != eniAdapter || lb.Listeners[0].TargetGroupArn != tgArn {
		t.Fatalf("model after the listener: %+v", lb)
	}
	got := must(c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{LoadBalancerArn: aws.String(lbArn)}))(t).TargetGroups
	if len(got) != 1 || !slices.Equal(got[0].LoadBalancerArns, []string{lbArn}) {
		t.Fatalf("groups of the balancer: %+v", got)
	}
	_, err = c.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: aws.String(tgArn)})
	wantCode(t, err, "ResourceInUse")
	must(c.DeleteListener(ctx, &elb.DeleteListenerInput{ListenerArn: ls.ListenerArn}))(t)
	if lb := lbOf(t, s, lbArn); len(lb.Targets) != 0 {
		t.Fatalf("targets stay after the listener went: %+v", lb.Targets)
	}
	must(c.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: aws.String(tgArn)}))(t)
	must(c.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: aws.String(tgArn)}))(t) // again: no error, as ELBv2
	_, err = c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{tgArn}})
	wantCode(t, err, "TargetGroupNotFound")
}

func TestTargetGroupRefusesAndAttributes(t *testing.T) {
	_, c, _ := bothClients(t, twoZones())
	for _, in := range []elb.CreateTargetGroupInput{
		{Name: aws.String("g"), Protocol: elbtypes.ProtocolEnumGeneve, Port: aws.Int32(6082), VpcId: aws.String(vpcID)},
		{Name: aws.String("g"), Protocol: elbtypes.ProtocolEnumUdp, VpcId: aws.String(vpcID)},
		{Name: aws.String("g"), Protocol: elbtypes.ProtocolEnumUdp, Port: aws.Int32(1), VpcId: aws.String(vpcID), TargetType: elbtypes.TargetTypeEnumLambda},
		{Name: aws.String("g"), Protocol: elbtypes.ProtocolEnumUdp, Port: aws.Int32(1), VpcId: aws.String("vpc-0000000000000099f")},
	} {
		_, err := c.CreateTargetGroup(ctx, &in)
		wantCode(t, err, "ValidationError")
	}
	gen := must(c.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("appliances"), Protocol: elbtypes.ProtocolEnumGeneve,
		Port: aws.Int32(6081), VpcId: aws.String(vpcID), Tags: []elbtypes.Tag{{Key: aws.String("a"), Value: aws.String("1")}}}))(t).TargetGroups[0]
	arn := gen.TargetGroupArn
	if gen.TargetType != elbtypes.TargetTypeEnumInstance || aws.ToString(gen.HealthCheckPort) != "80" || aws.ToInt32(gen.HealthCheckIntervalSeconds) != 10 {
		t.Fatalf("GENEVE group = %+v", gen)
	}
	must(c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: arn, Targets: []elbtypes.TargetDescription{{Id: aws.String("i-0000000000000000a")}}}))(t)
	h := must(c.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: arn}))(t).TargetHealthDescriptions
	if len(h) != 1 || aws.ToString(h[0].Target.Id) != "i-0000000000000000a" || aws.ToInt32(h[0].Target.Port) != 6081 || aws.ToString(h[0].HealthCheckPort) != "80" {
		t.Fatalf("an instance group's targets: %+v", h)
	}
	must(c.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: arn,
		Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("target_failover.on_deregistration"), Value: aws.String("rebalance")}}}))(t)
	attrs := must(c.DescribeTargetGroupAttributes(ctx, &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: arn}))(t).Attributes
	if !slices.ContainsFunc(attrs, func(a elbtypes.TargetGroupAttribute) bool {
		return aws.ToString(a.Key) == "target_failover.on_deregistration" && aws.ToString(a.Value) == "rebalance"
	}) {
		t.Fatalf("attributes = %+v", attrs)
	}
	must(c.AddTags(ctx, &elb.AddTagsInput{ResourceArns: []string{aws.ToString(arn)}, Tags: []elbtypes.Tag{{Key: aws.String("b"), Value: aws.String("2")}}}))(t)
	must(c.RemoveTags(ctx, &elb.RemoveTagsInput{ResourceArns: []string{aws.ToString(arn)}, TagKeys: []string{"a"}}))(t)
	td := must(c.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: []string{aws.ToString(arn)}}))(t).TagDescriptions
	if len(td) != 1 || len(td[0].Tags) != 1 || aws.ToString(td[0].Tags[0].Key) != "b" {
		t.Fatalf("tags = %+v", td)
	}
	_, err := c.AddTags(ctx, &elb.AddTagsInput{ResourceArns: []string{aws.ToString(arn) + "0"}, Tags: []elbtypes.Tag{{Key: aws.String("b")}}})
	wantCode(t, err, "TargetGroupNotFound")
	_, err = c.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: []string{nlbArn + "0"}})
	wantCode(t, err, "LoadBalancerNotFound")
}

// An interface that goes (its instance terminated, by whichever action)
// leaves every registration: the change is not refused for it.
func TestGoneInterfaceIsDeregistered(t *testing.T) {
	s, c, _ := bothClients(t, twoZones())
	tgArn := must(c.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("g"), Protocol: elbtypes.ProtocolEnumUdp, Port: aws.Int32(4789),
		VpcId: aws.String(vpcID), TargetType: elbtypes.TargetTypeEnumIp}))(t).TargetGroups[0].TargetGroupArn
	must(c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: tgArn, Targets: []elbtypes.TargetDescription{{Id: aws.String("10.0.0.21")}}}))(t)
	p, err := decodeParams("", "")
	if err != nil {
		t.Fatal(err)
	}
	call := &call{s: s, action: "DeleteNetworkInterface", p: p, post: true}
	if _, err := call.mutate("", func(st *state) (any, error) {
		st.spec.NetworkInterfaces = slices.DeleteFunc(st.spec.NetworkInterfaces, func(e cloudmock.NetworkInterface) bool { return e.NetworkInterfaceId == eniAgent2 })
		return struct{}{}, nil
	}); err != nil {
		t.Fatalf("removing a registered interface is refused: %v", err)
	}
	spec := s.Spec()
	if len(spec.TargetGroups[0].Targets) != 0 || len(lbOf(t, s, nlbArn).Targets) != 0 || len(lbOf(t, s, gwlbArn).Targets) != 0 {
		t.Fatalf("registrations of the gone interface stay: %+v %+v", spec.TargetGroups, spec.LoadBalancers)
	}
}

func TestModifyTargetGroupAndListenerAttributes(t *testing.T) {
	_, c, _ := bothClients(t, twoZones())
	lbArn := aws.ToString(createNLB(t, c, "web", subPublic).LoadBalancerArn)
	tg := must(c.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("tcp"), Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(80),
		VpcId: aws.String(vpcID), HealthCheckPath: aws.String("/health"), HealthCheckProtocol: elbtypes.ProtocolEnumHttp}))(t).TargetGroups[0]
	got := must(c.ModifyTargetGroup(ctx, &elb.ModifyTargetGroupInput{TargetGroupArn: tg.TargetGroupArn, HealthCheckIntervalSeconds: aws.Int32(10)}))(t).TargetGroups[0]
	if aws.ToInt32(got.HealthCheckIntervalSeconds) != 10 || aws.ToString(got.HealthCheckPath) != "/health" || got.HealthCheckProtocol != elbtypes.ProtocolEnumHttp {
		t.Fatalf("modified = %+v", got)
	}
	_, err := c.ModifyTargetGroup(ctx, &elb.ModifyTargetGroupInput{TargetGroupArn: aws.String(tgOf(t, c, nlbArn))})
	wantCode(t, err, "ValidationError")
	ls := must(c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(lbArn), Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(80),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tg.TargetGroupArn}}}))(t).Listeners[0]
	must(c.ModifyListenerAttributes(ctx, &elb.ModifyListenerAttributesInput{ListenerArn: ls.ListenerArn,
		Attributes: []elbtypes.ListenerAttribute{{Key: aws.String("tcp.idle_timeout.seconds"), Value: aws.String("600")}}}))(t)
	attrs := must(c.DescribeListenerAttributes(ctx, &elb.DescribeListenerAttributesInput{ListenerArn: ls.ListenerArn}))(t).Attributes
	if len(attrs) != 1 || aws.ToString(attrs[0].Value) != "600" {
		t.Fatalf("listener attributes = %+v", attrs)
	}
	_, err = c.ModifyListenerAttributes(ctx, &elb.ModifyListenerAttributesInput{ListenerArn: ls.ListenerArn,
		Attributes: []elbtypes.ListenerAttribute{{Key: aws.String("tcp.idle_timeout.seconds"), Value: aws.String("5")}}})
	wantCode(t, err, "InvalidConfigurationRequest")
}

// Copies of a session whose target is a created network load balancer
// reach the target its group registered, in the model the lab follows.
func TestCopiesReachACreatedNLBsTarget(t *testing.T) {
	s, c, e := bothClients(t, twoZones())
	lbArn := createNLB(t, c, "collectors", subPublic).LoadBalancerArn
	tg := must(c.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("agents"), Protocol: elbtypes.ProtocolEnumUdp, Port: aws.Int32(4789),
		VpcId: aws.String(vpcID), TargetType: elbtypes.TargetTypeEnumIp}))(t).TargetGroups[0]
	must(c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: []elbtypes.TargetDescription{{Id: aws.String("10.0.0.21")}}}))(t)
	must(c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lbArn, Protocol: elbtypes.ProtocolEnumUdp, Port: aws.Int32(4789),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tg.TargetGroupArn}}}))(t)
	f := must(e.CreateTrafficMirrorFilter(ctx, &ec2.CreateTrafficMirrorFilterInput{}))(t).TrafficMirrorFilter.TrafficMirrorFilterId
	must(e.CreateTrafficMirrorFilterRule(ctx, &ec2.CreateTrafficMirrorFilterRuleInput{TrafficMirrorFilterId: f, TrafficDirection: ec2types.TrafficDirectionIngress,
		RuleNumber: aws.Int32(100), RuleAction: ec2types.TrafficMirrorRuleActionAccept, SourceCidrBlock: aws.String("0.0.0.0/0"), DestinationCidrBlock: aws.String("0.0.0.0/0")}))(t)
	tgt := must(e.CreateTrafficMirrorTarget(ctx, &ec2.CreateTrafficMirrorTargetInput{NetworkLoadBalancerArn: lbArn}))(t).TrafficMirrorTarget.TrafficMirrorTargetId
	must(e.CreateTrafficMirrorSession(ctx, &ec2.CreateTrafficMirrorSessionInput{NetworkInterfaceId: aws.String(eniWeb), TrafficMirrorTargetId: tgt,
		TrafficMirrorFilterId: f, SessionNumber: aws.Int32(1)}))(t)
	m, err := cloudmock.New(s.Spec())
	if err != nil {
		t.Fatal(err)
	}
	d, dl, err := m.Explain(eniWeb, cloudmock.Ingress, cloudmock.Packet{Proto: encap.ProtoTCP, Src: netip.MustParseAddr("203.0.113.9"),
		Dst: netip.MustParseAddr("10.0.0.5"), SrcPort: 40000, DstPort: 80})
	if err != nil || !d.Mirrored || d.Outer.Dst != netip.MustParseAddr("10.0.0.4") || !dl.Delivered || dl.ToId != eniAgent2 {
		t.Fatalf("copy: %v; decision %s; delivery %s", err, d, dl)
	}
}
