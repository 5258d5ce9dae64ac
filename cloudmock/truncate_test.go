package cloudmock

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// truncSpec: eni-web mirrors everything to a target chosen by mod.
func truncSpec(mod func(*Spec)) Spec {
	s := walkthroughSpec()
	openAll(&s)
	r6 := TrafficMirrorFilterRule{RuleNumber: 200, RuleAction: "accept", SourceCidrBlock: "::/0", DestinationCidrBlock: "::/0"}
	s.TrafficMirrorFilters[0].IngressFilterRules = append(s.TrafficMirrorFilters[0].IngressFilterRules, r6)
	s.SecurityGroups[0].IpPermissions[0].Ipv6Ranges = []Ipv6Range{{CidrIpv6: "::/0"}}
	if mod != nil {
		mod(&s)
	}
	return s
}

func TestTruncation(t *testing.T) {
	mtu := func(eni string, v int) func(*Spec) {
		return func(s *Spec) {
			for i := range s.NetworkInterfaces {
				if s.NetworkInterfaces[i].NetworkInterfaceId == eni {
					s.NetworkInterfaces[i].Mtu = v
				}
			}
		}
	}
	both := func(fs ...func(*Spec)) func(*Spec) {
		return func(s *Spec) {
			for _, f := range fs {
				f(s)
			}
		}
	}
	plen := func(v int) func(*Spec) { return func(s *Spec) { s.TrafficMirrorSessions[0].PacketLength = new(v) } }
	alibaba := func(s *Spec) {
		s.Profile = "alibaba"
		s.TrafficMirrorFilters[0].IngressFilterRules = s.TrafficMirrorFilters[0].IngressFilterRules[:1]
		s.SecurityGroups[0].IpPermissions[0].Ipv6Ranges = nil
	}
	gwlb := func(s *Spec) {
		s.LoadBalancers = []LoadBalancer{{LoadBalancerArn: "arn:gwlb", Type: "gateway", VpcEndpointId: "vpce-1", SubnetId: "subnet-adapter",
			PrivateIpAddress: "10.0.0.30", Targets: []TargetDescription{{NetworkInterfaceId: "eni-adapter"}}}}
		s.TrafficMirrorTargets[0] = &TrafficMirrorTarget{TrafficMirrorTargetId: "tmt-adapter", GatewayLoadBalancerEndpointId: "vpce-1"}
	}
	nlb := func(s *Spec) {
		s.LoadBalancers = []LoadBalancer{{LoadBalancerArn: "arn:nlb", Type: "network", SubnetId: "subnet-adapter",
			PrivateIpAddress: "10.0.0.30", Listeners: []Listener{{Protocol: "UDP", Port: 4789}},
			Targets: []TargetDescription{{NetworkInterfaceId: "eni-adapter"}}}}
		s.TrafficMirrorTargets[0] = &TrafficMirrorTarget{TrafficMirrorTargetId: "tmt-adapter", NetworkLoadBalancerArn: "arn:nlb"}
	}
	cases := []struct {
		name   string
		mod    func(*Spec)
		v6     bool
		ipLen  int // inner IP packet length
		wantIn int // inner frame bytes kept
	}{
		{"9001 target, 8947 fits", nil, false, 8947, 8947 + 14},
		{"9001 target, 8948 cut", nil, false, 8948, 8947 + 14},
		{"1500 target, 1446 fits", mtu("eni-adapter", 1500), false, 1446, 1460},
		{"1500 target, 1500 cut to 1446", mtu("eni-adapter", 1500), false, 1500, 1460},
		{"1500 target, inner ipv6 over ipv4 reserves 54", mtu("eni-adapter", 1500), true, 1500, 1500 - 54 + 14},
		{"source mtu ignored on aws", mtu("eni-web", 1500), false, 8000, 8014},
		{"packet length", plen(100), false, 1500, 100},
		{"packet length above the mtu rule", both(mtu("eni-adapter", 1500), plen(2000)), false, 1500, 1460},
		{"packet length below the mtu rule", both(mtu("eni-adapter", 1500), plen(1000)), false, 1500, 1000},
		{"packet length larger than packet", plen(8000), false, 1500, 1514},
		{"alibaba source mtu 1500", both(alibaba, mtu("eni-web", 1500)), false, 1450, 1464},
		{"alibaba source mtu 1500 cut", both(alibaba, mtu("eni-web", 1500)), false, 1500, 1464},
		{"alibaba target mtu ignored", both(alibaba, mtu("eni-adapter", 1500)), false, 5000, 5014},
		{"gateway load balancer 8500", gwlb, false, 8900, 8500 - 54 + 14},
		{"network load balancer: no mtu rule", nlb, false, 8900, 8914},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := mustNew(t, truncSpec(c.mod))
			web := mustENI(t, m, "eni-web")
			p := udp("203.0.113.9", "10.0.0.5", 5000, 6000)
			p.PayloadLen = c.ipLen - 28
			if c.v6 {
				p = udp("2001:db8::9", "2001:db8::5", 5000, 6000)
				p.PayloadLen = c.ipLen - 48
			}
			f := frame(t, p)
			d := m.Decide(web, Ingress, f)
			if !d.Mirrored {
				t.Fatalf("not mirrored: %s", d)
			}
			out := d.AppendFrame(nil, FrameHeader{}, f)
			inner := out[50:]
			if len(inner) != c.wantIn || d.InnerLen(len(f)) != c.wantIn {
				t.Fatalf("inner frame %d bytes (InnerLen %d), want %d", len(inner), d.InnerLen(len(f)), c.wantIn)
			}
			if d.Truncated(len(f)) != (c.wantIn < len(f)) {
				t.Errorf("Truncated %v for %d of %d", d.Truncated(len(f)), c.wantIn, len(f))
			}
			if got := strings.Contains(d.String(), "truncated to"); got != (c.wantIn < len(f)) {
				t.Errorf("String says truncated %v: %s", got, d)
			}
			if !bytes.Equal(inner, f[:c.wantIn]) {
				t.Errorf("inner bytes are not the frame's first %d bytes (headers and checksums untouched)", c.wantIn)
			}
			pkt := gopacket.NewPacket(out, layers.LayerTypeEthernet, gopacket.Default)
			oip, _ := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
			if oip == nil || int(oip.Length) != 36+c.wantIn {
				t.Fatalf("outer IPv4 length: %+v, want %d", oip, 36+c.wantIn)
			}
			vx, _ := pkt.Layer(layers.LayerTypeVXLAN).(*layers.VXLAN)
			if vx == nil || len(vx.Payload) != c.wantIn {
				t.Fatalf("VXLAN layer missing or payload %d bytes", len(vx.Payload))
			}
		})
	}
}
