package explain

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
)

func explainFile(t *testing.T, path string, opts Options) *Report {
	t.Helper()
	s, err := spec.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Explain(s, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// hop finds the hop of a flow by packet label, interface and direction.
func hop(t *testing.T, r *Report, flow, label, eni, dir string) Hop {
	t.Helper()
	for _, f := range r.Flows {
		if f.Name != flow {
			continue
		}
		for _, h := range f.Hops {
			if h.Packet == label && h.ENI == eni && h.Direction == dir {
				return h
			}
		}
	}
	t.Fatalf("no hop %s/%s at %s %s in %+v", flow, label, eni, dir, r.Flows)
	return Hop{}
}

func TestDefaultScenario(t *testing.T) {
	r := explainFile(t, "../../../scenarios/default.yaml", Options{})
	req := hop(t, r, "web-load", "request", "web-eni", "ingress")
	if !req.Mirrored || req.Session != "web-session" || req.Target != "adapter-target" || req.VNI != 1 ||
		req.Rule != 100 || req.Truncated || !req.Delivered || req.Delivery != "delivered" {
		t.Fatalf("request hop %+v", req)
	}
	// The walk-through also mirrors production's answers (egress from port
	// 80) for the agent to compare.
	resp := hop(t, r, "web-load", "response", "web-eni", "egress")
	if !resp.Mirrored || resp.Session != "web-session" || resp.Rule != 100 || resp.VNI != 1 || !resp.Delivered {
		t.Fatalf("response hop %+v", resp)
	}
	if c := hop(t, r, "web-load", "request", "client-eni", "egress"); c.Reason != "no-session" {
		t.Fatalf("client hop %+v", c)
	}
	if r.Cost == nil || r.Cost.TotalUSD != 10.95 { // 1 source ENI x 730 h x 0.015 USD
		t.Fatalf("cost %+v", r.Cost)
	}
	var out bytes.Buffer
	r.Render(&out, false)
	for _, want := range []string{"MIRRORED by web-session", "VNI 1", "delivered to adapter-eni (10.0.0.20)", "10.95 USD"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("rendered report lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "client-eni") {
		t.Errorf("non-verbose report lists an interface with no session:\n%s", out.String())
	}
}

func TestRuleOrderAndImplicitReject(t *testing.T) {
	r := explainFile(t, "../../../scenarios/library/rule-order.yaml", Options{})
	if h := hop(t, r, "http-8080", "syn", "web-eni", "ingress"); h.Mirrored || h.Reason != "rejected-by-rule" || h.Rule != 10 {
		t.Fatalf("8080 hop %+v", h)
	}
	if h := hop(t, r, "http-80", "syn", "web-eni", "ingress"); !h.Mirrored || h.Rule != 20 || h.VNI != 10 {
		t.Fatalf("80 hop %+v", h)
	}
	if h := hop(t, r, "udp", "datagram", "web-eni", "ingress"); h.Mirrored || h.Reason != "no-rule-matched" {
		t.Fatalf("udp hop %+v", h)
	}
}

func TestTruncationAndDelivery(t *testing.T) {
	r := explainFile(t, "../../../scenarios/library/packet-length.yaml", Options{})
	if h := hop(t, r, "big", "datagram", "web-eni", "ingress"); !h.Truncated || h.InnerBytes != 128 || h.Bytes != 14+20+8+1000 {
		t.Fatalf("big hop %+v", h)
	}
	if h := hop(t, r, "small", "datagram", "web-eni", "ingress"); h.Truncated || h.InnerBytes != 62 {
		t.Fatalf("small hop %+v", h)
	}
	r = explainFile(t, "../../../scenarios/library/mtu-truncation-aws.yaml", Options{})
	if h := hop(t, r, "jumbo", "datagram", "web-eni", "ingress"); !h.Truncated || h.InnerBytes != 1460 {
		t.Fatalf("jumbo hop %+v", h)
	}
	r = explainFile(t, "../../../scenarios/library/mtu-truncation-alibaba.yaml", Options{})
	if h := hop(t, r, "too-big", "datagram", "web-eni", "ingress"); !h.Truncated || h.InnerBytes != 1464 {
		t.Fatalf("alibaba hop %+v", h)
	}
	if h := hop(t, r, "fits", "datagram", "web-eni", "ingress"); h.Truncated {
		t.Fatalf("alibaba small hop %+v", h)
	}
	r = explainFile(t, "../../../scenarios/library/nacl-blocks-vxlan.yaml", Options{})
	if h := hop(t, r, "http", "request", "web-eni", "ingress"); !h.Mirrored || h.Delivered || h.Delivery != "dropped-by-target-nacl" {
		t.Fatalf("nacl hop %+v", h)
	}
	r = explainFile(t, "../../../scenarios/library/sg-blocks-vxlan.yaml", Options{})
	if h := hop(t, r, "http", "request", "web-eni", "ingress"); h.Delivered || h.Delivery != "dropped-by-target-sg" {
		t.Fatalf("sg hop %+v", h)
	}
}

// TestCentralInspection: copies from two application VPCs reach the
// inspection VPC through each one's peering; without a route they are lost,
// and the explanation says why.
func TestCentralInspection(t *testing.T) {
	r := explainFile(t, "../../../scenarios/library/central-inspection.yaml", Options{})
	for _, c := range []struct{ flow, eni, via string }{{"load-a", "web-a-eni", "pcx-app-a"}, {"load-b", "web-b-eni", "pcx-app-b"}} {
		h := hop(t, r, c.flow, "request", c.eni, "ingress")
		if !h.Mirrored || !h.Delivered || h.Via != c.via || !strings.Contains(h.Text, "from VPC") || !strings.Contains(h.Text, "through peering connection "+c.via) {
			t.Errorf("%s hop %+v", c.flow, h)
		}
	}
	r = explainFile(t, "../../../scenarios/library/central-inspection-tgw.yaml", Options{})
	for _, c := range []struct{ flow, eni string }{{"load-a", "web-a-eni"}, {"load-b", "web-b-eni"}} {
		h := hop(t, r, c.flow, "request", c.eni, "ingress")
		if !h.Delivered || h.Via != "hub" || !strings.Contains(h.Text, "through transit gateway hub") {
			t.Errorf("%s hop %+v", c.flow, h)
		}
	}
	r = explainFile(t, "../../../scenarios/library/inspection-no-route.yaml", Options{})
	h := hop(t, r, "http", "request", "web-eni", "ingress")
	if !h.Mirrored || h.Delivered || h.Delivery != "no-route-to-target" || h.Via != "" {
		t.Fatalf("no-route hop %+v", h)
	}
	var out bytes.Buffer
	r.Render(&out, false)
	if want := "NOT DELIVERED: lost: target collector-target is in VPC inspection and the source's VPC app has no route to it"; !strings.Contains(out.String(), want) {
		t.Fatalf("render lacks %q:\n%s", want, out.String())
	}
}

func TestQuotaViolationReported(t *testing.T) {
	r := explainFile(t, "../../../scenarios/library/quota-violation.yaml", Options{})
	if len(r.Problems) != 1 || r.Problems[0].Code != "TrafficMirrorSessionLimitExceeded" || !r.ProblemsExpected || r.Problems[0].Line == 0 {
		t.Fatalf("problems %+v", r.Problems)
	}
	var out bytes.Buffer
	r.Render(&out, false)
	if !strings.Contains(out.String(), "quota-violation.yaml:") || !strings.Contains(out.String(), "TrafficMirrorSessionLimitExceeded") {
		t.Fatalf("render:\n%s", out.String())
	}
}

func TestPacketFromCommandLine(t *testing.T) {
	p, err := ParsePacket("tcp 10.0.0.6:40000 -> 10.0.0.5:80", 10)
	if err != nil {
		t.Fatal(err)
	}
	r := explainFile(t, "../../../scenarios/default.yaml", Options{Packet: &p})
	if h := hop(t, r, "packet", "packet", "web-eni", "ingress"); !h.Mirrored || h.VNI != 1 {
		t.Fatalf("hop %+v", h)
	}
	// the same packet decided where it would be egress at web: no rule
	r = explainFile(t, "../../../scenarios/default.yaml", Options{Packet: &p, ENI: "web-eni", Direction: "egress"})
	if len(r.Flows[0].Hops) != 1 || r.Flows[0].Hops[0].Mirrored {
		t.Fatalf("hops %+v", r.Flows[0].Hops)
	}
	for _, bad := range []string{"tcp 10.0.0.6 -> 10.0.0.5:80", "sctp 1.2.3.4:1 -> 1.2.3.4:2", "tcp a:1 -> b:2", "udp 10.0.0.1:1"} {
		if _, err := ParsePacket(bad, 0); err == nil {
			t.Errorf("ParsePacket(%q) accepted", bad)
		}
	}
	if p, err := ParsePacket("icmp 10.0.0.6 > 10.0.0.5", 0); err != nil || p.Proto != 1 || p.DstPort != 8 {
		t.Fatalf("icmp: %+v %v", p, err)
	}
}

// explain says which agent compares whose answers and where noise comes
// from: a baseline at the address and port the run will give the agent,
// or production's own answers.
func TestShadowComparisons(t *testing.T) {
	r := explainFile(t, "../../../scenarios/library/shadow-baseline.yaml", Options{})
	want := Comparison{Agent: "adapter-agent", Production: "production", Test: "test-server", Baseline: "baseline", BaselineURL: "http://10.0.0.37:80"}
	if len(r.Comparisons) != 1 || r.Comparisons[0] != want {
		t.Fatalf("comparisons %+v", r.Comparisons)
	}
	var out bytes.Buffer
	r.Render(&out, false)
	if !strings.Contains(out.String(), "shadow testing: adapter-agent compares production's answers with test-server's (-compare); noise: what production and the baseline baseline disagree on (-compare-baseline http://10.0.0.37:80)") {
		t.Fatalf("render:\n%s", out.String())
	}
	r = explainFile(t, "../../../scenarios/library/shadow-noise.yaml", Options{})
	if len(r.Comparisons) != 1 || r.Comparisons[0].Baseline != "" || !strings.Contains(r.Comparisons[0].String(), "production answers identical requests differently") {
		t.Fatalf("comparisons %+v", r.Comparisons)
	}
}
