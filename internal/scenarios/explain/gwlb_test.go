package explain

import (
	"bytes"
	"strings"
	"testing"
)

// TestGatewayLoadBalancer: explain tells, for each GWLB library scenario,
// which appliance gets the copy among how many healthy ones, that it goes
// in GENEVE from the GWLB with AWS's TLVs, and which rule cuts it.
func TestGatewayLoadBalancer(t *testing.T) {
	for _, c := range []struct {
		file, flow, label string
		want              []string
		truncated         bool
	}{
		{"../../../scenarios/library/gwlb-two-appliances.yaml", "web-load", "request", []string{
			"of target gwlb-target, chosen by the flow hash among 2 healthy of 2, in GENEVE from the gateway load balancer (10.0.0.24:",
			"-> 6081; endpoint id 0x", "flow cookie 0x"}, false},
		{"../../../scenarios/library/gwlb-unhealthy-appliance.yaml", "web-load", "request", []string{
			"delivered to appliance appliance1-eni (10.0.0.20)", "among 1 healthy of 2, in GENEVE"}, false},
		{"../../../scenarios/library/gwlb-truncation.yaml", "jumbo", "datagram", []string{
			"truncated 8914 -> 8460 bytes (the gateway load balancer's MTU 8500 less 54 reserved)", "in GENEVE from the gateway load balancer"}, true},
		{"../../../scenarios/library/gwlb-truncation.yaml", "fits", "datagram", []string{"whole (8460 bytes)", "in GENEVE"}, false},
		{"../../../scenarios/library/gwlb-truncation-ipv6.yaml", "jumbo", "datagram", []string{
			"over IPv6 (74 bytes reserved), truncated 8914 -> 8440 bytes (the gateway load balancer's MTU 8500 less 74 reserved)", "in GENEVE from the gateway load balancer"}, true},
		{"../../../scenarios/library/gwlb-truncation-ipv6.yaml", "fits", "datagram", []string{"over IPv6 (74 bytes reserved), whole (8440 bytes)", "in GENEVE"}, false},
	} {
		r := explainFile(t, c.file, Options{})
		h := hop(t, r, c.flow, c.label, "web-eni", "ingress")
		if !h.Mirrored || !h.Delivered || h.Truncated != c.truncated {
			t.Errorf("%s %s: hop %+v", c.file, c.flow, h)
		}
		var b bytes.Buffer
		r.Render(&b, false)
		for _, w := range c.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s: explain lacks %q:\n%s", c.file, w, b.String())
			}
		}
	}
}
