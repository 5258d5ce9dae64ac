package dataplane

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// TestPrivilegedVLANTagKept: web sends an 802.1Q-tagged frame (VLAN 42,
// priority 5, DEI set); the fabric port's kernel moves the tag into the
// skb's metadata before the capture sees it. The copy at the target
// carries the original frame, tag included, as AWS mirrors it; an
// untagged frame of the same burst stays untagged.
func TestPrivilegedVLANTagKept(t *testing.T) {
	lab := testLab(t)
	spec := baseSpec()
	addSession(&spec, "tms", "web", "tgt1", 1, 9, acceptAllButICMP())
	wire := captureWire(t, lab, "tgt1")
	svc, _ := startService(t, lab, spec, func(c *Config) { c.UserSpaceOnly = true })

	web := lab.Instance("web").ENI("eth0")
	gw := [6]byte(lab.Fabric("vpc").Bridge("public").MAC)
	plain := frame(t, cloudmock.Packet{Proto: 17, Src: web.IP, Dst: netip.MustParseAddr("10.0.0.6"),
		SrcPort: 33010, DstPort: 7778, PayloadLen: 20, SrcMAC: [6]byte(web.MAC), DstMAC: gw})
	const tci = 5<<13 | 1<<12 | 42
	tagged := append(append(append([]byte{}, plain[:12]...), 0x81, 0x00, tci>>8, tci&0xff), plain[12:]...)
	inject(t, lab, "web", tagged, plain)

	var inner [][]byte
	for deadline := time.Now().Add(3 * time.Second); len(inner) < 2 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		inner = innerFrames(wire.vxlan())
	}
	if len(inner) != 2 {
		t.Fatalf("target received %d copies, want 2\n%s", len(inner), dumpSnapshot(svc))
	}
	var sawTagged, sawPlain bool
	for _, f := range inner {
		switch {
		case bytes.Equal(f, tagged):
			sawTagged = true
		case bytes.Equal(f, plain):
			sawPlain = true
		default:
			t.Errorf("copy carries a frame that was not sent: % x", head(f))
		}
	}
	if !sawTagged || !sawPlain {
		t.Errorf("tagged copy found %v, untagged copy found %v", sawTagged, sawPlain)
	}
	if got := svc.Snapshot().ENIs["eni-web"].Egress.VLANTagged; got != 1 {
		t.Errorf("VLANTagged = %d, want 1", got)
	}
}

// innerFrames returns the inner Ethernet frames of VXLAN datagrams over
// IPv4 (outer Ethernet 14, IPv4 20, UDP 8, VXLAN 8).
func innerFrames(frames [][]byte) [][]byte {
	var out [][]byte
	for _, f := range frames {
		if len(f) < 50 || binary.BigEndian.Uint16(f[12:]) != 0x0800 {
			continue
		}
		out = append(out, f[14+int(f[14]&0xf)*4+16:])
	}
	return out
}
