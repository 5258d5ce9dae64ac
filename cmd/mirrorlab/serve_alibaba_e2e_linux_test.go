package main

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
	vpc "github.com/alibabacloud-go/vpc-20160428/v6/client"

	"github.com/mirrorlab/mirrorlab/internal/nsrun"
	"github.com/mirrorlab/mirrorlab/internal/privtest"
	"github.com/mirrorlab/mirrorlab/lab"
)

// alibabaENIs finds ENIs by name with ECS's DescribeNetworkInterfaces,
// through the SDK's generic OpenAPI call (the ECS SDK is not a dependency).
func alibabaENIs(t *testing.T, c *vpc.Client, names ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, n := range names {
		res, err := c.CallApi(&openapiutil.Params{Action: dara.String("DescribeNetworkInterfaces"), Version: dara.String("2014-05-26"),
			Protocol: dara.String("HTTP"), Pathname: dara.String("/"), Method: dara.String("POST"), AuthType: dara.String("AK"),
			Style: dara.String("RPC"), ReqBodyType: dara.String("formData"), BodyType: dara.String("json")},
			&openapiutil.OpenApiRequest{Query: openapiutil.Query(map[string]any{"RegionId": alibabaRegion, "NetworkInterfaceName": n})},
			&dara.RuntimeOptions{})
		if err != nil {
			t.Fatalf("DescribeNetworkInterfaces %s: %v", n, err)
		}
		set, _ := res["body"].(map[string]any)["NetworkInterfaceSets"].(map[string]any)["NetworkInterfaceSet"].([]any)
		if len(set) != 1 {
			t.Fatalf("DescribeNetworkInterfaces %s: %v", n, res["body"])
		}
		out[n] = set[0].(map[string]any)["NetworkInterfaceId"].(string)
	}
	return out
}

// pollUntil polls status (as an SDK caller does) until it answers want.
func pollUntil(t *testing.T, what string, want string, status func() string) {
	t.Helper()
	start := time.Now()
	for got := status(); got != want; got = status() {
		if time.Since(start) > 15*time.Second {
			t.Fatalf("%s is %q after %s, want %q", what, got, time.Since(start), want)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("%s: %s after %.1fs of polling", what, want, time.Since(start).Seconds())
}

// udpFromClient sends n datagrams of size bytes from the client's
// namespace to each address.
func udpFromClient(t *testing.T, ns string, size, n int, to ...string) {
	t.Helper()
	for _, addr := range to {
		var conn net.Conn
		if err := nsrun.RunNamed(ns, func() (err error) { conn, err = net.Dial("udp4", addr); return err }); err != nil {
			t.Fatalf("udp from the client to %s: %v", addr, err)
		}
		payload := []byte(strings.Repeat("m", size))
		for range n {
			if _, err := conn.Write(payload); err != nil {
				t.Fatalf("send to %s: %v", addr, err)
			}
			time.Sleep(2 * time.Millisecond)
		}
		conn.Close()
	}
}

// TestPrivilegedServeAlibabaSDK drives mirrorlab serve on an alibaba
// scenario with Alibaba's official Go SDK: it opens traffic mirroring,
// finds the ENIs, creates a filter (UDP 5000 in) and an enabled session
// from web to the collector with VNI 77, polling each until Created; UDP
// datagrams from the client then arrive at the collector as VXLAN copies
// with VNI 77, cut to the source's MTU less 50 (inner frame 1464 bytes
// for a 1440-byte datagram, whole for a 100-byte one). db added as a
// second source is mirrored too; web removed is not; the session disabled
// mirrors nothing, enabled again it does; deleted, nothing.
func TestPrivilegedServeAlibabaSDK(t *testing.T) {
	privtest.Require(t)
	dir := t.TempDir()
	ep, _ := startServe(t, filepath.Join("testdata", "serve-alibaba-e2e.yaml"), serveOpts{stateDir: dir})
	l, err := lab.Choose(dir, "")
	if err != nil {
		t.Fatalf("the served lab is not recorded: %v", err)
	}
	info := l.Record.Info
	c := alibabaClient(t, ep)
	capture := captureVXLAN(t, info.Instances["collector"])
	const web, db = "10.0.0.5:5000", "10.0.0.7:5000"
	reg := dara.String(alibabaRegion)

	st, err := c.GetTrafficMirrorServiceStatus(&vpc.GetTrafficMirrorServiceStatusRequest{RegionId: reg})
	noErr(t, err)
	if dara.BoolValue(st.Body.Enabled) {
		t.Fatal("traffic mirroring is open before OpenTrafficMirrorService")
	}
	if _, err := c.OpenTrafficMirrorService(&vpc.OpenTrafficMirrorServiceRequest{RegionId: reg}); err != nil {
		t.Fatal(err)
	}
	enis := alibabaENIs(t, c, "web-eni", "db-eni", "collector-eni")
	f, err := c.CreateTrafficMirrorFilter(&vpc.CreateTrafficMirrorFilterRequest{RegionId: reg, TrafficMirrorFilterName: dara.String("udp-5000"),
		IngressRules: []*vpc.CreateTrafficMirrorFilterRequestIngressRules{{Action: dara.String("accept"), Priority: dara.Int32(1),
			Protocol: dara.String("UDP"), DestinationPortRange: dara.String("5000/5000"), SourceCidrBlock: dara.String("0.0.0.0/0"), DestinationCidrBlock: dara.String("0.0.0.0/0")}}})
	noErr(t, err)
	fid := dara.StringValue(f.Body.TrafficMirrorFilterId)
	pollUntil(t, "filter "+fid, "Created", func() string {
		res, err := c.ListTrafficMirrorFilters(&vpc.ListTrafficMirrorFiltersRequest{RegionId: reg, TrafficMirrorFilterIds: []*string{&fid}})
		noErr(t, err)
		return dara.StringValue(res.Body.TrafficMirrorFilters[0].TrafficMirrorFilterStatus)
	})
	s, err := c.CreateTrafficMirrorSession(&vpc.CreateTrafficMirrorSessionRequest{RegionId: reg, TrafficMirrorSessionName: dara.String("e2e"),
		TrafficMirrorFilterId: &fid, Priority: dara.Int32(1), VirtualNetworkId: dara.Int32(77), Enabled: dara.Bool(true),
		TrafficMirrorSourceIds: []*string{dara.String(enis["web-eni"])}, TrafficMirrorTargetId: dara.String(enis["collector-eni"]),
		TrafficMirrorTargetType: dara.String("NetworkInterface")})
	noErr(t, err)
	sid := dara.StringValue(s.Body.TrafficMirrorSessionId)
	sessionStatus := func() string {
		res, err := c.ListTrafficMirrorSessions(&vpc.ListTrafficMirrorSessionsRequest{RegionId: reg, TrafficMirrorSessionIds: []*string{&sid}})
		noErr(t, err)
		if len(res.Body.TrafficMirrorSessions) == 0 {
			return "gone"
		}
		return dara.StringValue(res.Body.TrafficMirrorSessions[0].TrafficMirrorSessionStatus)
	}
	pollUntil(t, "session "+sid, "Created", sessionStatus)

	round := func(name string, want ...string) {
		t.Helper()
		capture.reset()
		udpFromClient(t, info.Instances["client"], 1440, 5, web, db)
		udpFromClient(t, info.Instances["client"], 100, 5, web, db)
		time.Sleep(time.Second)
		got := map[string][]int{} // destination -> inner frame lengths
		for _, cp := range capture.snapshot() {
			if cp.vni != 77 {
				t.Fatalf("%s: a copy with VNI %d, want 77", name, cp.vni)
			}
			got[cp.udpDst] = append(got[cp.udpDst], cp.innerLen)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: copies of %v, want of %v", name, keys(got), want)
		}
		for _, dst := range want {
			lens := got[dst]
			if len(lens) != 10 {
				t.Fatalf("%s: %d copies of datagrams to %s, want 10: %v", name, len(lens), dst, lens)
			}
			cut, whole := 0, 0
			for _, n := range lens {
				switch n {
				case 1464: // 1500 - 50 bytes of IP packet, plus the 14-byte Ethernet header
					cut++
				case 14 + 20 + 8 + 100:
					whole++
				}
			}
			if cut != 5 || whole != 5 {
				t.Fatalf("%s: inner frame lengths to %s %v, want 5 of 1464 (Alibaba truncation) and 5 of 142", name, dst, lens)
			}
		}
		t.Logf("%s: copies of %v with VNI 77", name, want)
	}
	round("session-created", web)

	if _, err := c.AddSourcesToTrafficMirrorSession(&vpc.AddSourcesToTrafficMirrorSessionRequest{RegionId: reg, TrafficMirrorSessionId: &sid,
		TrafficMirrorSourceIds: []*string{dara.String(enis["db-eni"])}}); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, "session after AddSources", "Created", sessionStatus)
	round("db-added", web, db)

	if _, err := c.RemoveSourcesFromTrafficMirrorSession(&vpc.RemoveSourcesFromTrafficMirrorSessionRequest{RegionId: reg, TrafficMirrorSessionId: &sid,
		TrafficMirrorSourceIds: []*string{dara.String(enis["web-eni"])}}); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, "session after RemoveSources", "Created", sessionStatus)
	round("web-removed", db)

	for _, enabled := range []bool{false, true} {
		if _, err := c.UpdateTrafficMirrorSessionAttribute(&vpc.UpdateTrafficMirrorSessionAttributeRequest{RegionId: reg, TrafficMirrorSessionId: &sid, Enabled: dara.Bool(enabled)}); err != nil {
			t.Fatal(err)
		}
		pollUntil(t, fmt.Sprintf("session with Enabled=%v", enabled), "Created", sessionStatus)
		if enabled {
			round("enabled-again", db)
		} else {
			round("disabled")
		}
	}

	if _, err := c.DeleteTrafficMirrorSession(&vpc.DeleteTrafficMirrorSessionRequest{RegionId: reg, TrafficMirrorSessionId: &sid}); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, "deleted session", "gone", sessionStatus)
	round("session-deleted")
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
