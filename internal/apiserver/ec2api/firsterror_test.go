package ec2api

import (
	"strings"
	"testing"
)

// When two parameters of a request are bad, the answer names the first
// one the action reads, as EC2 answers (and as the aws CLI and Terraform
// show it); a dry run answers the same. Each case has a later check that
// would fire on the zero value of the failed read.
func TestFirstBadParameterWins(t *testing.T) {
	s, _ := testServer(t, Config{})
	const ec2v, elbv = "&Version=2016-11-15", "&Version=2015-12-01"
	for _, tc := range []struct{ form, code, names string }{
		{"Action=CreateVpc" + ec2v, "MissingParameter", "CidrBlock"},
		{"Action=DescribeVpcAttribute" + ec2v + "&Attribute=bogus", "MissingParameter", "VpcId"},
		{"Action=ModifyVpcAttribute" + ec2v, "MissingParameter", "VpcId"},
		{"Action=DescribeInstanceAttribute" + ec2v + "&InstanceId=i-1", "MissingParameter", "Attribute"},
		{"Action=ModifyInstanceAttribute" + ec2v + "&InstanceId=i-1&GroupId.0=sg-1", "UnknownParameter", "GroupId.0"},
		{"Action=ModifySubnetAttribute" + ec2v, "MissingParameter", "SubnetId"},
		{"Action=ModifySubnetAttribute" + ec2v + "&SubnetId=subnet-1&MapPublicIpOnLaunch.Value=true&EnableDns64.Value=maybe", "InvalidParameterValue", "EnableDns64.Value"},
		{"Action=ModifyVpcAttribute" + ec2v + "&VpcId=vpc-1&EnableDnsSupport.Value=true&EnableDnsHostnames.Value=maybe", "InvalidParameterValue", "EnableDnsHostnames.Value"},
		{"Action=ModifyInstanceCreditSpecification" + ec2v + "&InstanceCreditSpecification.0.InstanceId=i-1", "UnknownParameter", "InstanceCreditSpecification.0"},
		{"Action=ModifyInstanceCreditSpecification" + ec2v + "&InstanceCreditSpecification.1.CpuCredits=standard", "MissingParameter", "InstanceCreditSpecification.1.InstanceId"},
		{"Action=CreateTrafficMirrorFilterRule" + ec2v, "MissingParameter", "TrafficMirrorFilterId"},
		{"Action=CreateTags" + ec2v, "MissingParameter", "ResourceId.1"},
		{"Action=CreateRoute" + ec2v, "MissingParameter", "parameter RouteTableId"},
		{"Action=AssociateRouteTable" + ec2v + "&GatewayId=igw-1", "MissingParameter", "parameter RouteTableId"},
		{"Action=CreateSubnet" + ec2v + "&VpcId=vpc-1", "MissingParameter", "CidrBlock"},
		{"Action=CreateSecurityGroup" + ec2v + "&GroupName=sg-x", "MissingParameter", "GroupDescription"},
		{"Action=DescribeImages" + ec2v + "&ImageId.1=ami-1&MaxResults=5&NextToken=bogus", "InvalidParameterValue", "NextToken"},
		{"Action=CreateNetworkInterface" + ec2v + "&SubnetId=subnet-1&PrivateIpAddresses.1.Primary=maybe&PrivateIpAddresses.2.PrivateIpAddress=10.0.0.9",
			"InvalidParameterValue", "PrivateIpAddresses.1.Primary"},
		{"Action=ModifyVpcEndpointServicePermissions" + ec2v + "&ServiceId=vpce-svc-1&AddAllowedPrincipals.1=bogus&RemoveAllowedPrincipals.0=x",
			"UnknownParameter", "RemoveAllowedPrincipals.0"},
		{"Action=AuthorizeSecurityGroupIngress" + ec2v + "&GroupId=sg-1&IpPermissions.0.IpProtocol=tcp", "UnknownParameter", "IpPermissions.0"},
		{"Action=AuthorizeSecurityGroupIngress" + ec2v + "&GroupId=sg-1&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=1&IpPermissions.1.ToPort=2" +
			"&IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0/8&IpPermissions.1.PrefixListIds.x.PrefixListId=pl-1", "UnknownParameter", "not recognized by AuthorizeSecurityGroupIngress"},
		{"Action=CreateLoadBalancer" + elbv + "&Type=network", "ValidationError", "&#39;Name&#39;"},
		{"Action=DescribeLoadBalancers" + elbv + "&LoadBalancerArns.member.1=a&Names.member.1=b&PageSize=x", "ValidationError", "PageSize must be an integer"},
		{"Action=CreateListener" + elbv + "&Port=80", "ValidationError", "&#39;LoadBalancerArn&#39;"},
		{"Action=AddTags" + elbv + "&ResourceArns.member.1=a&Tags.member.0.Key=k", "UnknownParameter", "Tags.member.0"},
		{"Action=RegisterTargets" + elbv + "&TargetGroupArn=a&Targets.member.1.Port=x", "ValidationError", "&#39;Targets.member.1.Id&#39;"},
		{"Action=CreateTargetGroup" + elbv + "&Name=g&Protocol=UDP&VpcId=vpc-1&Port=x", "ValidationError", "Port must be an integer"},
	} {
		for _, dry := range []string{"", "&DryRun=true"} {
			if dry != "" && strings.Contains(tc.form, elbv) {
				continue // ELBv2 has no DryRun
			}
			rec := serveForm(s, tc.form+dry)
			body := rec.Body.String()
			if rec.Code != 400 || !strings.Contains(body, "<Code>"+tc.code+"</Code>") || !strings.Contains(body, tc.names) {
				t.Errorf("%s%s: %d %s\nwant %s naming %s", tc.form, dry, rec.Code, body, tc.code, tc.names)
			}
		}
	}
}
