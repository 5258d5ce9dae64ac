package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
	vpc "github.com/alibabacloud-go/vpc-20160428/v6/client"
)

// alibabaClient is Alibaba's VPC SDK pointed at a served endpoint.
func alibabaClient(t *testing.T, endpoint string) *vpc.Client {
	t.Helper()
	c, err := vpc.NewClient(&openapiutil.Config{AccessKeyId: dara.String("test"), AccessKeySecret: dara.String("test"),
		Endpoint: dara.String(strings.TrimPrefix(endpoint, "http://")), Protocol: dara.String("http"), RegionId: dara.String(alibabaRegion)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// An alibaba-profile scenario is served with Alibaba's OpenAPI by default.
func TestServeAlibabaNoLab(t *testing.T) {
	ep, out := startServe(t, "alibaba-multi-source", serveOpts{noLab: true})
	for _, want := range []string{"Alibaba Cloud VPC OpenAPI", "Endpoint=" + strings.TrimPrefix(ep, "http://"), "RegionId=cn-hangzhou", "web-eni", "--no-lab"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("serve's output lacks %q:\n%s", want, out.String())
		}
	}
	c := alibabaClient(t, ep)
	res, err := c.ListTrafficMirrorSessions(&vpc.ListTrafficMirrorSessionsRequest{RegionId: dara.String(alibabaRegion)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Body.TrafficMirrorSessions) != 1 {
		t.Fatalf("sessions: %v", res.Body)
	}
	x := res.Body.TrafficMirrorSessions[0]
	if !strings.HasPrefix(dara.StringValue(x.TrafficMirrorSessionId), "tms-") || dara.StringValue(x.TrafficMirrorSessionName) != "two-sources" ||
		dara.Int32Value(x.VirtualNetworkId) != 21 || !dara.BoolValue(x.Enabled) || dara.StringValue(x.TrafficMirrorTargetType) != "SLB" ||
		!strings.HasPrefix(dara.StringValue(x.TrafficMirrorTargetId), "lb-") || len(x.TrafficMirrorSourceIds) != 2 {
		t.Fatalf("the scenario's session: %v", x)
	}
}

func TestServeProviderFlag(t *testing.T) {
	for _, tc := range []struct{ file, provider, want string }{
		{"", "alibaba", "needs a scenario with the alibaba profile"},
		{"", "gcp", "want aws or alibaba"},
	} {
		err := runServe(context.Background(), &app{stdout: &syncBuffer{}, stderr: &syncBuffer{}}, tc.file, serveOpts{listen: "127.0.0.1:0", noLab: true, provider: tc.provider})
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--provider %s: got %v, want a usage error with %q", tc.provider, err, tc.want)
		}
	}
}
