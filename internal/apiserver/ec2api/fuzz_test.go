package ec2api

import (
	"encoding/xml"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzDecodeRequest feeds arbitrary bodies to the server: every answer is
// a well-formed XML document with an expected status, never a panic (the
// handler's recover would answer 500, which fails here) and never a
// server error (no Apply is configured, so nothing may fail internally).
func FuzzDecodeRequest(f *testing.F) {
	for _, seed := range []string{
		"Action=DescribeTrafficMirrorFilters&Version=2016-11-15",
		"Action=CreateTrafficMirrorFilter&Version=2016-11-15&Description=x&TagSpecification.1.ResourceType=traffic-mirror-filter&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=n",
		"Action=DescribeTrafficMirrorSessions&Version=2016-11-15&Filter.1.Name=tag:Name&Filter.1.Value.1=*w?b*&MaxResults=5&NextToken=bWwxOnRtcy0w",
		"Action=CreateTrafficMirrorTarget&Version=2016-11-15&NetworkInterfaceId=" + eniAdapter,
		"Action=CreateTrafficMirrorSession&Version=2016-11-15&NetworkInterfaceId=" + eniWeb + "&TrafficMirrorFilterId=tmf-1&TrafficMirrorTargetId=tmt-1&SessionNumber=1&VirtualNetworkId=-1",
		"Action=ModifyTrafficMirrorSession&Version=2016-11-15&TrafficMirrorSessionId=tms-1&RemoveField.1=packet-length&RemoveField.2=x",
		"Action=ModifyTrafficMirrorFilterRule&Version=2016-11-15&TrafficMirrorFilterRuleId=tmfr-1&DestinationPortRange.FromPort=99999999999",
		"Action=RunInstances&Version=2016-11-15&ImageId=ami-0123456789abcdef0&InstanceType=t2.micro&MinCount=1&MaxCount=2&SubnetId=" + subPublic +
			"&UserData=IyEvYmluL3NoCg==&NetworkInterface.1.DeviceIndex=0&TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=k",
		"Action=CreateNetworkInterface&Version=2016-11-15&SubnetId=" + subTest + "&PrivateIpAddresses.1.PrivateIpAddress=10.0.0.40&PrivateIpAddresses.1.Primary=true&Ipv6AddressCount=1",
		"Action=AttachNetworkInterface&Version=2016-11-15&NetworkInterfaceId=" + eniClient + "&InstanceId=i-0000000000000000a&DeviceIndex=2",
		"Action=ModifyInstanceAttribute&Version=2016-11-15&InstanceId=i-0000000000000000a&Attribute=userData&Value=eA==",
		"Action=X&Version=1&%zz",
		"Filter.01.Name=a&Filter.1.Value.-1=b",
		"",
	} {
		f.Add(seed)
	}
	spec := fixtureSpec()
	f.Fuzz(func(t *testing.T, body string) {
		if _, err := decodeParams(body, ""); err != nil {
			if _, ok := err.(*apiError); !ok {
				t.Fatalf("decodeParams error is not an API error: %v", err)
			}
		}
		s, err := New(Config{Spec: spec, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		verifyChanges(t, s)
		req := httptest.NewRequest("POST", "/", strings.NewReader(body))
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 400, 412:
		default:
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body.String())
		}
		var doc struct {
			XMLName xml.Name
		}
		if err := xml.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
			t.Fatalf("answer to %q is not XML: %v\n%s", body, err, rec.Body.String())
		}
		if rec.Code != 200 && doc.XMLName.Local != "Response" {
			t.Fatalf("error answer root %q", doc.XMLName.Local)
		}
	})
}
