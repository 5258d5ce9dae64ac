package ec2api

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// retries is how many times each bad request is sent: a choice made by
// ranging over a Go map (random start on every range) shows two answers
// long before this.
const retries = 50

// errorPart is an error body without its request id (random per
// request): the status, code and message a client sees.
var errorPart = regexp.MustCompile(`<Code>[^<]*</Code>\s*<Message>[^<]*</Message>`)

// A request with several bad parameters gets the same error on every
// retry, and that error names the first bad parameter in the documented
// order: code order where the action reads them in turn, sorted key
// order where the reader scans the request's keys (as unread does).
func TestSameBadRequestSameAnswer(t *testing.T) {
	s, _ := testServer(t, Config{})
	const ec2v, elbv = "&Version=2016-11-15", "&Version=2015-12-01"
	long := strings.Repeat("d", maxDescriptionLen+1)
	hcInts := "&HealthCheckIntervalSeconds=a&HealthCheckTimeoutSeconds=b&HealthyThresholdCount=c&UnhealthyThresholdCount=d"
	for _, tc := range []struct{ name, form, want string }{
		{"subnet defaults", "Action=ModifySubnetAttribute" + ec2v + "&SubnetId=subnet-1&PrivateDnsHostnameTypeOnLaunch=resource-name" +
			"&EnableResourceNameDnsARecordOnLaunch.Value=true&EnableResourceNameDnsAAAARecordOnLaunch.Value=true&MapCustomerOwnedIpOnLaunch.Value=true",
			"PrivateDnsHostnameTypeOnLaunch=resource-name is not emulated"},
		{"create target group ints", "Action=CreateTargetGroup" + elbv + "&Name=g&Protocol=TCP&Port=80&VpcId=vpc-1" + hcInts,
			"HealthCheckIntervalSeconds must be an integer"},
		{"modify target group ints", "Action=ModifyTargetGroup" + elbv + "&TargetGroupArn=a" + hcInts,
			"HealthCheckIntervalSeconds must be an integer"},
		{"malformed indexes", "Action=CreateTags" + ec2v + "&Tag.1.Key=k&ResourceId.x=a&ResourceId.0=b&ResourceId.01=c&ResourceId.-1=d&ResourceId.y.z=e",
			"The parameter ResourceId.-1 is not recognized"},
		{"placement", "Action=RunInstances" + ec2v + "&ImageId=ami-1&InstanceType=t3.micro&MinCount=1&MaxCount=1&Placement.Tenancy=dedicated&Placement.GroupName=g",
			"Placement.Tenancy"},
		{"metadata options", "Action=ModifyInstanceMetadataOptions" + ec2v + "&InstanceId=i-1&HttpTokens=x&HttpEndpoint=x&HttpProtocolIpv6=x&InstanceMetadataTags=x",
			"HttpTokens"},
		{"session remove fields", "Action=ModifyTrafficMirrorSession" + ec2v + "&TrafficMirrorSessionId=tms-1&Description=d&PacketLength=100&VirtualNetworkId=7" +
			"&RemoveField.1=virtual-network-id&RemoveField.2=description&RemoveField.3=packet-length", "RemoveField packet-length"},
		{"repeated keys", "Action=DescribeVpcs" + ec2v + "&VpcId.3=a&VpcId.3=b&VpcId.1=a&VpcId.1=b&VpcId.2=a&VpcId.2=b&MaxResults=5&MaxResults=6",
			"The parameter MaxResults is given more than once"},
		{"value limits", "Action=CreateSecurityGroup" + ec2v + "&GroupName=g&GroupDescription=" + long + "&Description=" + long +
			"&TagSpecification.1.Description=" + long + "&ClientToken=" + strings.Repeat("t", maxClientTokenLen+1),
			"ClientToken"},
		{"unknown version", "Action=DescribeVpcs&Version=1999-01-01", "this server speaks 2011-06-15"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			answers := map[string]int{}
			for range retries {
				rec := serveForm(s, tc.form)
				answers[rec.Result().Status+" "+errorPart.FindString(rec.Body.String())]++
			}
			if len(answers) != 1 {
				t.Fatalf("%d identical requests got %d different answers: %v", retries, len(answers), answers)
			}
			for a := range answers {
				if !strings.Contains(a, "400") || !strings.Contains(a, tc.want) {
					t.Fatalf("answer %q, want a 400 naming %q", a, tc.want)
				}
			}
		})
	}
}

// Beyond maxTerminated records terminated at the same instant, the
// ones forgotten are the least ids, on every run, not the map's first.
func TestPruneTerminatedTiesByID(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const extra = 3
	for range 20 {
		st := &state{inst: instRecords{}, instOwned: true}
		for i := range maxTerminated + extra {
			st.inst[fmt.Sprintf("i-%05d", i)] = instRecord{since: at, gone: &goneInstance{}}
		}
		st.pruneTerminated(at)
		if len(st.inst) != maxTerminated {
			t.Fatalf("%d records kept, want %d", len(st.inst), maxTerminated)
		}
		for i := range extra {
			if id := fmt.Sprintf("i-%05d", i); st.inst[id].gone != nil {
				t.Fatalf("%s kept: the least ids must be forgotten first", id)
			}
		}
	}
}

// A bad RemoveField value is named by the index the client sent, not by
// its position among the values.
func TestRemoveFieldNamesSentIndex(t *testing.T) {
	s, _ := testServer(t, Config{})
	rec := serveForm(s, "Action=ModifyTrafficMirrorSession&Version=2016-11-15&TrafficMirrorSessionId=tms-1&RemoveField.3=bogus")
	if body := rec.Body.String(); rec.Code != 400 || !strings.Contains(body, "RemoveField.3") {
		t.Fatalf("answer %d %s, want a 400 naming RemoveField.3", rec.Code, body)
	}
}
