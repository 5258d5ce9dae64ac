package cloudmock

import (
	"encoding/json"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/encap"
)

// FuzzDecide: no input frame makes the decision, delivery, encapsulation or
// counting panic, and a mirrored copy is well formed.
func FuzzDecide(f *testing.F) {
	for _, p := range []Packet{
		tcp("203.0.113.9", "10.0.0.5", 40000, 80),
		udp("10.0.0.5", "10.0.0.2", 5353, 53),
		tcp("2001:db8::1", "2001:db8::5", 1, 80),
		tcp("2001:db8:0:102::36", "2001:db8:0:100::5", 40000, 80),
		{Proto: encap.ProtoICMPv6, Src: addr("2001:db8:0:100::6"), Dst: addr("2001:db8:0:100::5"), ICMPType: 135},
		{Proto: encap.ProtoICMP, Src: addr("10.0.0.9"), Dst: addr("10.0.0.5"), ICMPType: 8},
		{ARP: true, Src: addr("10.0.0.1"), Dst: addr("10.0.0.5")},
	} {
		b, err := BuildFrame(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(0), uint8(0))
		f.Add(b, uint8(1), uint8(1))
		f.Add(b, uint8(0), uint8(1)) // ingress at eni-web
	}
	s := truncSpec(func(s *Spec) { s.TrafficMirrorSessions[0].PacketLength = new(200) })
	m := mustNew(f, s)
	n := mustNew(f, nlbSpec(true))
	// o carries its copies over IPv6 (eni-web and eni-adapter primary).
	o := mustNew(f, truncSpec(func(s *Spec) {
		dualStack(s)
		primaryIPv6(s)
		s.NetworkInterfaces[1].Mtu = 1500
	}))
	f.Fuzz(func(t *testing.T, b []byte, dir uint8, eni uint8) {
		for _, mm := range []*Model{m, n, o} {
			d := mm.Decide(ENIRef(int(eni%5)-1), Direction(dir&1), b)
			buf := d.AppendFrame(nil, FrameHeader{}, b)
			dl := mm.Deliver(&d)
			mm.CountMirrored(&d, len(b))
			mm.CountNotMirrored(&d)
			mm.CountDelivery(&d, &dl)
			_ = d.String()
			_ = dl.String()
			if !d.Mirrored {
				if len(buf) != 0 {
					t.Fatalf("not mirrored (%s) but framed %d bytes", d.Reason, len(buf))
				}
				continue
			}
			if d.Outer.SrcPort < 65408 || d.Outer.DstPort != encap.VXLANPort {
				t.Fatalf("outer ports %d -> %d", d.Outer.SrcPort, d.Outer.DstPort)
			}
			if d.Outer.Src.Is6() {
				// payload length = UDP length; the UDP checksum verifies
				udpLen := encap.UDPHeaderLen + encap.VXLANHeaderLen + d.InnerLen(len(b))
				if len(buf) != 14+encap.OuterIPv6Len+udpLen || int(buf[18])<<8|int(buf[19]) != udpLen || int(buf[58])<<8|int(buf[59]) != udpLen {
					t.Fatalf("outer IPv6 frame %d bytes, payload length %d, UDP length %d, want %d", len(buf), int(buf[18])<<8|int(buf[19]), int(buf[58])<<8|int(buf[59]), udpLen)
				}
				// Over a segment with a right checksum in place the sum is
				// 0xffff, its complement 0, which udp6Checksum returns as 0xffff.
				if c := udp6Checksum([16]byte(buf[22:38]), [16]byte(buf[38:54]), buf[54:]); c != 0xffff {
					t.Fatalf("outer UDP checksum does not verify: %#04x", c)
				}
				continue
			}
			if want := encap.OuterIPv4Len + encap.UDPHeaderLen + encap.VXLANHeaderLen + d.InnerLen(len(b)); len(buf) != 14+want || int(buf[16])<<8|int(buf[17]) != want {
				t.Fatalf("outer frame %d bytes, IPv4 length field %d, want %d", len(buf), int(buf[16])<<8|int(buf[17]), want)
			}
			if ipv4Checksum(buf[14:34]) != 0 {
				t.Fatalf("outer IPv4 checksum does not verify")
			}
		}
	})
}

// FuzzValidate: any JSON document is either refused by Validate with
// *ValidationErrors, or accepted and then built, decided on and delivered
// without panic.
func FuzzValidate(f *testing.F) {
	for _, s := range []Spec{walkthroughSpec(), nlbSpec(true), benchSpec(), awsCaptureSpec(), truncSpec(nil), instanceSpec()} {
		b, err := json.Marshal(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"Profile":"alibaba","TrafficMirrorSessions":[{"SessionNumber":-5,"VirtualNetworkId":99999999}]}`))
	pkt, _ := BuildFrame(tcp("203.0.113.9", "10.0.0.5", 40000, 80))
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Spec
		if json.Unmarshal(b, &s) != nil {
			return
		}
		err := s.Validate()
		if err != nil {
			validationErrors(t, err)
			if _, err2 := New(s); err2 == nil {
				t.Fatal("New accepted what Validate refused")
			}
			return
		}
		m, err := New(s, WithSeed(1))
		if err != nil {
			t.Fatalf("New refused what Validate accepted: %v", err)
		}
		for _, ref := range m.SourceENIs() {
			for dir := range 2 {
				d := m.Decide(ref, Direction(dir), pkt)
				dl := m.Deliver(&d)
				_ = d.AppendFrame(nil, FrameHeader{Dst: dl.To}, pkt)
			}
		}
		_ = m.Snapshot()
		_ = m.TargetAddrs()
	})
}
