package alibaba

import (
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"
	vpc "github.com/alibabacloud-go/vpc-20160428/v6/client"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

const region = "cn-hangzhou"

// fixtureSpec is an alibaba-profile account with a VPC, two vSwitches,
// five ENIs and a private CLB (network load balancer) with one member,
// and no traffic mirroring yet; ids are the scenario's names.
func fixtureSpec() cloudmock.Spec {
	return cloudmock.Spec{
		Profile: "alibaba",
		Vpcs:    []cloudmock.Vpc{{VpcId: "vpc", CidrBlock: "10.0.0.0/16"}},
		Subnets: []cloudmock.Subnet{{SubnetId: "public", VpcId: "vpc", CidrBlock: "10.0.1.0/24"}, {SubnetId: "monitor", VpcId: "vpc", CidrBlock: "10.0.2.0/24"}},
		NetworkInterfaces: []cloudmock.NetworkInterface{
			{NetworkInterfaceId: "web-eni", SubnetId: "public", PrivateIpAddress: "10.0.1.5", InstanceId: "web", Mtu: 1500},
			{NetworkInterfaceId: "db-eni", SubnetId: "public", PrivateIpAddress: "10.0.1.6", InstanceId: "db", Mtu: 1500},
			{NetworkInterfaceId: "app-eni", SubnetId: "public", PrivateIpAddress: "10.0.1.7", InstanceId: "app", Mtu: 1500},
			{NetworkInterfaceId: "collector-eni", SubnetId: "monitor", PrivateIpAddress: "10.0.2.5", InstanceId: "collector"},
			{NetworkInterfaceId: "member-eni", SubnetId: "monitor", PrivateIpAddress: "10.0.2.6", InstanceId: "member"},
		},
		LoadBalancers: []cloudmock.LoadBalancer{{LoadBalancerArn: "clb", Type: "network", SubnetId: "monitor", PrivateIpAddress: "10.0.2.10",
			Listeners: []cloudmock.Listener{{Protocol: "UDP", Port: 4789}}, Targets: []cloudmock.TargetDescription{{NetworkInterfaceId: "member-eni"}}}},
	}
}

// fakeClock is a clock the test steps.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// harness is a server on a loopback listener with its clock, the data
// plane's last Spec and the ids by scenario name.
type harness struct {
	t       *testing.T
	srv     *Server
	url     string
	clock   *fakeClock
	ids     map[string]string // name -> id
	mu      sync.Mutex
	applied []cloudmock.Spec
}

const settle = 3 * time.Second

func newHarness(t *testing.T, spec cloudmock.Spec, open bool) *harness {
	t.Helper()
	served, names := AssignIDs(spec, "test")
	h := &harness{t: t, clock: &fakeClock{t: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)}, ids: map[string]string{}}
	for id, n := range names {
		h.ids[n] = id
	}
	srv, err := New(Config{Spec: served, Names: names, Region: region, Settle: settle, Now: h.clock.Now, Seed: 7, ServiceOpen: open,
		Apply: func(s cloudmock.Spec) error {
			h.mu.Lock()
			h.applied = append(h.applied, s)
			h.mu.Unlock()
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	h.srv = srv
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	h.url = hs.Listener.Addr().String()
	return h
}

// id returns the Alibaba-shaped id of a fixture resource.
func (h *harness) id(name string) string {
	h.t.Helper()
	id, ok := h.ids[name]
	if !ok {
		h.t.Fatalf("no resource named %q", name)
	}
	return id
}

// lastApplied is the Spec the data plane got last.
func (h *harness) lastApplied() cloudmock.Spec {
	h.t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.applied) == 0 {
		h.t.Fatal("nothing was applied")
	}
	return h.applied[len(h.applied)-1]
}

func (h *harness) appliedCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.applied)
}

// client returns Alibaba's VPC SDK client for the server: ACS3 (v3)
// signatures by default, HMAC-SHA1 (v1) with v1.
func (h *harness) client(v1 bool) *vpc.Client {
	h.t.Helper()
	cfg := &openapiutil.Config{AccessKeyId: dara.String("LTAI-test"), AccessKeySecret: dara.String("secret"),
		Endpoint: dara.String(h.url), Protocol: dara.String("http"), RegionId: dara.String(region)}
	if v1 {
		cfg.SignatureAlgorithm = dara.String("v2") // the SDK's switch to the RPC (HMAC-SHA1) signer
	}
	c, err := vpc.NewClient(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// call sends any action through the SDK's generic OpenAPI client (for ECS
// and SLB, whose SDKs are not dependencies).
func (h *harness) call(action, version string, query map[string]any) (map[string]any, error) {
	h.t.Helper()
	c := h.client(false)
	params := &openapiutil.Params{Action: dara.String(action), Version: dara.String(version), Protocol: dara.String("HTTP"),
		Pathname: dara.String("/"), Method: dara.String("POST"), AuthType: dara.String("AK"), Style: dara.String("RPC"),
		ReqBodyType: dara.String("formData"), BodyType: dara.String("json")}
	return c.CallApi(params, &openapiutil.OpenApiRequest{Query: openapiutil.Query(query)}, &dara.RuntimeOptions{})
}

// sdkError returns an SDK error's Alibaba code and HTTP status.
func sdkError(t *testing.T, err error) (string, int) {
	t.Helper()
	var se *tea.SDKError
	if !errors.As(err, &se) {
		t.Fatalf("want an Alibaba error, got %T %v", err, err)
	}
	return dara.StringValue(se.Code), dara.IntValue(se.StatusCode)
}

// wantError checks an SDK call failed with an Alibaba code and status.
func wantError(t *testing.T, err error, code string, status int) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s, got success", code)
	}
	gotCode, gotStatus := sdkError(t, err)
	if gotCode != code || gotStatus != status {
		t.Fatalf("want %s (HTTP %d), got %s (HTTP %d): %v", code, status, gotCode, gotStatus, err)
	}
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func str(s string) *string { return dara.String(s) }
func i32(n int32) *int32   { return dara.Int32(n) }

func fixtureFilter() *cloudmock.TrafficMirrorFilter {
	return &cloudmock.TrafficMirrorFilter{TrafficMirrorFilterId: "udp-in", IngressFilterRules: []cloudmock.TrafficMirrorFilterRule{
		{RuleNumber: 1, RuleAction: "accept", Protocol: 17, SourceCidrBlock: "0.0.0.0/0", DestinationCidrBlock: "0.0.0.0/0"}}}
}

func fixtureTarget() *cloudmock.TrafficMirrorTarget {
	return &cloudmock.TrafficMirrorTarget{TrafficMirrorTargetId: "collector-target", NetworkInterfaceId: "collector-eni"}
}

func fixtureSession() *cloudmock.TrafficMirrorSession {
	return &cloudmock.TrafficMirrorSession{TrafficMirrorSessionId: "web-session", NetworkInterfaceId: "web-eni", TrafficMirrorTargetId: "collector-target",
		TrafficMirrorFilterId: "udp-in", SessionNumber: 1, VirtualNetworkId: new(11)}
}
