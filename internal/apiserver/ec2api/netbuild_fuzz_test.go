package ec2api

import (
	"encoding/xml"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzNetworkBuilding feeds arbitrary bodies of the network-building
// actions to a new account: every answer is well-formed XML with an
// expected status (no panic, no internal error: no Apply is configured).
// The server is fresh for each input, so a seed's create is followed by
// the change that names what the account already holds.
func FuzzNetworkBuilding(f *testing.F) {
	spec, names := NewAccount("us-east-1")
	vpc, subnet, acl := spec.Vpcs[0].VpcId, spec.Subnets[0].SubnetId, spec.NetworkAcls[0].NetworkAclId
	for _, seed := range []string{
		"Action=CreateVpc&Version=2016-11-15&CidrBlock=10.0.0.0/16&AmazonProvidedIpv6CidrBlock=true&TagSpecification.1.ResourceType=vpc&TagSpecification.1.Tag.1.Key=a",
		"Action=ModifyVpcAttribute&Version=2016-11-15&VpcId=" + vpc + "&EnableDnsSupport.Value=false",
		"Action=DescribeVpcAttribute&Version=2016-11-15&VpcId=" + vpc + "&Attribute=enableDnsHostnames",
		"Action=CreateSubnet&Version=2016-11-15&VpcId=" + vpc + "&CidrBlock=172.31.200.0/24&AvailabilityZoneId=use1-az4",
		"Action=ModifySubnetAttribute&Version=2016-11-15&SubnetId=" + subnet + "&MapPublicIpOnLaunch.Value=x",
		"Action=DeleteSubnet&Version=2016-11-15&SubnetId=" + subnet,
		"Action=CreateSecurityGroup&Version=2016-11-15&GroupName=a&GroupDescription=b&VpcId=" + vpc,
		"Action=DeleteSecurityGroup&Version=2016-11-15&GroupName=default",
		"Action=CreateNetworkAcl&Version=2016-11-15&VpcId=" + vpc,
		"Action=ReplaceNetworkAclAssociation&Version=2016-11-15&AssociationId=" + aclAssocID(acl, subnet) + "&NetworkAclId=" + acl,
		"Action=CreateRoute&Version=2016-11-15&RouteTableId=" + mainRouteTableID(vpc) + "&DestinationCidrBlock=10.0.0.0/8&TransitGatewayId=tgw-1",
		"Action=AssociateRouteTable&Version=2016-11-15&RouteTableId=" + mainRouteTableID(vpc) + "&SubnetId=" + subnet,
		"Action=CreateTransitGatewayVpcAttachment&Version=2016-11-15&TransitGatewayId=tgw-1&VpcId=" + vpc + "&SubnetIds.1=" + subnet,
		"Action=CreateTransitGateway&Version=2016-11-15&Options.AmazonSideAsn=1",
		"Action=DeleteVpc&Version=2016-11-15&VpcId=" + vpc,
		"Action=AssociateVpcCidrBlock&Version=2016-11-15&AmazonProvidedIpv6CidrBlock=true&VpcId=" + vpc,
		"Action=AssociateSubnetCidrBlock&Version=2016-11-15&Ipv6CidrBlock=2600::/64&SubnetId=" + subnet,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		s, err := New(Config{Spec: spec, Names: names, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		verifyChanges(t, s)
		serveFuzzed(t, s, body)
	})
}

// serveFuzzed serves one fuzzed body and fails unless the answer is
// well-formed XML with an expected status (200, 400 or 412: never a panic
// or a server error), an error under Response or ErrorResponse (ELBv2,
// STS).
func serveFuzzed(t *testing.T, s *Server, body string) {
	t.Helper()
	req := httptest.NewRequest("POST", "/", strings.NewReader(body))
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	switch rec.Code {
	case 200, 400, 412:
	default:
		t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body.String())
	}
	var doc struct{ XMLName xml.Name }
	if err := xml.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("answer to %q is not XML: %v\n%s", body, err, rec.Body.String())
	}
	if rec.Code != 200 && doc.XMLName.Local != "Response" && doc.XMLName.Local != "ErrorResponse" {
		t.Fatalf("error answer root %q", doc.XMLName.Local)
	}
}
