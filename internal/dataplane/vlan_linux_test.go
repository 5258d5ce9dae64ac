package dataplane

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// TestPrivilegedVLANTagKept: web sends an 802.1Q-tagged frame (VLAN 42,
// priority 5, DEI set), and receives one from client (802.1ad, VLAN 7);
// the fabric port's kernel keeps the tag in the skb's metadata, out of
// what the capture ring shows, in both directions. Each copy at the
// target carries the original frame, tag included, as AWS mirrors it; an
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
	client := lab.Instance("client").ENI("eth0")
	toWeb := frame(t, cloudmock.Packet{Proto: 17, Src: client.IP, Dst: web.IP,
		SrcPort: 33011, DstPort: 7780, PayloadLen: 20, SrcMAC: [6]byte(client.MAC), DstMAC: [6]byte(web.MAC)})
	taggedIn := append(append(append([]byte{}, toWeb[:12]...), 0x88, 0xa8, 0, 7), toWeb[12:]...)
	inject(t, lab, "client", taggedIn)

	var inner [][]byte
	for deadline := time.Now().Add(3 * time.Second); len(inner) < 3 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		inner = innerFrames(wire.vxlan())
	}
	if len(inner) != 3 {
		t.Fatalf("target received %d copies, want 3\n%s", len(inner), dumpSnapshot(svc))
	}
	seen := map[string]bool{}
	for _, f := range inner {
		seen[string(f)] = true
	}
	for name, f := range map[string][]byte{"egress tagged": tagged, "egress untagged": plain, "ingress tagged (802.1ad)": taggedIn} {
		if !seen[string(f)] {
			t.Errorf("no copy of the %s frame as sent: got\n%s", name, hexFrames(inner))
		}
	}
	st := svc.Snapshot().ENIs["eni-web"]
	if st.Egress.VLANTagged != 1 || st.Ingress.VLANTagged != 1 {
		t.Errorf("VLANTagged egress %d ingress %d, want 1 and 1", st.Egress.VLANTagged, st.Ingress.VLANTagged)
	}
}

func hexFrames(fs [][]byte) string {
	var b bytes.Buffer
	for _, f := range fs {
		fmt.Fprintf(&b, "% x\n", head(f))
	}
	return b.String()
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
