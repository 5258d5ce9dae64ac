package pipeline

import (
	"encoding/binary"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/agent/internal/pktgen"
)

// fragment splits the IPv4 packet of an Ethernet frame into two
// fragments, the first carrying at bytes of its payload (a multiple of 8).
func fragment(frame []byte, at int) [][]byte {
	eth, ip := frame[:14], frame[14:]
	ihl := int(ip[0]&0x0f) * 4
	payload := ip[ihl:]
	part := func(data []byte, off int, more bool) []byte {
		h := append([]byte{}, ip[:ihl]...)
		binary.BigEndian.PutUint16(h[2:4], uint16(ihl+len(data)))
		fo := uint16(off / 8)
		if more {
			fo |= 0x2000
		}
		binary.BigEndian.PutUint16(h[6:8], fo)
		return append(append(append([]byte{}, eth...), h...), data...)
	}
	return [][]byte{part(payload[:at], 0, true), part(payload[at:], at, false)}
}

// TestFragmentedRequestCounted: a request whose segment arrives in IP
// fragments (not reassembled) is counted (requests.fragmented) instead of
// vanishing; when later bytes of its connection arrive, the hole also
// drops it as a gap and the next request is replayed.
func TestFragmentedRequestCounted(t *testing.T) {
	e, s, c := newEngine(t, Config{Ports: []uint16{80}, PacketClock: true, FlushInterval: time.Hour})
	d := e.NewDecoder()
	now := time.Unix(1000, 0)
	big := "POST /frag HTTP/1.1\r\nHost: h\r\nContent-Length: 2000\r\n\r\n" + strings.Repeat("f", 2000)

	// A connection that goes on after the fragmented request.
	f := pktgen.NewFlow(client, server, 7)
	f.MSS = 4000
	d.Datagram(pktgen.VXLAN(9, f.Frame(f.SYN())), now)
	for _, seg := range f.Write([]byte(big)) {
		for _, fr := range fragment(f.Frame(seg), 1480) {
			d.Datagram(pktgen.VXLAN(9, fr), now)
		}
	}
	for _, seg := range append(f.Write([]byte("GET /after HTTP/1.1\r\nHost: h\r\n\r\n")), f.FIN()) {
		d.Datagram(pktgen.VXLAN(9, f.Frame(seg)), now)
	}

	// A connection whose only request is fragmented, and nothing after.
	g := pktgen.NewFlow(netip.MustParseAddrPort("10.0.0.6:40001"), server, 9)
	g.MSS = 4000
	d.Datagram(pktgen.VXLAN(9, g.Frame(g.SYN())), now)
	for _, seg := range g.Write([]byte(big)) {
		for _, fr := range fragment(g.Frame(seg), 1480) {
			d.Datagram(pktgen.VXLAN(9, fr), now)
		}
	}
	e.Close()

	if want := []string{"9 GET /after"}; !reflect.DeepEqual(s.got, want) {
		t.Fatalf("requests %q, want %q", s.got, want)
	}
	snap := c.Snapshot()
	if snap.Inner["ip_fragment"] != 4 || snap.Requests.Fragmented != 2 {
		t.Fatalf("inner %v fragmented requests %d, want 4 fragments and 2 requests", snap.Inner, snap.Requests.Fragmented)
	}
	if snap.Requests.Dropped["gap"] != 1 || snap.Requests.Parsed != 1 {
		t.Fatalf("parsed %d dropped %v, want 1 parsed and the first connection's hole dropped as a gap", snap.Requests.Parsed, snap.Requests.Dropped)
	}
}
