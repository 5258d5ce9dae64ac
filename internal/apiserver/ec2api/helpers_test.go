package ec2api

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/sdkhttp"
)

// Fixture ids (AWS-shaped, as AssignIDs makes them).
const (
	vpcID      = "vpc-0000000000000000a"
	subPublic  = "subnet-0000000000000000a"
	subAdapter = "subnet-0000000000000000b"
	subTest    = "subnet-0000000000000000c"
	sgWeb      = "sg-0000000000000000a"
	sgAdapter  = "sg-0000000000000000b"
	aclAdapter = "acl-0000000000000000a"
	eniWeb     = "eni-0000000000000000a"
	eniClient  = "eni-0000000000000000b"
	eniAdapter = "eni-0000000000000000c"
	eniTest    = "eni-0000000000000000d"
	eniAgent2  = "eni-0000000000000000e"
	nlbArn     = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/agents/0000000000000001"
	gwlbArn    = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/gwy/inspect/0000000000000002"
	vpceID     = "vpce-0000000000000000a"
)

// fixtureSpec is the reference walk-through's network (no mirror
// resources): a VPC cut into public, adapter and test subnets, four ENIs,
// an NLB and a Gateway Load Balancer endpoint in the adapter subnet.
func fixtureSpec() cloudmock.Spec {
	return cloudmock.Spec{
		Vpcs: []cloudmock.Vpc{{VpcId: vpcID, CidrBlock: "10.0.0.0/24"}},
		Subnets: []cloudmock.Subnet{
			{SubnetId: subPublic, VpcId: vpcID, CidrBlock: "10.0.0.0/28"},
			{SubnetId: subAdapter, VpcId: vpcID, CidrBlock: "10.0.0.16/28"},
			{SubnetId: subTest, VpcId: vpcID, CidrBlock: "10.0.0.32/28"},
		},
		SecurityGroups: []cloudmock.SecurityGroup{
			{GroupId: sgWeb, VpcId: vpcID, IpPermissions: []cloudmock.IpPermission{{IpProtocol: "tcp", FromPort: 80, ToPort: 80, IpRanges: []cloudmock.IpRange{{CidrIp: "0.0.0.0/0"}}}}},
			{GroupId: sgAdapter, VpcId: vpcID, IpPermissions: []cloudmock.IpPermission{{IpProtocol: "udp", FromPort: 4789, ToPort: 4789, IpRanges: []cloudmock.IpRange{{CidrIp: "10.0.0.0/28"}}}}},
		},
		NetworkAcls: []cloudmock.NetworkAcl{{
			NetworkAclId: aclAdapter, VpcId: vpcID,
			Associations: []cloudmock.NetworkAclAssociation{{SubnetId: subAdapter}},
			Entries: []cloudmock.NetworkAclEntry{
				{RuleNumber: 100, Protocol: "udp", RuleAction: "allow", CidrBlock: "10.0.0.0/28", PortRange: &cloudmock.PortRange{From: 4789, To: 4789}},
				{RuleNumber: 100, Egress: true, Protocol: "-1", RuleAction: "allow", CidrBlock: "0.0.0.0/0"},
			},
		}},
		NetworkInterfaces: []cloudmock.NetworkInterface{
			{NetworkInterfaceId: eniWeb, SubnetId: subPublic, PrivateIpAddress: "10.0.0.5", Groups: []string{sgWeb}, InstanceId: "i-0000000000000000a"},
			{NetworkInterfaceId: eniClient, SubnetId: subPublic, PrivateIpAddress: "10.0.0.6"},
			{NetworkInterfaceId: eniAdapter, SubnetId: subAdapter, PrivateIpAddress: "10.0.0.20", Groups: []string{sgAdapter}},
			{NetworkInterfaceId: eniTest, SubnetId: subTest, PrivateIpAddress: "10.0.0.36"},
			{NetworkInterfaceId: eniAgent2, SubnetId: subAdapter, PrivateIpAddress: "10.0.0.21", Groups: []string{sgAdapter}},
		},
		LoadBalancers: []cloudmock.LoadBalancer{
			{LoadBalancerArn: nlbArn, Type: "network", SubnetId: subAdapter, PrivateIpAddress: "10.0.0.25",
				Listeners: []cloudmock.Listener{{Protocol: "UDP", Port: 4789}},
				Targets:   []cloudmock.TargetDescription{{NetworkInterfaceId: eniAgent2}}},
			{LoadBalancerArn: gwlbArn, Type: "gateway", SubnetId: subAdapter, PrivateIpAddress: "10.0.0.26", VpcEndpointId: vpceID,
				Targets: []cloudmock.TargetDescription{{NetworkInterfaceId: eniAgent2}}},
		},
	}
}

// startServer serves cfg (the fixture spec when cfg.Spec is empty, seed 1
// when none) on an httptest server on 127.0.0.1 and returns its URL.
func startServer(tb testing.TB, cfg Config) (*Server, string) {
	tb.Helper()
	if len(cfg.Spec.Vpcs) == 0 {
		cfg.Spec = fixtureSpec()
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	s, err := New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	verifyChanges(tb, s)
	hs := httptest.NewServer(s)
	tb.Cleanup(hs.Close)
	return s, hs.URL
}

// testServer is startServer with an EC2 SDK client pointed at it.
func testServer(tb testing.TB, cfg Config) (*Server, *ec2.Client) {
	tb.Helper()
	s, url := startServer(tb, cfg)
	return s, newClient(url)
}

// newClient is an EC2 client with dummy static keys, no retries and no
// configuration from the environment.
func newClient(url string) *ec2.Client {
	return ec2.New(ec2.Options{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		BaseEndpoint:     aws.String(url),
		RetryMaxAttempts: 1,
		HTTPClient:       sdkhttp.Client{},
	})
}

// wantCode fails unless err is an API error with the code.
func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		tb.Fatalf("error = %v, want API error %s", err, code)
	}
	if ae.ErrorCode() != code {
		tb.Fatalf("error code = %s (%s), want %s", ae.ErrorCode(), ae.ErrorMessage(), code)
	}
}

// must(c.Action(…))(t) returns the answer, failing the test on an error.
func must[T any](v T, err error) func(testing.TB) T {
	return func(tb testing.TB) T {
		tb.Helper()
		if err != nil {
			tb.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

var ctx = context.Background()

// rawCall posts a form to the server's handler (for what the SDK refuses
// to send) and returns the HTTP status and the EC2 error code ("" on
// success).
func rawCall(tb testing.TB, s *Server, form string) (int, string) {
	tb.Helper()
	req := httptest.NewRequest("POST", "/", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	var er struct {
		Code string `xml:"Errors>Error>Code"`
	}
	if rec.Code != 200 {
		if err := xml.Unmarshal(rec.Body.Bytes(), &er); err != nil {
			tb.Fatalf("error body %q: %v", rec.Body.String(), err)
		}
	}
	return rec.Code, er.Code
}

// wantRaw fails unless the form is answered with the status and code.
func wantRaw(tb testing.TB, s *Server, form string, status int, code string) {
	tb.Helper()
	if st, c := rawCall(tb, s, form); st != status || c != code {
		tb.Fatalf("%s: answered %d %s, want %d %s", form, st, c, status, code)
	}
}

// asAPI is errors.As for an API error.
func asAPI(err error, ae *smithy.APIError) bool { return errors.As(err, ae) }

// verifyChanges has each change of s check that it left the published
// state as it was and that its shortcuts (the lists it shares, the
// window of filters it touched, the model's validation of the delta)
// answer what copying and validating the whole account would; the test
// fails at its end on the first fault.
func verifyChanges(tb testing.TB, s *Server) {
	tb.Helper()
	s.verify = true
	tb.Cleanup(func() {
		if err := s.verifyFault(); err != nil {
			tb.Errorf("verify: %v", err)
		}
	})
}
