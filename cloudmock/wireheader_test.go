package cloudmock

import (
	"bytes"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/encap"
)

// TestAppendWireHeaderThenFrame: over IPv4 (VXLAN to an ENI, GENEVE from a
// gateway load balancer), the headers AppendWireHeader writes followed by
// the frame cut to InnerLen are AppendWire's bytes, for whole and cut
// frames, so the data plane may send the frame from where it lies; a copy
// over IPv6, whose UDP checksum covers the frame, is refused.
func TestAppendWireHeaderThenFrame(t *testing.T) {
	h := FrameHeader{SrcMAC: [6]byte{2, 0, 0, 0, 0, 1}, DstMAC: [6]byte{2, 0, 0, 0, 0, 2}}
	check := func(name string, d Decision, dl Delivery, f []byte, wantOK bool) {
		t.Helper()
		hdr, ok := d.AppendWireHeader([]byte{0xee}, h, &dl, len(f))
		if ok != wantOK {
			t.Fatalf("%s: ok %v, want %v", name, ok, wantOK)
		}
		if !ok {
			if !bytes.Equal(hdr, []byte{0xee}) {
				t.Fatalf("%s: refused but appended %x", name, hdr[1:])
			}
			return
		}
		got := append(hdr, f[:d.InnerLen(len(f))]...)
		want := d.AppendWire([]byte{0xee}, h, &dl, f)
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: header + frame\n%x\nwant AppendWire's\n%x", name, got, want)
		}
		if len(hdr)-1 != encap.EthernetHeaderLen+d.WireIPLen(&dl, len(f))-d.InnerLen(len(f)) {
			t.Fatalf("%s: header of %d bytes, WireIPLen says %d", name, len(hdr)-1, encap.EthernetHeaderLen+d.WireIPLen(&dl, len(f))-d.InnerLen(len(f)))
		}
	}
	m := mustNew(t, awsCaptureSpec())
	src := mustENI(t, m, "eni-src")
	for _, n := range []int{0, 100, 1400} {
		p := udp("172.31.0.238", "172.31.17.188", 5000, 6000)
		p.PayloadLen = n
		f := frame(t, p)
		d := m.Decide(src, Egress, f)
		check("vxlan", d, m.Deliver(&d), f, true)
	}
	cut := awsCaptureSpec()
	cut.TrafficMirrorSessions[0].PacketLength = new(100)
	mc := mustNew(t, cut)
	p := udp("172.31.0.238", "172.31.17.188", 5000, 6000)
	p.PayloadLen = 1000
	f := frame(t, p)
	d := mc.Decide(mustENI(t, mc, "eni-src"), Egress, f)
	if !d.Truncated(len(f)) {
		t.Fatalf("packet length 100 does not cut a %d-byte frame", len(f))
	}
	check("vxlan cut", d, mc.Deliver(&d), f, true)

	g := mustNew(t, gwlbSpec())
	gd, gdl, gf := gwlbDeliver(t, g, tcp("203.0.113.9", "10.0.0.5", 40000, 80), Ingress)
	check("geneve", gd, gdl, gf, true)
	g6 := mustNew(t, gwlbSpec6())
	p6 := udp("2001:db8::9", "2001:db8:0:100::5", 5000, 6000)
	p6.PayloadLen = 500
	f6 := frame(t, p6)
	d6 := g6.Decide(mustENI(t, g6, "eni-web"), Ingress, f6)
	if !d6.Mirrored || !d6.Outer.Src.Is6() {
		t.Fatalf("not mirrored over IPv6: %s", d6)
	}
	dl6 := g6.Deliver(&d6)
	check("geneve, vxlan over ipv6", d6, dl6, f6, false)
	undelivered := dl6
	undelivered.Delivered = false
	check("undelivered", gd, undelivered, gf, false)
}
