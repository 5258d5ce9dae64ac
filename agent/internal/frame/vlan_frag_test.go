package frame

import (
	"encoding/binary"
	"testing"
)

// tagged returns inner (an Ethernet frame) with n VLAN tags inserted after
// its MAC addresses, alternating 802.1ad and 802.1Q.
func tagged(inner []byte, n int) []byte {
	out := append([]byte{}, inner[:12]...)
	for i := 0; i < n; i++ {
		tpid := uint16(etherTypeVLAN)
		if i%2 == 0 {
			tpid = etherTypeQinQ
		}
		out = binary.BigEndian.AppendUint16(out, tpid)
		out = binary.BigEndian.AppendUint16(out, uint16(100+i))
	}
	return append(out, inner[12:]...)
}

// TestVLANDepth: up to MaxVLANTags tags are stripped (three used to be
// counted not_ip); beyond, the frame is counted not_ip.
func TestVLANDepth(t *testing.T) {
	_, inner := decodeOuter(t, awsSYN)
	for n := 0; n <= MaxVLANTags+1; n++ {
		var in Inner
		r := in.DecodeEthernet(tagged(inner, n))
		want := OK
		if n > MaxVLANTags {
			want = NotIP
		}
		if r != want {
			t.Errorf("%d tags: %v, want %v", n, r, want)
			continue
		}
		if r == OK && (in.DstPort != 22 || in.DecodeTCP() != OK) {
			t.Errorf("%d tags: port %d", n, in.DstPort)
		}
	}
	var in Inner
	if r := in.DecodeEthernet(tagged(inner, 3)[:14+3*4-2]); r != Truncated {
		t.Errorf("cut inside the tags: %v", r)
	}
}

// TestFirstFragment: the first fragment of a TCP packet exposes its
// protocol and data (so a request line in it can be counted); later
// fragments do not.
func TestFirstFragment(t *testing.T) {
	_, inner := decodeOuter(t, awsSYN)
	pkt := append([]byte{}, inner[14:]...) // the inner IPv4 packet
	var ip IP
	if r := ip.Decode(pkt); r != OK || ip.FirstFragment {
		t.Fatalf("whole packet: %v first=%v", r, ip.FirstFragment)
	}
	pkt[6], pkt[7] = 0x20, 0 // MF, offset 0
	if r := ip.Decode(pkt); r != Fragment || !ip.FirstFragment || ip.Protocol != protoTCP ||
		binary.BigEndian.Uint16(ip.Payload[2:4]) != 22 {
		t.Fatalf("first fragment: %v first=%v proto %d", r, ip.FirstFragment, ip.Protocol)
	}
	pkt[6], pkt[7] = 0x00, 0xb9 // last fragment, offset 185*8
	if r := ip.Decode(pkt); r != Fragment || ip.FirstFragment {
		t.Fatalf("later fragment: %v first=%v", r, ip.FirstFragment)
	}

	// IPv6: a fragment header (44) before TCP.
	inner6 := mirrorlabV6SYN[14+40+8+8:] // after the outer Ethernet, IPv6, UDP and VXLAN headers
	v6 := append([]byte{}, inner6[14:14+40]...)
	v6[6] = 44
	binary.BigEndian.PutUint16(v6[4:6], uint16(8+len(inner6[14+40:])))
	v6 = append(v6, protoTCP, 0, 0, 1, 0, 0, 0, 7) // offset 0, M set
	v6 = append(v6, inner6[14+40:]...)
	if r := ip.Decode(v6); r != Fragment || !ip.FirstFragment || ip.Protocol != protoTCP ||
		binary.BigEndian.Uint16(ip.Payload[2:4]) != 80 {
		t.Fatalf("IPv6 first fragment: %v first=%v proto %d", r, ip.FirstFragment, ip.Protocol)
	}
	v6[40+2], v6[40+3] = 0, 0xb8 // offset 23*8
	if r := ip.Decode(v6); r != Fragment || ip.FirstFragment {
		t.Fatalf("IPv6 later fragment: %v first=%v", r, ip.FirstFragment)
	}
}
