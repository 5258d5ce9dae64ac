package ec2api

import (
	"fmt"
	"regexp"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// twoZones places the public and test subnets in two zones, so that a
// load balancer may span them.
func twoZones() Config {
	spec := fixtureSpec()
	for i := range spec.Subnets {
		switch spec.Subnets[i].SubnetId {
		case subPublic:
			spec.Subnets[i].AvailabilityZone = "us-east-1a"
		case subTest:
			spec.Subnets[i].AvailabilityZone = "us-east-1b"
		}
	}
	return Config{Spec: spec}
}

// bothClients serves cfg and returns ELBv2 and EC2 clients of it.
func bothClients(tb testing.TB, cfg Config) (*Server, *elb.Client, *ec2.Client) {
	tb.Helper()
	s, url := startServer(tb, cfg)
	return s, elb.New(elb.Options{Region: "us-east-1", Credentials: newClient(url).Options().Credentials, BaseEndpoint: aws.String(url),
		RetryMaxAttempts: 1, HTTPClient: newClient(url).Options().HTTPClient}), newClient(url)
}

// elbENIs are the interfaces the provider's delete waits for: its
// filters, exactly.
func elbENIs(t *testing.T, c *ec2.Client, owner, desc string) []ec2types.NetworkInterface {
	t.Helper()
	return must(c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{Filters: []ec2types.Filter{
		{Name: aws.String("attachment.instance-owner-id"), Values: []string{owner}},
		{Name: aws.String("description"), Values: []string{desc}},
	}}))(t).NetworkInterfaces
}

func createNLB(t *testing.T, c *elb.Client, name string, subnets ...string) elbtypes.LoadBalancer {
	t.Helper()
	out := must(c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String(name), Type: elbtypes.LoadBalancerTypeEnumNetwork,
		Scheme: elbtypes.LoadBalancerSchemeEnumInternal, Subnets: subnets, Tags: []elbtypes.Tag{{Key: aws.String("team"), Value: aws.String("sec")}}}))(t)
	return out.LoadBalancers[0]
}

func TestCreateAndDeleteNLB(t *testing.T) {
	s, c, e := bothClients(t, twoZones())
	lb := createNLB(t, c, "collectors", subPublic, subTest)
	arn := aws.ToString(lb.LoadBalancerArn)
	if !regexp.MustCompile(`^arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/collectors/[0-9a-f]{16}$`).MatchString(arn) ||
		lb.State.Code != elbtypes.LoadBalancerStateEnumProvisioning || len(lb.AvailabilityZones) != 2 {
		t.Fatalf("created = %+v", lb)
	}
	got := must(c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{"collectors"}}))(t).LoadBalancers[0]
	addrs := []string{aws.ToString(got.AvailabilityZones[0].LoadBalancerAddresses[0].PrivateIPv4Address), aws.ToString(got.AvailabilityZones[1].LoadBalancerAddresses[0].PrivateIPv4Address)}
	// the lowest free addresses: 10.0.0.4 (.5 and .6 are taken), 10.0.0.37 (.36 is)
	if got.State.Code != elbtypes.LoadBalancerStateEnumActive || got.Scheme != elbtypes.LoadBalancerSchemeEnumInternal || aws.ToString(got.VpcId) != vpcID ||
		!slices.Equal(addrs, []string{"10.0.0.4", "10.0.0.37"}) || aws.ToString(got.DNSName) == "" {
		t.Fatalf("described = %+v (addresses %v)", got, addrs)
	}
	desc := "ELB net/collectors/" + arn[len(arn)-16:]
	enis := elbENIs(t, e, "amazon-aws", desc)
	if len(enis) != 2 || enis[0].InterfaceType != "network_load_balancer" || !aws.ToBool(enis[0].RequesterManaged) || enis[0].Attachment == nil ||
		enis[0].Attachment.InstanceId != nil || aws.ToString(enis[0].Description) != desc {
		t.Fatalf("the balancer's interfaces = %+v", enis)
	}
	if n := len(elbENIs(t, e, "amazon-elb", desc)); n != 0 {
		t.Fatalf("an NLB's interfaces are amazon-aws's, not amazon-elb's: %d", n)
	}
	one := must(e.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: []string{aws.ToString(enis[0].NetworkInterfaceId)}}))(t)
	if len(one.NetworkInterfaces) != 1 {
		t.Fatalf("by id: %+v", one.NetworkInterfaces)
	}
	// the same request again answers the same balancer; other subnets clash
	if again := createNLB(t, c, "collectors", subPublic, subTest); aws.ToString(again.LoadBalancerArn) != arn {
		t.Fatalf("a repeated create made %s", aws.ToString(again.LoadBalancerArn))
	}
	_, err := c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("collectors"), Type: elbtypes.LoadBalancerTypeEnumNetwork, Subnets: []string{subPublic}})
	wantCode(t, err, "DuplicateLoadBalancerName")
	tags := must(c.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: []string{arn}}))(t).TagDescriptions
	if len(tags) != 1 || len(tags[0].Tags) != 1 || aws.ToString(tags[0].Tags[0].Key) != "team" {
		t.Fatalf("tags = %+v", tags)
	}
	deleteNLB(t, s, c, e, arn, desc)
}

// deleteNLB checks what keeps a load balancer, then deletes it and sees
// its interfaces go.
func deleteNLB(t *testing.T, s *Server, c *elb.Client, e *ec2.Client, arn, desc string) {
	t.Helper()
	tmt := must(e.CreateTrafficMirrorTarget(ctx, &ec2.CreateTrafficMirrorTargetInput{NetworkLoadBalancerArn: aws.String(arn)}))(t).TrafficMirrorTarget
	_, err := c.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(arn)})
	wantCode(t, err, "ResourceInUse")
	must(e.DeleteTrafficMirrorTarget(ctx, &ec2.DeleteTrafficMirrorTargetInput{TrafficMirrorTargetId: tmt.TrafficMirrorTargetId}))(t)
	protect := func(v string) {
		must(c.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: aws.String(arn),
			Attributes: []elbtypes.LoadBalancerAttribute{{Key: aws.String("deletion_protection.enabled"), Value: aws.String(v)}}}))(t)
	}
	protect("true")
	_, err = c.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(arn)})
	wantCode(t, err, "OperationNotPermitted")
	protect("false")
	must(c.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(arn)}))(t)
	if n := len(elbENIs(t, e, "amazon-aws", desc)); n != 0 {
		t.Fatalf("%d interfaces stay after the delete: the provider's teardown would wait", n)
	}
	for _, lb := range s.Spec().LoadBalancers {
		if lb.LoadBalancerArn == arn {
			t.Fatalf("the model keeps the deleted balancer")
		}
	}
	must(c.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(arn)}))(t) // ELBv2: no error the second time
	_, err = c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{arn}})
	wantCode(t, err, "LoadBalancerNotFound")
}

func TestCreateLoadBalancerRefuses(t *testing.T) {
	_, c := elbServer(t, twoZones())
	for _, tc := range []struct {
		in   elb.CreateLoadBalancerInput
		code string
	}{
		{elb.CreateLoadBalancerInput{Name: aws.String("-bad"), Type: elbtypes.LoadBalancerTypeEnumNetwork, Subnets: []string{subPublic}}, "ValidationError"},
		{elb.CreateLoadBalancerInput{Name: aws.String("internal-x"), Type: elbtypes.LoadBalancerTypeEnumNetwork, Subnets: []string{subPublic}}, "ValidationError"},
		{elb.CreateLoadBalancerInput{Name: aws.String("web"), Type: elbtypes.LoadBalancerTypeEnumApplication, Subnets: []string{subPublic}}, "ValidationError"},
		{elb.CreateLoadBalancerInput{Name: aws.String("web"), Type: elbtypes.LoadBalancerTypeEnumNetwork}, "ValidationError"},
		{elb.CreateLoadBalancerInput{Name: aws.String("web"), Type: elbtypes.LoadBalancerTypeEnumNetwork, Subnets: []string{subPublic}, SecurityGroups: []string{sgWeb}}, "ValidationError"},
		{elb.CreateLoadBalancerInput{Name: aws.String("web"), Type: elbtypes.LoadBalancerTypeEnumNetwork, Subnets: []string{"subnet-0000000000000099f"}}, "SubnetNotFound"},
		{elb.CreateLoadBalancerInput{Name: aws.String("web"), Type: elbtypes.LoadBalancerTypeEnumNetwork, Subnets: []string{subPublic, subAdapter}}, "InvalidConfigurationRequest"},
		{elb.CreateLoadBalancerInput{Name: aws.String("web"), Type: elbtypes.LoadBalancerTypeEnumNetwork,
			SubnetMappings: []elbtypes.SubnetMapping{{SubnetId: aws.String(subPublic), PrivateIPv4Address: aws.String("10.0.0.5")}}}, "InvalidConfigurationRequest"},
	} {
		_, err := c.CreateLoadBalancer(ctx, &tc.in)
		wantCode(t, err, tc.code)
	}
}

func TestTooManyLoadBalancers(t *testing.T) {
	cfg := twoZones()
	cfg.Spec.Subnets = append(cfg.Spec.Subnets, cloudmock.Subnet{SubnetId: "subnet-0000000000000000d", VpcId: vpcID, CidrBlock: "10.0.0.128/25"})
	for i := range cloudmock.NetworkLoadBalancersPerRegion - 1 { // the fixture has one
		cfg.Spec.LoadBalancers = append(cfg.Spec.LoadBalancers, cloudmock.LoadBalancer{Type: "network", SubnetId: "subnet-0000000000000000d",
			LoadBalancerArn: fmt.Sprintf("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/n%d/%016x", i, i), PrivateIpAddress: fmt.Sprintf("10.0.0.%d", 132+i)})
	}
	_, c, _ := bothClients(t, cfg)
	_, err := c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("one-more"), Type: elbtypes.LoadBalancerTypeEnumNetwork, Subnets: []string{subPublic}})
	wantCode(t, err, "TooManyLoadBalancers")
	must(c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("gw"), Type: elbtypes.LoadBalancerTypeEnumGateway, Subnets: []string{subPublic}}))(t)
}

func TestDualStackNLB(t *testing.T) {
	cfg := twoZones()
	cfg.Spec.Vpcs[0].Ipv6CidrBlock = "2001:db8:0:100::/56"
	cfg.Spec.Subnets[0].Ipv6CidrBlock = "2001:db8:0:100::/64" // public
	cfg.Spec.Subnets[2].Ipv6CidrBlock = "2001:db8:0:102::/64" // test
	s, c, e := bothClients(t, cfg)
	in := &elb.CreateLoadBalancerInput{Name: aws.String("v6"), Type: elbtypes.LoadBalancerTypeEnumNetwork, IpAddressType: elbtypes.IpAddressTypeDualstack,
		Subnets: []string{subPublic, subTest}}
	lb := must(c.CreateLoadBalancer(ctx, in))(t).LoadBalancers[0]
	arn := aws.ToString(lb.LoadBalancerArn)
	if lb.IpAddressType != elbtypes.IpAddressTypeDualstack || aws.ToString(lb.AvailabilityZones[0].LoadBalancerAddresses[0].IPv6Address) != "2001:db8:0:100::4" ||
		aws.ToString(lb.AvailabilityZones[1].LoadBalancerAddresses[0].IPv6Address) != "2001:db8:0:102::4" {
		t.Fatalf("dual-stack balancer = %+v", lb.AvailabilityZones)
	}
	enis := elbENIs(t, e, "amazon-aws", "ELB net/v6/"+arn[len(arn)-16:])
	if len(enis) != 2 || len(enis[0].Ipv6Addresses) != 1 {
		t.Fatalf("its interfaces = %+v", enis)
	}
	if m := lbOf(t, s, arn); m.Ipv6Address != "2001:db8:0:100::4" || m.AdditionalSubnets[0].Ipv6Address != "2001:db8:0:102::4" {
		t.Fatalf("in the model = %+v", m)
	}
	// a dual-stack balancer forwards IPv6 copies: a target without IPv6 is refused (the model's rule)
	tg := must(c.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("g"), Protocol: elbtypes.ProtocolEnumUdp, Port: aws.Int32(4789),
		VpcId: aws.String(vpcID), TargetType: elbtypes.TargetTypeEnumIp}))(t).TargetGroups[0]
	must(c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: []elbtypes.TargetDescription{{Id: aws.String("10.0.0.20")}}}))(t)
	_, err := c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(arn), Protocol: elbtypes.ProtocolEnumUdp, Port: aws.Int32(4789),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tg.TargetGroupArn}}})
	wantCode(t, err, "InvalidParameterCombination")
	in.Name, in.Subnets = aws.String("v6b"), []string{subAdapter} // no IPv6 block
	_, err = c.CreateLoadBalancer(ctx, in)
	wantCode(t, err, "InvalidConfigurationRequest")
	_, err = c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("gw6"), Type: elbtypes.LoadBalancerTypeEnumGateway,
		IpAddressType: elbtypes.IpAddressTypeDualstack, Subnets: []string{subPublic}})
	wantCode(t, err, "ValidationError")
}

// An instance launched after a load balancer spanning two zones does not
// take the address the balancer holds in its second zone (the provider's
// TestAccVPCTrafficMirrorSession_basic launched into it and was refused).
func TestLaunchAvoidsLoadBalancerZoneAddresses(t *testing.T) {
	_, c, e := bothClients(t, twoZones())
	lb := must(c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("two"), Type: elbtypes.LoadBalancerTypeEnumNetwork,
		Subnets: []string{subPublic, subTest}}))(t).LoadBalancers[0]
	held := map[string]bool{}
	for _, z := range lb.AvailabilityZones {
		held[aws.ToString(z.LoadBalancerAddresses[0].PrivateIPv4Address)] = true
	}
	for range 3 {
		in := runOne(t, e, &ec2.RunInstancesInput{ImageId: aws.String(amazonLinux2(t, e)), InstanceType: ec2types.InstanceTypeM5Large, SubnetId: aws.String(subTest)})
		if a := aws.ToString(in.PrivateIpAddress); held[a] {
			t.Fatalf("the instance took %s, an address of the load balancer (%v)", a, held)
		}
	}
}

// A subnet that holds only a load balancer cannot be deleted: EC2 answers
// DependencyViolation, as for a subnet with interfaces.
func TestDeleteSubnetUnderLoadBalancer(t *testing.T) {
	cfg := twoZones()
	cfg.Spec.Subnets = append(cfg.Spec.Subnets, cloudmock.Subnet{SubnetId: "subnet-00000000000000lb1", VpcId: vpcID, CidrBlock: "10.0.0.64/28"})
	_, c, e := bothClients(t, cfg)
	must(c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("only"), Type: elbtypes.LoadBalancerTypeEnumNetwork,
		Subnets: []string{"subnet-00000000000000lb1"}}))(t)
	_, err := e.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String("subnet-00000000000000lb1")})
	wantCode(t, err, "DependencyViolation")
}
