package ec2api

import (
	"encoding/xml"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzLoadBalancingRequest feeds arbitrary bodies to the decoders of the
// load balancing and endpoint actions: every answer is XML with an
// expected status, never a panic nor a server error.
func FuzzLoadBalancingRequest(f *testing.F) {
	for _, seed := range []string{
		"Action=CreateLoadBalancer&Version=2015-12-01&Name=n&Type=network&Scheme=internal&Subnets.member.1=" + subPublic + "&Subnets.member.2=" + subTest + "&Tags.member.1.Key=k&Tags.member.1.Value=v",
		"Action=CreateLoadBalancer&Version=2015-12-01&Name=g&Type=gateway&SubnetMappings.member.1.SubnetId=" + subTest + "&SubnetMappings.member.1.PrivateIPv4Address=10.0.0.40",
		"Action=DeleteLoadBalancer&Version=2015-12-01&LoadBalancerArn=" + nlbArn,
		"Action=CreateTargetGroup&Version=2015-12-01&Name=t&Protocol=GENEVE&Port=6081&VpcId=" + vpcID + "&HealthCheckPort=80&HealthCheckIntervalSeconds=x",
		"Action=RegisterTargets&Version=2015-12-01&TargetGroupArn=a&Targets.member.1.Id=10.0.0.20&Targets.member.1.Port=-1",
		"Action=AddTags&Version=2015-12-01&ResourceArns.member.1=" + nlbArn + "&Tags.member.1.Key=k",
		"Action=CreateVpcEndpointServiceConfiguration&Version=2016-11-15&GatewayLoadBalancerArn.1=" + gwlbArn + "&AcceptanceRequired=maybe",
		"Action=CreateVpcEndpoint&Version=2016-11-15&VpcEndpointType=GatewayLoadBalancer&VpcId=" + vpcID + "&ServiceName=com.amazonaws.vpce.us-east-1.vpce-svc-1&SubnetId.1=" + subTest,
		"Action=DeleteVpcEndpoints&Version=2016-11-15&VpcEndpointId.1=" + vpceID + "&VpcEndpointId.3=x",
		"Action=DescribePrefixLists&Version=2016-11-15&Filter.1.Name=prefix-list-name&Filter.1.Value.1=com.amazonaws.us-east-1.s3",
	} {
		f.Add(seed)
	}
	cfg := twoZones()
	cfg.Seed = 1
	f.Fuzz(func(t *testing.T, body string) {
		s, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("POST", "/", strings.NewReader(body)))
		if rec.Code != 200 && rec.Code != 400 && rec.Code != 412 {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body.String())
		}
		var doc struct{ XMLName xml.Name }
		if err := xml.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
			t.Fatalf("answer to %q is not XML: %v\n%s", body, err, rec.Body.String())
		}
	})
}
