package stream

import (
	"fmt"
	"math/rand/v2"
	"net"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/mirrorlab/mirrorlab/agent/internal/frame"
	"github.com/mirrorlab/mirrorlab/agent/internal/httpparse"
	"github.com/mirrorlab/mirrorlab/agent/internal/metrics"
)

type seg struct {
	seq     uint32
	syn     bool
	fin     bool
	payload []byte
}

// segments cuts a client byte stream into TCP segments of at most mss
// bytes, after a SYN with initial sequence isn.
func segments(isn uint32, data []byte, mss int, fin bool) []seg {
	out := []seg{{seq: isn, syn: true}}
	seq := isn + 1
	for len(data) > 0 {
		n := min(mss, len(data))
		out = append(out, seg{seq: seq, payload: data[:n]})
		seq += uint32(n)
		data = data[n:]
	}
	if fin {
		out = append(out, seg{seq: seq, fin: true})
	}
	return out
}

func ipPacket(t testing.TB, sport uint16, s seg) []byte {
	return ipPacketFrom(t, 5, sport, s)
}

// ipPacketFrom builds a client packet from 10.0.1.host.
func ipPacketFrom(t testing.TB, host byte, sport uint16, s seg) []byte {
	t.Helper()
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP,
		SrcIP: net.IPv4(10, 0, 1, host), DstIP: net.IPv4(10, 0, 0, 10)}
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: 80, Seq: s.seq, SYN: s.syn, FIN: s.fin,
		ACK: !s.syn, Ack: 1, Window: 65535}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		ip, tcp, gopacket.Payload(s.payload)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type harness struct {
	t     testing.TB
	c     *metrics.Counters
	shard *Shard
	got   []string
	now   time.Time
}

func newHarness(t testing.TB, cfg Config) *harness {
	h := &harness{t: t, c: metrics.New(), now: time.Unix(1_700_000_000, 0)}
	cfg.Counters = h.c
	cfg.Sink = func(c Conn, r *httpparse.Request) {
		h.got = append(h.got, fmt.Sprintf("%d %s %s %s", c.Client.Port(), r.Method, r.Target, r.Body))
	}
	h.shard = NewGroup(cfg).NewShard(1)
	return h
}

func (h *harness) send(sport uint16, segs []seg) {
	h.t.Helper()
	var in frame.Inner
	for _, s := range segs {
		if r := in.DecodeIP(ipPacket(h.t, sport, s)); r != frame.OK {
			h.t.Fatalf("DecodeIP: %v", r)
		}
		if r := in.DecodeTCP(); r != frame.OK {
			h.t.Fatalf("DecodeTCP: %v", r)
		}
		h.now = h.now.Add(time.Millisecond)
		h.shard.Packet(&in, 7, h.now)
	}
}

func requests(n int) (string, []string) {
	var b strings.Builder
	var want []string
	for i := 0; i < n; i++ {
		body := strings.Repeat(fmt.Sprint(i%10), i*37%900)
		fmt.Fprintf(&b, "POST /r/%d HTTP/1.1\r\nHost: shop.test\r\nContent-Length: %d\r\n\r\n%s", i, len(body), body)
		want = append(want, fmt.Sprintf("40000 POST /r/%d %s", i, body))
	}
	return b.String(), want
}

func TestInOrderHundredRequests(t *testing.T) {
	h := newHarness(t, Config{})
	data, want := requests(100)
	h.send(40000, segments(1000, []byte(data), 1448, true))
	if !reflect.DeepEqual(h.got, want) {
		t.Fatalf("got %d requests, want 100 in order", len(h.got))
	}
	// The FIN ended the connection at once: no idle timeout to wait for.
	if s := h.c.Snapshot(); s.Streams.Active != 0 || s.Streams.Closed != 1 {
		t.Fatalf("after FIN: active %d closed %d", s.Streams.Active, s.Streams.Closed)
	}
	h.shard.Close()
	s := h.c.Snapshot()
	if s.Streams.Opened != 1 || s.Streams.Closed != 1 || s.DroppedTotal() != 0 || s.Streams.Kinds["http"] != 1 {
		t.Fatalf("snapshot %+v", s.Streams)
	}
}

func TestPortReuseAfterFIN(t *testing.T) {
	h := newHarness(t, Config{})
	for i := 0; i < 3; i++ {
		data := fmt.Sprintf("GET /again/%d HTTP/1.1\r\nHost: h\r\n\r\n", i)
		h.send(40000, segments(uint32(i)*100000, []byte(data), 1448, true))
	}
	want := []string{"40000 GET /again/0 ", "40000 GET /again/1 ", "40000 GET /again/2 "}
	if !reflect.DeepEqual(h.got, want) {
		t.Fatalf("got %q", h.got)
	}
	if s := h.c.Snapshot(); s.Streams.Opened != 3 || s.Streams.Active != 0 {
		t.Fatalf("opened %d active %d", s.Streams.Opened, s.Streams.Active)
	}
}

func TestShuffledAndDuplicatedSegments(t *testing.T) {
	h := newHarness(t, Config{})
	data, want := requests(100)
	segs := segments(0xfffff000, []byte(data), 536, false) // sequence numbers wrap
	rest := segs[1:]
	rng := rand.New(rand.NewPCG(7, 9))
	var mixed []seg
	for _, s := range rest {
		mixed = append(mixed, s)
		if rng.IntN(4) == 0 {
			mixed = append(mixed, s) // duplicate
		}
	}
	// Shuffle within windows of 16 segments, as a reordering path would.
	for i := 0; i < len(mixed); i += 16 {
		w := mixed[i:min(i+16, len(mixed))]
		rng.Shuffle(len(w), func(a, b int) { w[a], w[b] = w[b], w[a] })
	}
	h.send(40000, append([]seg{segs[0]}, mixed...))
	if !reflect.DeepEqual(h.got, want) {
		t.Fatalf("got %d requests, want 100 in order", len(h.got))
	}
	if d := h.c.Snapshot().DroppedTotal(); d != 0 {
		t.Fatalf("dropped %d", d)
	}
}

func TestMissingSegmentDropsOnlyItsRequest(t *testing.T) {
	h := newHarness(t, Config{GapTimeout: time.Second})
	var b strings.Builder
	for i := 0; i < 3; i++ {
		fmt.Fprintf(&b, "POST /m/%d HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\n%s", i, strings.Repeat("b", 1000))
	}
	segs := segments(5, []byte(b.String()), 500, false)
	// Segment 2 (bytes 500..999) lies in request 0's body... make it the
	// middle request's body instead: each request is 1040 bytes.
	lost := 4 // bytes 1500..1999: inside request 1
	kept := append(append([]seg{}, segs[:lost]...), segs[lost+1:]...)
	h.send(40000, kept)
	if len(h.got) != 1 {
		t.Fatalf("before the gap timeout got %q, want only request 0", h.got)
	}
	h.shard.Flush(h.now.Add(2 * time.Second))
	want := []string{"40000 POST /m/0 " + strings.Repeat("b", 1000), "40000 POST /m/2 " + strings.Repeat("b", 1000)}
	if !reflect.DeepEqual(h.got, want) {
		t.Fatalf("got %d requests %q..., want requests 0 and 2", len(h.got), h.got)
	}
	s := h.c.Snapshot()
	if s.Streams.Gaps != 1 || s.Requests.Dropped["gap"] != 1 {
		t.Fatalf("gaps %d dropped %v", s.Streams.Gaps, s.Requests.Dropped)
	}
}

func TestTLSConnectionSkipped(t *testing.T) {
	h := newHarness(t, Config{})
	hello := append([]byte{0x16, 0x03, 0x01, 0x00, 0x40}, make([]byte, 0x40)...)
	h.send(40001, segments(1, append(hello, []byte("GET / HTTP/1.1\r\nHost: h\r\n\r\n")...), 1448, true))
	data, want := requests(2)
	h.send(40000, segments(1, []byte(data), 1448, true))
	if !reflect.DeepEqual(h.got, want) {
		t.Fatalf("got %q", h.got)
	}
	if k := h.c.Snapshot().Streams.Kinds; k["tls"] != 1 || k["http"] != 1 {
		t.Fatalf("kinds %v", k)
	}
}

func TestMidStreamJoin(t *testing.T) {
	h := newHarness(t, Config{})
	data, want := requests(4)
	// The client writes each request on its own (as a keep-alive client
	// waiting for responses does), in segments of at most 40 bytes.
	var segs []seg
	seq := uint32(1)
	reqs := strings.Split(data, "POST ")[1:]
	for _, r := range reqs {
		segs = append(segs, segments(seq-1, []byte("POST "+r), 40, false)[1:]...)
		seq += uint32(len("POST " + r))
	}
	// Join at the second segment of request 1: its tail is skipped,
	// requests 2 and 3 (which start segments) are kept.
	firstOf1 := (len("POST "+reqs[0]) + 39) / 40
	h.send(40000, segs[firstOf1+1:])
	if !reflect.DeepEqual(h.got, want[2:]) {
		t.Fatalf("got %q, want requests 2 and 3", h.got)
	}
	if d := h.c.Snapshot().DroppedTotal(); d != 0 {
		t.Fatalf("dropped %d (a mid-stream join loses nothing we could have seen)", d)
	}
}

func TestStreamCap(t *testing.T) {
	h := newHarness(t, Config{MaxStreams: 2})
	data, _ := requests(1)
	for p := uint16(40000); p < 40004; p++ {
		h.send(p, segments(1, []byte(data), 1448, false))
	}
	s := h.c.Snapshot()
	if s.Streams.Opened != 2 || s.Streams.Rejected != 2 || len(h.got) != 2 {
		t.Fatalf("opened %d rejected %d requests %d", s.Streams.Opened, s.Streams.Rejected, len(h.got))
	}
	h.shard.Flush(h.now.Add(time.Hour))
	if a := h.c.Snapshot().Streams.Active; a != 0 {
		t.Fatalf("active after idle flush = %d", a)
	}
}

// TestBudgetDropsDecodedBodies: chunked bodies move out of the parser's
// buffer into the request as they are decoded; they stay charged, so eight
// 1 MiB bodies in progress at once under a 4 MiB budget drop some (reason
// memory) and the budget is never exceeded.
func TestBudgetDropsDecodedBodies(t *testing.T) {
	h := newHarness(t, Config{MaxBufferedBytes: 4 << 20})
	b := h.shard.g.cfg.Budget
	const flows = 8
	body := strings.Repeat("c", 64<<10)
	var in frame.Inner
	send := func(port uint16, s seg) {
		if in.DecodeIP(ipPacket(t, port, s)) != frame.OK || in.DecodeTCP() != frame.OK {
			t.Fatal("decode")
		}
		h.now = h.now.Add(time.Millisecond)
		h.shard.Packet(&in, 7, h.now)
		if u := b.Used(); u > b.Limit() {
			t.Fatalf("budget used %d over its limit %d", u, b.Limit())
		}
	}
	seqs := make([]uint32, flows)
	for f := range flows {
		head := "PUT /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
		send(uint16(41000+f), seg{seq: 0, syn: true})
		send(uint16(41000+f), seg{seq: 1, payload: []byte(head)})
		seqs[f] = 1 + uint32(len(head))
	}
	chunk := []byte(fmt.Sprintf("%x\r\n%s\r\n", len(body), body))
	for range 16 { // 16 chunks of 64 KiB per flow, interleaved
		for f := range flows {
			for off := 0; off < len(chunk); off += 1400 {
				send(uint16(41000+f), seg{seq: seqs[f] + uint32(off), payload: chunk[off:min(off+1400, len(chunk))]})
			}
			seqs[f] += uint32(len(chunk))
		}
	}
	for f := range flows {
		send(uint16(41000+f), seg{seq: seqs[f], payload: []byte("0\r\n\r\n"), fin: true})
	}
	s := h.c.Snapshot()
	if s.Requests.Dropped["memory"] == 0 || s.Requests.Parsed == 0 ||
		s.Requests.Parsed+s.Requests.Dropped["memory"] != flows {
		t.Fatalf("parsed %d dropped %v: want some of each, %d in all", s.Requests.Parsed, s.Requests.Dropped, flows)
	}
	if b.Peak() > b.Limit() {
		t.Fatalf("peak %d over the limit %d", b.Peak(), b.Limit())
	}
}

// TestRefusedStreamsKeepNothing: connections over the stream cap keep no
// reassembly state (the heap does not grow with them), their packets and
// SYNs are counted, and the requests they carried are counted as dropped
// (stream_limit).
func TestRefusedStreamsKeepNothing(t *testing.T) {
	h := newHarness(t, Config{MaxStreams: 10})
	var in frame.Inner
	payload := []byte("GET /refused HTTP/1.1\r\nHost: h\r\n\r\n")
	const conns = 20_000
	var pkts [][]byte
	for c := range conns {
		sport := uint16(1024 + c%60000)
		host := byte(c / 60000)
		pkts = append(pkts, ipPacketFrom(t, host, sport, seg{seq: 1, syn: true}),
			ipPacketFrom(t, host, sport, seg{seq: 2, payload: payload}))
	}
	runtime.GC()
	runtime.GC() // and the pools' victim caches
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for _, p := range pkts {
		if in.DecodeIP(p) != frame.OK || in.DecodeTCP() != frame.OK {
			t.Fatal("decode")
		}
		h.shard.Packet(&in, 1, h.now)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	s := h.c.Snapshot()
	if s.Streams.Opened != 10 || s.Streams.Rejected != conns-10 || s.Streams.RefusedPackets != 2*(conns-10) {
		t.Fatalf("opened %d rejected %d refused packets %d", s.Streams.Opened, s.Streams.Rejected, s.Streams.RefusedPackets)
	}
	if s.Requests.Parsed != 10 || s.Requests.Dropped["stream_limit"] != conns-10 {
		t.Fatalf("parsed %d dropped %v, want %d stream_limit", s.Requests.Parsed, s.Requests.Dropped, conns-10)
	}
	// Kept state would be about 1 KiB per connection (20 MB); allow noise.
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 2<<20 {
		t.Fatalf("heap grew by %d bytes for %d refused connections", grew, conns)
	}
	runtime.KeepAlive(pkts)
}

// TestStreamChargeCoversHeap: what idle half-open streams hold on the heap
// (stream, parser, partial head, the pool's slots and map) is charged to
// the budget, within a small margin.
func TestStreamChargeCoversHeap(t *testing.T) {
	h := newHarness(t, Config{})
	b := h.shard.g.cfg.Budget
	var in frame.Inner
	const conns = 30_000
	var pkts [][]byte
	for c := range conns {
		sport := uint16(1024 + c%60000)
		pkts = append(pkts, ipPacketFrom(t, 9, sport, seg{seq: 1, syn: true}),
			ipPacketFrom(t, 9, sport, seg{seq: 2, payload: []byte("GET /a/long/path?with=query HTTP/1.1\r\nHost: idle.example\r\n")}))
	}
	runtime.GC()
	runtime.GC() // and the pools' victim caches
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	used0 := b.Used()
	for _, p := range pkts {
		if in.DecodeIP(p) != frame.OK || in.DecodeTCP() != frame.OK {
			t.Fatal("decode")
		}
		h.shard.Packet(&in, 1, h.now)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	charged := b.Used() - used0
	t.Logf("%d streams: heap +%d B (%d B/stream), charged %d B (%d B/stream)", conns, heap, heap/conns, charged, charged/conns)
	if heap > charged+charged/10 {
		t.Fatalf("heap grew by %d bytes, only %d charged", heap, charged)
	}
	runtime.KeepAlive(pkts)
}
