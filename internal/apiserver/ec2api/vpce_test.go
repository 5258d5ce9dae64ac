package ec2api

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// gwlbStack builds what the provider's TestAccVPCTrafficMirrorTarget_gwlb
// builds: a gateway load balancer, an endpoint service offering it (with
// the caller allowed) and an endpoint in the same subnet; it returns the
// balancer's ARN, the service id and the endpoint.
func gwlbStack(t *testing.T, c *elb.Client, e *ec2.Client) (string, string, ec2types.VpcEndpoint) {
	t.Helper()
	gw := must(c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("inspection"), Type: elbtypes.LoadBalancerTypeEnumGateway,
		SubnetMappings: []elbtypes.SubnetMapping{{SubnetId: aws.String(subTest)}}}))(t).LoadBalancers[0]
	gwArn := aws.ToString(gw.LoadBalancerArn)
	svcIn := &ec2.CreateVpcEndpointServiceConfigurationInput{AcceptanceRequired: aws.Bool(false), GatewayLoadBalancerArns: []string{gwArn},
		ClientToken: aws.String("tok-1"), TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVpcEndpointService,
			Tags: []ec2types.Tag{{Key: aws.String("Name"), Value: aws.String("svc")}}}}}
	svc := must(e.CreateVpcEndpointServiceConfiguration(ctx, svcIn))(t).ServiceConfiguration
	if again := must(e.CreateVpcEndpointServiceConfiguration(ctx, svcIn))(t).ServiceConfiguration; aws.ToString(again.ServiceId) != aws.ToString(svc.ServiceId) {
		t.Fatalf("the same ClientToken made a second service")
	}
	id := aws.ToString(svc.ServiceId)
	if svc.ServiceState != ec2types.ServiceStateAvailable || len(svc.ServiceType) != 1 || svc.ServiceType[0].ServiceType != ec2types.ServiceTypeGatewayLoadBalancer ||
		aws.ToString(svc.ServiceName) != "com.amazonaws.vpce.us-east-1."+id || len(svc.GatewayLoadBalancerArns) != 1 || len(svc.AvailabilityZones) != 1 {
		t.Fatalf("service = %+v", svc)
	}
	must(e.ModifyVpcEndpointServicePermissions(ctx, &ec2.ModifyVpcEndpointServicePermissionsInput{ServiceId: aws.String(id),
		AddAllowedPrincipals: []string{"arn:aws:iam::123456789012:root"}}))(t)
	perms := must(e.DescribeVpcEndpointServicePermissions(ctx, &ec2.DescribeVpcEndpointServicePermissionsInput{ServiceId: aws.String(id)}))(t).AllowedPrincipals
	if len(perms) != 1 || aws.ToString(perms[0].Principal) != "arn:aws:iam::123456789012:root" || perms[0].PrincipalType != ec2types.PrincipalTypeAccount {
		t.Fatalf("permissions = %+v", perms)
	}
	epIn := &ec2.CreateVpcEndpointInput{ServiceName: svc.ServiceName, SubnetIds: []string{subTest}, VpcEndpointType: ec2types.VpcEndpointTypeGatewayLoadBalancer,
		VpcId: aws.String(vpcID), ClientToken: aws.String("tok-2")}
	_, err := e.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{ServiceName: svc.ServiceName, SubnetIds: []string{subTest},
		VpcEndpointType: ec2types.VpcEndpointTypeGatewayLoadBalancer, VpcId: aws.String(vpcID), DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	ep := must(e.CreateVpcEndpoint(ctx, epIn))(t).VpcEndpoint
	if ep.State != "available" || // EC2 answers lower case (the SDK's enum says Available)
		len(ep.NetworkInterfaceIds) != 1 || aws.ToString(ep.VpcId) != vpcID {
		t.Fatalf("endpoint = %+v", ep)
	}
	return gwArn, id, *ep
}

func TestGatewayLoadBalancerEndpoint(t *testing.T) {
	s, c, e := bothClients(t, twoZones())
	gwArn, svcID, ep := gwlbStack(t, c, e)
	epID := aws.ToString(ep.VpcEndpointId)
	// what the provider reads back: the endpoint, its interface, no prefix list
	got := must(e.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{epID}}))(t).VpcEndpoints
	if len(got) != 1 || aws.ToString(got[0].ServiceName) != "com.amazonaws.vpce.us-east-1."+svcID || got[0].VpcEndpointType != ec2types.VpcEndpointTypeGatewayLoadBalancer {
		t.Fatalf("described = %+v", got)
	}
	eni := must(e.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: ep.NetworkInterfaceIds}))(t).NetworkInterfaces
	if len(eni) != 1 || aws.ToString(eni[0].SubnetId) != subTest || eni[0].InterfaceType != "gateway_load_balancer_endpoint" {
		t.Fatalf("endpoint's interface = %+v", eni)
	}
	pls := must(e.DescribePrefixLists(ctx, &ec2.DescribePrefixListsInput{Filters: filter("prefix-list-name", aws.ToString(got[0].ServiceName))}))(t)
	if len(pls.PrefixLists) != 0 {
		t.Fatalf("prefix lists = %+v", pls.PrefixLists)
	}
	// copies to the endpoint reach the balancer's GENEVE target group
	tg := must(c.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("appliances"), Protocol: elbtypes.ProtocolEnumGeneve,
		Port: aws.Int32(6081), VpcId: aws.String(vpcID), TargetType: elbtypes.TargetTypeEnumIp}))(t).TargetGroups[0]
	must(c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: []elbtypes.TargetDescription{{Id: aws.String("10.0.0.21")}}}))(t)
	must(c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(gwArn),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tg.TargetGroupArn}}}))(t)
	model := lbOf(t, s, "arn:aws:ec2:us-east-1:123456789012:vpc-endpoint/"+epID)
	if model.VpcEndpointId != epID || model.GatewayLoadBalancerArn != gwArn || len(model.Targets) != 1 || model.Targets[0].NetworkInterfaceId != eniAgent2 {
		t.Fatalf("the endpoint in the model = %+v", model)
	}
	tmt := must(e.CreateTrafficMirrorTarget(ctx, &ec2.CreateTrafficMirrorTargetInput{GatewayLoadBalancerEndpointId: aws.String(epID)}))(t).TrafficMirrorTarget
	teardownGWLB(t, c, e, gwArn, svcID, epID, aws.ToString(tmt.TrafficMirrorTargetId))
}

// teardownGWLB deletes in the provider's order, checking first that
// nothing in use goes.
func teardownGWLB(t *testing.T, c *elb.Client, e *ec2.Client, gwArn, svcID, epID, tmtID string) {
	t.Helper()
	un := must(e.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{epID}}))(t).Unsuccessful
	if len(un) != 1 || aws.ToString(un[0].Error.Code) != "DependencyViolation" {
		t.Fatalf("deleting an endpoint a mirror target uses: %+v", un)
	}
	must(e.DeleteTrafficMirrorTarget(ctx, &ec2.DeleteTrafficMirrorTargetInput{TrafficMirrorTargetId: aws.String(tmtID)}))(t)
	un = must(e.DeleteVpcEndpointServiceConfigurations(ctx, &ec2.DeleteVpcEndpointServiceConfigurationsInput{ServiceIds: []string{svcID}}))(t).Unsuccessful
	if len(un) != 1 || aws.ToString(un[0].Error.Code) != "ExistingVpcEndpointConnections" {
		t.Fatalf("deleting a service with an endpoint: %+v", un)
	}
	_, err := c.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(gwArn)})
	wantCode(t, err, "ResourceInUse")
	if un := must(e.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{epID}}))(t).Unsuccessful; len(un) != 0 {
		t.Fatalf("delete endpoint: %+v", un)
	}
	_, err = e.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{epID}})
	wantCode(t, err, "InvalidVpcEndpointId.NotFound")
	if un := must(e.DeleteVpcEndpointServiceConfigurations(ctx, &ec2.DeleteVpcEndpointServiceConfigurationsInput{ServiceIds: []string{svcID}}))(t).Unsuccessful; len(un) != 0 {
		t.Fatalf("delete service: %+v", un)
	}
	_, err = e.DescribeVpcEndpointServiceConfigurations(ctx, &ec2.DescribeVpcEndpointServiceConfigurationsInput{ServiceIds: []string{svcID}})
	wantCode(t, err, "InvalidVpcEndpointServiceId.NotFound")
	must(c.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(gwArn)}))(t)
	if n := len(elbENIs(t, e, "amazon-aws", "ELB gwy/inspection/"+gwArn[len(gwArn)-16:])); n != 0 {
		t.Fatalf("%d interfaces of the deleted gateway load balancer stay", n)
	}
}

func TestVpcEndpointRefuses(t *testing.T) {
	_, c, e := bothClients(t, twoZones())
	_, svcID, _ := gwlbStack(t, c, e)
	name := aws.String("com.amazonaws.vpce.us-east-1." + svcID)
	for _, tc := range []struct {
		in   ec2.CreateVpcEndpointInput
		code string
	}{
		{ec2.CreateVpcEndpointInput{ServiceName: name, SubnetIds: []string{subTest}, VpcId: aws.String(vpcID), VpcEndpointType: ec2types.VpcEndpointTypeInterface}, "InvalidParameterValue"},
		{ec2.CreateVpcEndpointInput{ServiceName: name, SubnetIds: []string{subTest, subPublic}, VpcId: aws.String(vpcID), VpcEndpointType: ec2types.VpcEndpointTypeGatewayLoadBalancer}, "InvalidParameterValue"},
		{ec2.CreateVpcEndpointInput{ServiceName: aws.String("com.amazonaws.vpce.us-east-1.vpce-svc-0"), SubnetIds: []string{subTest}, VpcId: aws.String(vpcID), VpcEndpointType: ec2types.VpcEndpointTypeGatewayLoadBalancer}, "InvalidServiceName"},
		{ec2.CreateVpcEndpointInput{ServiceName: name, SubnetIds: []string{"subnet-0000000000000099f"}, VpcId: aws.String(vpcID), VpcEndpointType: ec2types.VpcEndpointTypeGatewayLoadBalancer}, "InvalidSubnetID.NotFound"},
		{ec2.CreateVpcEndpointInput{ServiceName: name, SubnetIds: []string{subTest}, VpcId: aws.String("vpc-0000000000000099f"), VpcEndpointType: ec2types.VpcEndpointTypeGatewayLoadBalancer}, "InvalidVpcID.NotFound"},
	} {
		_, err := e.CreateVpcEndpoint(ctx, &tc.in)
		wantCode(t, err, tc.code)
	}
	_, err := e.CreateVpcEndpointServiceConfiguration(ctx, &ec2.CreateVpcEndpointServiceConfigurationInput{GatewayLoadBalancerArns: []string{nlbArn}})
	wantCode(t, err, "LoadBalancerNotFound")
	_, err = e.ModifyVpcEndpointServicePermissions(ctx, &ec2.ModifyVpcEndpointServicePermissionsInput{ServiceId: aws.String(svcID), AddAllowedPrincipals: []string{"bob"}})
	wantCode(t, err, "InvalidParameterValue")
	_, err = e.DescribePrefixLists(ctx, &ec2.DescribePrefixListsInput{PrefixListIds: []string{"pl-0123"}})
	wantCode(t, err, "InvalidPrefixListId.NotFound")
	eps := must(e.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: filter("vpc-endpoint-type", "GatewayLoadBalancer")}))(t).VpcEndpoints
	if len(eps) != 2 { // the file's endpoint and the created one
		t.Fatalf("endpoints = %+v", eps)
	}
}

// An endpoint of a service that requires acceptance carries nothing until
// accepted; a rejected one stays until deleted.
func TestEndpointAcceptance(t *testing.T) {
	s, c, e := bothClients(t, twoZones())
	gw := must(c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("g"), Type: elbtypes.LoadBalancerTypeEnumGateway, Subnets: []string{subTest}}))(t).LoadBalancers[0]
	svc := must(e.CreateVpcEndpointServiceConfiguration(ctx, &ec2.CreateVpcEndpointServiceConfigurationInput{AcceptanceRequired: aws.Bool(true),
		GatewayLoadBalancerArns: []string{aws.ToString(gw.LoadBalancerArn)}}))(t).ServiceConfiguration
	create := func() string {
		ep := must(e.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{ServiceName: svc.ServiceName, SubnetIds: []string{subPublic},
			VpcEndpointType: ec2types.VpcEndpointTypeGatewayLoadBalancer, VpcId: aws.String(vpcID)}))(t).VpcEndpoint
		if ep.State != "pendingAcceptance" || len(ep.NetworkInterfaceIds) != 0 {
			t.Fatalf("endpoint of an acceptance-required service = %+v", ep)
		}
		return aws.ToString(ep.VpcEndpointId)
	}
	a, b := create(), create()
	_, err := e.CreateTrafficMirrorTarget(ctx, &ec2.CreateTrafficMirrorTargetInput{GatewayLoadBalancerEndpointId: aws.String(a)})
	wantCode(t, err, "LoadBalancerNotFound")
	un := must(e.DeleteVpcEndpointServiceConfigurations(ctx, &ec2.DeleteVpcEndpointServiceConfigurationsInput{ServiceIds: []string{aws.ToString(svc.ServiceId)}}))(t).Unsuccessful
	if len(un) != 1 || aws.ToString(un[0].Error.Code) != "ExistingVpcEndpointConnections" {
		t.Fatalf("deleting a service with a pending endpoint: %+v", un)
	}
	must(e.AcceptVpcEndpointConnections(ctx, &ec2.AcceptVpcEndpointConnectionsInput{ServiceId: svc.ServiceId, VpcEndpointIds: []string{a}}))(t)
	must(e.RejectVpcEndpointConnections(ctx, &ec2.RejectVpcEndpointConnectionsInput{ServiceId: svc.ServiceId, VpcEndpointIds: []string{b}}))(t)
	states := map[string]string{}
	for _, ep := range must(e.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{a, b}}))(t).VpcEndpoints {
		states[aws.ToString(ep.VpcEndpointId)] = string(ep.State)
	}
	if states[a] != "available" || states[b] != "rejected" {
		t.Fatalf("states = %v", states)
	}
	if l := lbOf(t, s, "arn:aws:ec2:us-east-1:123456789012:vpc-endpoint/"+a); l.VpcEndpointId != a || l.PrivateIpAddress != "10.0.0.4" {
		t.Fatalf("accepted endpoint in the model = %+v", l)
	}
	must(e.CreateTrafficMirrorTarget(ctx, &ec2.CreateTrafficMirrorTargetInput{GatewayLoadBalancerEndpointId: aws.String(a)}))(t)
	un = must(e.AcceptVpcEndpointConnections(ctx, &ec2.AcceptVpcEndpointConnectionsInput{ServiceId: svc.ServiceId, VpcEndpointIds: []string{a}}))(t).Unsuccessful
	if len(un) != 1 || aws.ToString(un[0].ResourceId) != a {
		t.Fatalf("accepting an accepted endpoint: %+v", un)
	}
	if un := must(e.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{b}}))(t).Unsuccessful; len(un) != 0 {
		t.Fatalf("deleting a rejected endpoint: %+v", un)
	}
	_, err = e.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{b}})
	wantCode(t, err, "InvalidVpcEndpointId.NotFound")
}

func TestEndpointServicesPageAndRepeat(t *testing.T) {
	_, c, e := bothClients(t, twoZones())
	var last string
	for i := range 6 {
		gw := must(c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String(fmt.Sprintf("g%d", i)), Type: elbtypes.LoadBalancerTypeEnumGateway,
			Subnets: []string{subTest}}))(t).LoadBalancers[0]
		last = aws.ToString(must(e.CreateVpcEndpointServiceConfiguration(ctx, &ec2.CreateVpcEndpointServiceConfigurationInput{
			GatewayLoadBalancerArns: []string{aws.ToString(gw.LoadBalancerArn)}}))(t).ServiceConfiguration.ServiceName)
	}
	p := ec2.NewDescribeVpcEndpointServiceConfigurationsPaginator(e, &ec2.DescribeVpcEndpointServiceConfigurationsInput{MaxResults: aws.Int32(5)})
	n, pages := 0, 0
	for p.HasMorePages() {
		n += len(must(p.NextPage(ctx))(t).ServiceConfigurations)
		pages++
	}
	if n != 6 || pages != 2 {
		t.Fatalf("%d services in %d pages, want 6 in 2", n, pages)
	}
	in := &ec2.CreateVpcEndpointInput{ServiceName: aws.String(last), SubnetIds: []string{subPublic}, VpcEndpointType: ec2types.VpcEndpointTypeGatewayLoadBalancer,
		VpcId: aws.String(vpcID), ClientToken: aws.String("once")}
	a := must(e.CreateVpcEndpoint(ctx, in))(t).VpcEndpoint
	b := must(e.CreateVpcEndpoint(ctx, in))(t).VpcEndpoint
	if aws.ToString(a.VpcEndpointId) != aws.ToString(b.VpcEndpointId) {
		t.Fatalf("the same ClientToken made two endpoints")
	}
	in.SubnetIds = []string{subTest}
	_, err := e.CreateVpcEndpoint(ctx, in)
	wantCode(t, err, "IdempotentParameterMismatch")
	got := must(e.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: filter("service-name", last)}))(t).VpcEndpoints
	if len(got) != 1 {
		t.Fatalf("by service name: %+v", got)
	}
}

func TestModifyVpcEndpointService(t *testing.T) {
	s, c, e := bothClients(t, twoZones())
	gwArn, svcID, ep := gwlbStack(t, c, e)
	other := aws.ToString(must(c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("other"), Type: elbtypes.LoadBalancerTypeEnumGateway,
		Subnets: []string{subPublic}}))(t).LoadBalancers[0].LoadBalancerArn)
	must(e.ModifyVpcEndpointServiceConfiguration(ctx, &ec2.ModifyVpcEndpointServiceConfigurationInput{ServiceId: aws.String(svcID),
		AcceptanceRequired: aws.Bool(true), AddGatewayLoadBalancerArns: []string{other}}))(t)
	got := s.Spec().VpcEndpointServices[0]
	if !got.AcceptanceRequired || len(got.GatewayLoadBalancerArns) != 2 {
		t.Fatalf("modified service = %+v", got)
	}
	// the endpoint sends to the first balancer: removing it would strand it
	_, err := e.ModifyVpcEndpointServiceConfiguration(ctx, &ec2.ModifyVpcEndpointServiceConfigurationInput{ServiceId: aws.String(svcID),
		RemoveGatewayLoadBalancerArns: []string{gwArn}})
	wantCode(t, err, "ExistingVpcEndpointConnections")
	must(e.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{aws.ToString(ep.VpcEndpointId)}}))(t)
	must(e.ModifyVpcEndpointServiceConfiguration(ctx, &ec2.ModifyVpcEndpointServiceConfigurationInput{ServiceId: aws.String(svcID),
		RemoveGatewayLoadBalancerArns: []string{gwArn}}))(t)
}

func TestDescribeVpcEndpointServices(t *testing.T) {
	_, c, e := bothClients(t, twoZones())
	_, svcID, _ := gwlbStack(t, c, e)
	name := "com.amazonaws.vpce.us-east-1." + svcID
	out := must(e.DescribeVpcEndpointServices(ctx, &ec2.DescribeVpcEndpointServicesInput{ServiceNames: []string{name}}))(t)
	if len(out.ServiceNames) != 1 || len(out.ServiceDetails) != 1 || aws.ToString(out.ServiceDetails[0].ServiceId) != svcID ||
		out.ServiceDetails[0].ServiceType[0].ServiceType != ec2types.ServiceTypeGatewayLoadBalancer || aws.ToString(out.ServiceDetails[0].Owner) != "123456789012" {
		t.Fatalf("services = %+v", out)
	}
	if n := len(must(e.DescribeVpcEndpointServices(ctx, &ec2.DescribeVpcEndpointServicesInput{Filters: filter("service-type", "Interface")}))(t).ServiceDetails); n != 0 {
		t.Fatalf("%d interface services: the lab runs none", n)
	}
	_, err := e.DescribeVpcEndpointServices(ctx, &ec2.DescribeVpcEndpointServicesInput{ServiceNames: []string{"com.amazonaws.us-east-1.s3"}})
	wantCode(t, err, "InvalidServiceName")
}
