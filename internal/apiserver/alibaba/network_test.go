package alibaba

import (
	"net/http"
	"testing"

	"github.com/alibabacloud-go/tea/dara"
	vpc "github.com/alibabacloud-go/vpc-20160428/v6/client"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

func TestDescribeVpcsAndVSwitches(t *testing.T) {
	h := newHarness(t, fixtureSpec(), true)
	c := h.client(false)
	vpcs := must[*vpc.DescribeVpcsResponse](t)(c.DescribeVpcs(&vpc.DescribeVpcsRequest{RegionId: str(region), VpcName: str("vpc")}))
	if len(vpcs.Body.Vpcs.Vpc) != 1 || dara.Int32Value(vpcs.Body.TotalCount) != 1 {
		t.Fatalf("vpcs: %v", vpcs.Body)
	}
	v := vpcs.Body.Vpcs.Vpc[0]
	if dara.StringValue(v.VpcId) != h.id("vpc") || dara.StringValue(v.CidrBlock) != "10.0.0.0/16" || len(v.VSwitchIds.VSwitchId) != 2 {
		t.Fatalf("vpc: %v", v)
	}
	sw := must[*vpc.DescribeVSwitchesResponse](t)(c.DescribeVSwitches(&vpc.DescribeVSwitchesRequest{RegionId: str(region), VpcId: v.VpcId, VSwitchName: str("monitor")}))
	if len(sw.Body.VSwitches.VSwitch) != 1 || dara.StringValue(sw.Body.VSwitches.VSwitch[0].VSwitchId) != h.id("monitor") ||
		dara.StringValue(sw.Body.VSwitches.VSwitch[0].CidrBlock) != "10.0.2.0/24" {
		t.Fatalf("vswitches: %v", sw.Body.VSwitches.VSwitch)
	}
	page := must[*vpc.DescribeVSwitchesResponse](t)(c.DescribeVSwitches(&vpc.DescribeVSwitchesRequest{RegionId: str(region), PageSize: i32(1), PageNumber: i32(2)}))
	if len(page.Body.VSwitches.VSwitch) != 1 || dara.Int32Value(page.Body.TotalCount) != 2 || dara.Int32Value(page.Body.PageNumber) != 2 {
		t.Fatalf("second page: %v", page.Body)
	}
	_, err := c.DescribeVSwitches(&vpc.DescribeVSwitchesRequest{RegionId: str(region), PageSize: i32(51)})
	wantError(t, err, codeInvalidParameter, http.StatusBadRequest)
	_, err = c.DescribeVpcs(&vpc.DescribeVpcsRequest{RegionId: str("us-west-1")})
	wantError(t, err, codeInvalidParameter, http.StatusBadRequest)
}

// ECS's DescribeNetworkInterfaces and SLB's DescribeLoadBalancers go
// through the SDK's generic OpenAPI call (their own SDKs are not
// dependencies of this module).
func TestDescribeENIsAndLoadBalancers(t *testing.T) {
	h := newHarness(t, fixtureSpec(), true)
	res, err := h.call("DescribeNetworkInterfaces", versionECS, map[string]any{"RegionId": region, "NetworkInterfaceName": "web-eni"})
	if err != nil {
		t.Fatal(err)
	}
	body := res["body"].(map[string]any)
	set := body["NetworkInterfaceSets"].(map[string]any)["NetworkInterfaceSet"].([]any)
	if len(set) != 1 {
		t.Fatalf("enis: %v", body)
	}
	e := set[0].(map[string]any)
	if e["NetworkInterfaceId"] != h.id("web-eni") || e["PrivateIpAddress"] != "10.0.1.5" || e["VSwitchId"] != h.id("public") || e["VpcId"] != h.id("vpc") {
		t.Fatalf("eni: %v", e)
	}
	res, err = h.call("DescribeNetworkInterfaces", versionECS, map[string]any{"RegionId": region, "NetworkInterfaceId": []any{h.id("db-eni"), h.id("app-eni")}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(res["body"].(map[string]any)["NetworkInterfaceSets"].(map[string]any)["NetworkInterfaceSet"].([]any)); n != 2 {
		t.Fatalf("by ids: %d enis", n)
	}
	res, err = h.call("DescribeLoadBalancers", versionSLB, map[string]any{"RegionId": region, "AddressType": "intranet"})
	if err != nil {
		t.Fatal(err)
	}
	lbs := res["body"].(map[string]any)["LoadBalancers"].(map[string]any)["LoadBalancer"].([]any)
	if len(lbs) != 1 || lbs[0].(map[string]any)["LoadBalancerId"] != h.id("clb") || lbs[0].(map[string]any)["Address"] != "10.0.2.10" {
		t.Fatalf("load balancers: %v", lbs)
	}
	if id := h.id("clb"); id[:3] != "lb-" {
		t.Fatalf("load balancer id %q is not Alibaba-shaped", id)
	}
	_, err = h.call("DescribeInstances", versionECS, map[string]any{"RegionId": region})
	wantError(t, err, codeInvalidAction, http.StatusNotFound)
}

func TestDescribeENIsByToken(t *testing.T) {
	spec := fixtureSpec()
	for i := range 11 {
		spec.NetworkInterfaces = append(spec.NetworkInterfaces, cloudmock.NetworkInterface{
			NetworkInterfaceId: "extra-" + itoa(i), SubnetId: "public", PrivateIpAddress: "10.0.1." + itoa(20+i)})
	}
	h := newHarness(t, spec, true)
	seen := map[string]bool{}
	token := ""
	for page := 0; ; page++ {
		q := map[string]any{"RegionId": region, "MaxResults": 3} // below ECS's minimum: 10
		if token != "" {
			q["NextToken"] = token
		}
		res, err := h.call("DescribeNetworkInterfaces", versionECS, q)
		if err != nil {
			t.Fatal(err)
		}
		body := res["body"].(map[string]any)
		set := body["NetworkInterfaceSets"].(map[string]any)["NetworkInterfaceSet"].([]any)
		for _, e := range set {
			seen[e.(map[string]any)["NetworkInterfaceId"].(string)] = true
		}
		token, _ = body["NextToken"].(string)
		if page == 0 && (len(set) != 10 || token == "") {
			t.Fatalf("first page: %d enis, NextToken %q", len(set), token)
		}
		if token == "" {
			break
		}
	}
	if len(seen) != 16 {
		t.Fatalf("token paging listed %d of 16 enis", len(seen))
	}
}
