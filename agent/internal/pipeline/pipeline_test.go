package pipeline

import (
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/agent/internal/httpparse"
	"github.com/mirrorlab/mirrorlab/agent/internal/metrics"
	"github.com/mirrorlab/mirrorlab/agent/internal/pktgen"
	"github.com/mirrorlab/mirrorlab/agent/internal/stream"
)

type sink struct {
	mu  sync.Mutex
	got []string
}

func (s *sink) add(c stream.Conn, r *httpparse.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, fmt.Sprintf("%d %s %s", c.VNI, r.Method, r.Target))
}

func newEngine(t testing.TB, cfg Config) (*Engine, *sink, *metrics.Counters) {
	s := &sink{}
	cfg.Counters = metrics.New()
	cfg.Stream.Sink = s.add
	cfg.Block = true
	e := New(cfg)
	e.Start()
	return e, s, cfg.Counters
}

var (
	client = netip.MustParseAddrPort("10.0.0.5:40000")
	server = netip.MustParseAddrPort("10.0.0.10:80")
)

func flowDatagrams(vni uint32, f *pktgen.Flow, data string, fin bool) [][]byte {
	segs := append([]pktgen.Segment{f.SYN()}, f.Write([]byte(data))...)
	if fin {
		segs = append(segs, f.FIN())
	}
	var out [][]byte
	for _, s := range segs {
		out = append(out, pktgen.VXLAN(vni, f.Frame(s)))
	}
	return out
}

func TestDatagramsToRequests(t *testing.T) {
	e, s, c := newEngine(t, Config{Ports: []uint16{80}, VNIs: []uint32{1, 2}, Workers: 2})
	d := e.NewDecoder()
	now := time.Now()
	for vni := uint32(1); vni <= 3; vni++ {
		f := pktgen.NewFlow(netip.AddrPortFrom(client.Addr(), uint16(40000+vni)), server, 100)
		for _, dg := range flowDatagrams(vni, f, fmt.Sprintf("GET /v%d HTTP/1.1\r\nHost: h\r\n\r\n", vni), true) {
			d.Datagram(dg, now)
		}
	}
	// Not to a watched port; without the I flag; truncated.
	other := pktgen.NewFlow(client, netip.MustParseAddrPort("10.0.0.10:22"), 1)
	for _, dg := range flowDatagrams(1, other, "SSH-2.0-x\r\n", false) {
		d.Datagram(dg, now)
	}
	noI := pktgen.VXLAN(1, []byte{1, 2, 3})
	noI[0] = 0
	d.Datagram(noI, now)
	d.Datagram([]byte{8, 0, 0}, now)
	e.Close()
	sortStrings(s.got)
	if want := []string{"1 GET /v1", "2 GET /v2"}; !reflect.DeepEqual(s.got, want) {
		t.Fatalf("requests %q, want %q", s.got, want)
	}
	snap := c.Snapshot()
	if snap.VXLAN.VNIRejected != 3 || snap.VXLAN.NoIFlag != 1 || snap.VXLAN.Truncated != 1 || snap.OtherPort != 2 {
		t.Fatalf("vxlan %+v other port %d", snap.VXLAN, snap.OtherPort)
	}
	if snap.VXLAN.PerVNI["1"] != 5 || snap.VXLAN.PerVNI["2"] != 3 {
		t.Fatalf("per VNI %v", snap.VXLAN.PerVNI)
	}
}

func sortStrings(s []string) {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
}

func TestTruncatedInnerPacketDropsItsRequest(t *testing.T) {
	e, s, c := newEngine(t, Config{Ports: []uint16{80}, PacketClock: true, FlushInterval: time.Hour})
	d := e.NewDecoder()
	f := pktgen.NewFlow(client, server, 7)
	f.MSS = 200
	body := strings.Repeat("t", 300)
	r1 := "POST /one HTTP/1.1\r\nHost: h\r\nContent-Length: 300\r\n\r\n" + body
	r2 := "GET /two HTTP/1.1\r\nHost: h\r\n\r\n"
	segs := append([]pktgen.Segment{f.SYN()}, f.Write([]byte(r1))...)
	segs = append(segs, f.Write([]byte(r2))...)
	segs = append(segs, f.FIN())
	now := time.Unix(1000, 0)
	for i, seg := range segs {
		inner := f.Frame(seg)
		if i == 2 {
			// The mirror session's packet length cut this segment short.
			inner = inner[:14+20+20+64]
		}
		d.Datagram(pktgen.VXLAN(9, inner), now)
	}
	e.Close()
	if want := []string{"9 GET /two"}; !reflect.DeepEqual(s.got, want) {
		t.Fatalf("requests %q, want %q", s.got, want)
	}
	snap := c.Snapshot()
	if snap.Inner["truncated"] != 1 || snap.Requests.Dropped["gap"] != 1 || snap.Streams.Gaps != 1 {
		t.Fatalf("inner %v dropped %v gaps %d", snap.Inner, snap.Requests.Dropped, snap.Streams.Gaps)
	}
}

func TestCapturedFrames(t *testing.T) {
	e, s, c := newEngine(t, Config{Ports: []uint16{8080}})
	d := e.NewDecoder()
	f := pktgen.NewFlow(client, netip.MustParseAddrPort("10.0.0.10:8080"), 1)
	segs := append([]pktgen.Segment{f.SYN()}, f.Write([]byte("GET /cap HTTP/1.1\r\nHost: h\r\n\r\n"))...)
	outerSrc, outerDst := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	for _, seg := range segs {
		inner := f.Frame(seg)
		d.Frame(pktgen.Outer(outerSrc, outerDst, 50000, pktgen.VXLAN(4, inner)), true, FramesVXLAN, time.Now())
		// The same frames as a vxlan device shows them (decapsulated):
		// another connection id, same requests.
		d.Frame(inner, true, FramesInner, time.Now())
	}
	d.Frame([]byte{1, 2, 3}, true, FramesVXLAN, time.Now())
	e.Close()
	if len(s.got) != 1 || s.got[0] != "4 GET /cap" && s.got[0] != "0 GET /cap" {
		// Both copies are the same TCP connection (same 5-tuple): the
		// second is a retransmission and adds no request.
		t.Fatalf("requests %q", s.got)
	}
	if snap := c.Snapshot(); snap.Outer["truncated"] != 1 {
		t.Fatalf("outer %v", snap.Outer)
	}
}

// TestGeneveToRequests: copies from a Gateway Load Balancer (GENEVE on UDP
// 6081 around the VXLAN datagram) give the same requests, read from a
// socket with Config.Geneve and captured on UDP 6081 without it; bad
// GENEVE is counted, not decoded.
func TestGeneveToRequests(t *testing.T) {
	src, ep := netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("10.0.0.50")
	gwlb, appliance := netip.MustParseAddr("10.0.0.50"), netip.MustParseAddr("10.0.0.21")
	for _, captured := range []bool{false, true} {
		e, s, c := newEngine(t, Config{Ports: []uint16{80}, Geneve: !captured})
		d := e.NewDecoder()
		f := pktgen.NewFlow(client, server, 100)
		for _, dg := range flowDatagrams(9, f, "GET /gwlb HTTP/1.1\r\nHost: h\r\n\r\n", true) {
			g := pktgen.GeneveGWLB(src, ep, 65500, dg, 0xc0ffee)
			if captured {
				// as -frames vxlan and as auto (a pcap file) read it
				d.Frame(pktgen.OuterPort(gwlb, appliance, 50000, 6081, g), true, FramesVXLAN, time.Now())
				d.Frame(pktgen.OuterPort(gwlb, appliance, 50000, 6081, g), true, FramesAuto, time.Now())
			} else {
				d.Datagram(g, time.Now())
			}
		}
		bad := [][]byte{
			{0x08, 0, 0x08, 0},                                                // cut short
			pktgen.GeneveGWLB(src, ep, 1, nil, 1)[:45],                        // the datagram inside cut
			append([]byte{0, 0, 0x65, 0x58, 0, 0, 0, 0}, make([]byte, 60)...), // Ethernet payload
		}
		for _, b := range bad {
			if captured {
				d.Frame(pktgen.OuterPort(gwlb, appliance, 50000, 6081, b), true, FramesVXLAN, time.Now())
			} else {
				d.Datagram(b, time.Now())
			}
		}
		e.Close()
		snap := c.Snapshot()
		want := uint64(3)
		if captured {
			want = 6 // each frame twice (a retransmission: one request)
		}
		if len(s.got) != 1 || s.got[0] != "9 GET /gwlb" || snap.Geneve.Decapsulated != want || snap.Geneve.Errors != 3 {
			t.Fatalf("captured %v: requests %q, geneve %+v", captured, s.got, snap.Geneve)
		}
	}
}

// FuzzGeneveDatagram: no datagram makes the GENEVE path panic, whether
// read from a socket or captured on UDP 6081.
func FuzzGeneveDatagram(f *testing.F) {
	src, ep := netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("10.0.0.50")
	fl := pktgen.NewFlow(client, server, 100)
	for _, dg := range flowDatagrams(9, fl, "GET / HTTP/1.1\r\nHost: h\r\n\r\n", true) {
		f.Add(pktgen.GeneveGWLB(src, ep, 65500, dg, 1))
	}
	f.Add([]byte{0x3f, 0, 0x86, 0xdd, 0, 0, 0, 0})
	e, _, _ := newEngine(f, Config{Ports: []uint16{80}, Geneve: true})
	f.Cleanup(e.Close)
	d := e.NewDecoder()
	f.Fuzz(func(t *testing.T, b []byte) {
		d.Datagram(b, time.Now())
		d.Frame(pktgen.OuterPort(ep, src, 50000, 6081, b), true, FramesVXLAN, time.Now())
	})
}
