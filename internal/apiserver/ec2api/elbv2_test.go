package ec2api

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/sdkhttp"
)

// elbServer serves cfg (the fixture when cfg.Spec is empty) on 127.0.0.1
// and returns an ELBv2 client pointed at it.
func elbServer(tb testing.TB, cfg Config) (*Server, *elb.Client) {
	tb.Helper()
	s, url := startServer(tb, cfg)
	return s, elb.New(elb.Options{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		BaseEndpoint:     aws.String(url),
		RetryMaxAttempts: 1,
		HTTPClient:       sdkhttp.Client{},
	})
}

func tgOf(tb testing.TB, c *elb.Client, lbArn string) string {
	tb.Helper()
	out := must(c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{LoadBalancerArn: aws.String(lbArn)}))(tb)
	if len(out.TargetGroups) != 1 {
		tb.Fatalf("target groups of %s: %+v", lbArn, out.TargetGroups)
	}
	return aws.ToString(out.TargetGroups[0].TargetGroupArn)
}

func TestDescribeLoadBalancers(t *testing.T) {
	s, c := elbServer(t, Config{})
	out := must(c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{nlbArn}}))(t)
	lb := out.LoadBalancers[0]
	if len(out.LoadBalancers) != 1 || aws.ToString(lb.LoadBalancerName) != "agents" || lb.Type != elbtypes.LoadBalancerTypeEnumNetwork ||
		aws.ToString(lb.VpcId) != vpcID || lb.State.Code != elbtypes.LoadBalancerStateEnumActive || lb.Scheme != elbtypes.LoadBalancerSchemeEnumInternal ||
		len(lb.AvailabilityZones) != 1 || aws.ToString(lb.AvailabilityZones[0].SubnetId) != subAdapter ||
		aws.ToString(lb.AvailabilityZones[0].LoadBalancerAddresses[0].PrivateIPv4Address) != "10.0.0.25" || lb.CreatedTime == nil {
		t.Fatalf("NLB = %+v", lb)
	}
	byName := must(c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{"inspect"}}))(t)
	if len(byName.LoadBalancers) != 1 || byName.LoadBalancers[0].Type != elbtypes.LoadBalancerTypeEnumGateway {
		t.Fatalf("by name: %+v", byName.LoadBalancers)
	}
	p := elb.NewDescribeLoadBalancersPaginator(c, &elb.DescribeLoadBalancersInput{PageSize: aws.Int32(1)})
	n, pages := 0, 0
	for p.HasMorePages() {
		n += len(must(p.NextPage(ctx))(t).LoadBalancers)
		pages++
	}
	if n != 2 || pages != 2 {
		t.Fatalf("%d load balancers in %d pages, want 2 in 2", n, pages)
	}
	_, err := c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{nlbArn + "0"}})
	wantCode(t, err, "LoadBalancerNotFound")
	var nf *elbtypes.LoadBalancerNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("the SDK does not see its typed error: %T %v", err, err)
	}
	_, err = c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{"nope"}})
	wantCode(t, err, "LoadBalancerNotFound")
	_, err = c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{"agents"}, LoadBalancerArns: []string{nlbArn}})
	wantCode(t, err, "ValidationError")
	_, err = c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Marker: aws.String("bogus")})
	wantCode(t, err, "ValidationError")
	// errors in ELBv2's shape
	st, body := rawBody(t, s, "Action=Nope&Version=2015-12-01")
	if st != 400 || !strings.Contains(body, "<ErrorResponse") || !strings.Contains(body, "<Type>Sender</Type><Code>InvalidAction</Code>") || !strings.Contains(body, "<RequestId>") {
		t.Fatalf("unknown ELBv2 action: %d %s", st, body)
	}
}

func TestDescribeTargetGroupsAndHealth(t *testing.T) {
	healthy := map[string]bool{eniAgent2: false}
	_, c := elbServer(t, Config{TargetHealth: func(lb, eni string) (bool, error) { return healthy[eni], nil }})
	tgs := must(c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{}))(t).TargetGroups
	if len(tgs) != 2 {
		t.Fatalf("target groups: %+v", tgs)
	}
	tg := tgOf(t, c, nlbArn)
	one := must(c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{tg}}))(t).TargetGroups[0]
	if one.Protocol != elbtypes.ProtocolEnumUdp || aws.ToInt32(one.Port) != 4789 || one.TargetType != elbtypes.TargetTypeEnumIp ||
		aws.ToString(one.VpcId) != vpcID || len(one.LoadBalancerArns) != 1 || one.LoadBalancerArns[0] != nlbArn || tgOf(t, c, nlbArn) != tg {
		t.Fatalf("NLB target group = %+v", one)
	}
	if n := must(c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{Names: []string{aws.ToString(one.TargetGroupName)}}))(t).TargetGroups; len(n) != 1 {
		t.Fatalf("by name: %+v", n)
	}
	_, err := c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{tg + "0"}})
	wantCode(t, err, "TargetGroupNotFound")
	_, err = c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{LoadBalancerArn: aws.String(nlbArn + "0")})
	wantCode(t, err, "LoadBalancerNotFound")

	h := must(c.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg)}))(t).TargetHealthDescriptions
	if len(h) != 1 || aws.ToString(h[0].Target.Id) != "10.0.0.21" || aws.ToInt32(h[0].Target.Port) != 4789 ||
		h[0].TargetHealth.State != elbtypes.TargetHealthStateEnumUnhealthy || h[0].TargetHealth.Reason != elbtypes.TargetHealthReasonEnumFailedHealthChecks {
		t.Fatalf("health (checks failing) = %+v", h)
	}
	healthy[eniAgent2] = true
	h = must(c.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg),
		Targets: []elbtypes.TargetDescription{{Id: aws.String("10.0.0.21")}, {Id: aws.String("10.0.0.36")}}}))(t).TargetHealthDescriptions
	if len(h) != 2 || h[0].TargetHealth.State != elbtypes.TargetHealthStateEnumHealthy || h[1].TargetHealth.State != elbtypes.TargetHealthStateEnumUnused {
		t.Fatalf("health of a registered and an unregistered target = %+v", h)
	}
	_, err = c.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg), Targets: []elbtypes.TargetDescription{{Id: aws.String("192.0.2.1")}}})
	wantCode(t, err, "InvalidTarget")
	_, err = c.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg + "0")})
	wantCode(t, err, "TargetGroupNotFound")
}

func TestRegisterDeregisterTargets(t *testing.T) {
	var applied int
	s, c := elbServer(t, Config{Apply: func(cloudmock.Spec) error { applied++; return nil }})
	tg := tgOf(t, c, nlbArn)
	targets := func() (ids []string) {
		for _, x := range s.Spec().LoadBalancers[0].Targets {
			ids = append(ids, x.NetworkInterfaceId)
		}
		return ids
	}
	// by address, by instance id; again: no change
	must(c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(tg), Targets: []elbtypes.TargetDescription{{Id: aws.String("10.0.0.20"), Port: aws.Int32(4789)}, {Id: aws.String("i-0000000000000000a")}}}))(t)
	must(c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(tg), Targets: []elbtypes.TargetDescription{{Id: aws.String("10.0.0.20")}}}))(t)
	sameIDs(t, "registered", targets(), []string{eniAgent2, eniAdapter, eniWeb})
	if applied != 2 {
		t.Fatalf("Apply called %d times, want 2", applied)
	}
	_, err := c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(tg), Targets: []elbtypes.TargetDescription{{Id: aws.String("192.0.2.1")}}})
	wantCode(t, err, "InvalidTarget")
	_, err = c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(tg), Targets: []elbtypes.TargetDescription{{Id: aws.String("10.0.0.36"), Port: aws.Int32(80)}}})
	wantCode(t, err, "ValidationError")
	_, err = c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(tg + "0"), Targets: []elbtypes.TargetDescription{{Id: aws.String("10.0.0.36")}}})
	wantCode(t, err, "TargetGroupNotFound")
	wantRawELB(t, s, "Action=RegisterTargets&Version=2015-12-01&TargetGroupArn="+tg, 400, "ValidationError")

	must(c.DeregisterTargets(ctx, &elb.DeregisterTargetsInput{TargetGroupArn: aws.String(tg), Targets: []elbtypes.TargetDescription{{Id: aws.String("10.0.0.20")}, {Id: aws.String(eniWeb)}}}))(t)
	sameIDs(t, "after deregister", targets(), []string{eniAgent2})
	_, err = c.DeregisterTargets(ctx, &elb.DeregisterTargetsInput{TargetGroupArn: aws.String(tg), Targets: []elbtypes.TargetDescription{{Id: aws.String("10.0.0.20")}}})
	wantCode(t, err, "InvalidTarget")
	_, err = c.DeregisterTargets(ctx, &elb.DeregisterTargetsInput{TargetGroupArn: aws.String(tg + "0"), Targets: []elbtypes.TargetDescription{{Id: aws.String("10.0.0.20")}}})
	wantCode(t, err, "TargetGroupNotFound")
	if applied != 3 {
		t.Fatalf("Apply called %d times, want 3", applied)
	}
}

func TestListeners(t *testing.T) {
	s, c := elbServer(t, Config{})
	tg := tgOf(t, c, nlbArn)
	ls := must(c.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: aws.String(nlbArn)}))(t).Listeners
	if len(ls) != 1 || ls[0].Protocol != elbtypes.ProtocolEnumUdp || aws.ToInt32(ls[0].Port) != 4789 ||
		len(ls[0].DefaultActions) != 1 || aws.ToString(ls[0].DefaultActions[0].TargetGroupArn) != tg {
		t.Fatalf("listeners = %+v", ls)
	}
	arn := aws.ToString(ls[0].ListenerArn)
	if !strings.HasPrefix(arn, "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/net/agents/") {
		t.Fatalf("listener ARN %s", arn)
	}
	// removing the UDP 4789 listener: the model loses mirrored traffic
	must(c.DeleteListener(ctx, &elb.DeleteListenerInput{ListenerArn: aws.String(arn)}))(t)
	if l := s.Spec().LoadBalancers[0].Listeners; len(l) != 0 {
		t.Fatalf("listeners after delete = %+v", l)
	}
	_, err := c.DeleteListener(ctx, &elb.DeleteListenerInput{ListenerArn: aws.String(arn)})
	wantCode(t, err, "ListenerNotFound")
	_, err = c.DescribeListeners(ctx, &elb.DescribeListenersInput{ListenerArns: []string{arn}})
	wantCode(t, err, "ListenerNotFound")

	forward := []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(tg)}}
	in := &elb.CreateListenerInput{LoadBalancerArn: aws.String(nlbArn), Protocol: elbtypes.ProtocolEnumUdp, Port: aws.Int32(4789), DefaultActions: forward}
	created := must(c.CreateListener(ctx, in))(t).Listeners
	if len(created) != 1 || aws.ToString(created[0].ListenerArn) != arn {
		t.Fatalf("created = %+v (the same listener gets the same ARN)", created)
	}
	if again := must(c.CreateListener(ctx, in))(t).Listeners; aws.ToString(again[0].ListenerArn) != arn || len(s.Spec().LoadBalancers[0].Listeners) != 1 {
		t.Fatalf("creating it again is not idempotent: %+v", again)
	}
	_, err = c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(nlbArn), Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(4789), DefaultActions: forward})
	wantCode(t, err, "DuplicateListener")
	_, err = c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(nlbArn), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80), DefaultActions: forward})
	wantCode(t, err, "UnsupportedProtocol")
	_, err = c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(nlbArn + "0"), Protocol: elbtypes.ProtocolEnumUdp, Port: aws.Int32(4790), DefaultActions: forward})
	wantCode(t, err, "LoadBalancerNotFound")
	_, err = c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(nlbArn), Protocol: elbtypes.ProtocolEnumUdp, Port: aws.Int32(4790),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(tg + "0")}}})
	wantCode(t, err, "TargetGroupNotFound")
	_, err = c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(nlbArn), Protocol: elbtypes.ProtocolEnumUdp, Port: aws.Int32(4790),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(tgOf(t, c, gwlbArn))}}})
	wantCode(t, err, "ValidationError")
	_, err = c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(nlbArn), Protocol: elbtypes.ProtocolEnumUdp, Port: aws.Int32(0), DefaultActions: forward})
	wantCode(t, err, "ValidationError")
	wantRawELB(t, s, "Action=CreateListener&Version=2015-12-01&LoadBalancerArn="+nlbArn+"&Protocol=UDP&Port=4791", 400, "ValidationError")
	// a gateway's one listener has no protocol or port
	gw := must(c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(gwlbArn),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(tgOf(t, c, gwlbArn))}}}))(t).Listeners
	if len(gw) != 1 || gw[0].Port != nil || gw[0].Protocol != "" {
		t.Fatalf("gateway listener = %+v", gw)
	}
	_, err = c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(gwlbArn), Protocol: elbtypes.ProtocolEnumUdp, Port: aws.Int32(6081),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(tgOf(t, c, gwlbArn))}}})
	wantCode(t, err, "ValidationError")
	_, err = c.DescribeListeners(ctx, &elb.DescribeListenersInput{})
	wantCode(t, err, "ValidationError")
}

// rawBody posts a form to the handler and returns the status and body.
func rawBody(tb testing.TB, s *Server, form string) (int, string) {
	tb.Helper()
	req := httptest.NewRequest("POST", "/", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// wantRawELB fails unless the form is answered with the status and the
// ELBv2 error code.
func wantRawELB(tb testing.TB, s *Server, form string, status int, code string) {
	tb.Helper()
	st, body := rawBody(tb, s, form)
	if st != status || !strings.Contains(body, "<Code>"+code+"</Code>") {
		tb.Fatalf("%s: answered %d %s, want %d %s", form, st, body, status, code)
	}
}

// A dual-stack Gateway Load Balancer is described as elbv2 does:
// IpAddressType dualstack and no addresses (a Gateway Load Balancer shows
// none: the provider's subnet_mapping would differ from its config); the
// IPv4-only NLB stays ipv4 with its address and no IPv6 address.
func TestDescribeDualStackLoadBalancer(t *testing.T) {
	spec := fixtureSpec()
	spec.Vpcs[0].Ipv6CidrBlock = "2001:db8:0:100::/56"
	spec.Subnets[1].Ipv6CidrBlock = "2001:db8:0:101::/64"
	spec.LoadBalancers[1].Ipv6Address = "2001:db8:0:101::26"
	_, c := elbServer(t, Config{Spec: spec})
	out := must(c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{gwlbArn, nlbArn}}))(t)
	for _, lb := range out.LoadBalancers {
		if aws.ToString(lb.LoadBalancerArn) == gwlbArn {
			if lb.IpAddressType != elbtypes.IpAddressTypeDualstack || len(lb.AvailabilityZones[0].LoadBalancerAddresses) != 0 {
				t.Errorf("dual-stack GWLB: %s, %+v", lb.IpAddressType, lb.AvailabilityZones[0].LoadBalancerAddresses)
			}
			continue
		}
		a := lb.AvailabilityZones[0].LoadBalancerAddresses[0]
		switch aws.ToString(lb.LoadBalancerArn) {
		default:
			if lb.IpAddressType != elbtypes.IpAddressTypeIpv4 || a.IPv6Address != nil {
				t.Errorf("IPv4 NLB: %s, %+v", lb.IpAddressType, a)
			}
		}
	}
	if len(out.LoadBalancers) != 2 {
		t.Fatalf("%d load balancers", len(out.LoadBalancers))
	}
}
