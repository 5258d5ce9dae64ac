package pipeline

import (
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/mirrorlab/mirrorlab/agent/internal/httpparse"
	"github.com/mirrorlab/mirrorlab/agent/internal/metrics"
	"github.com/mirrorlab/mirrorlab/agent/internal/pktgen"
	"github.com/mirrorlab/mirrorlab/agent/internal/stream"
)

// benchCapture returns an in-memory pcap of mirrored HTTP traffic (outer
// Ethernet/IPv4/UDP/VXLAN): 64 keep-alive connections of 20 requests each,
// segments of at most 1448 bytes, plus their frames.
func benchCapture(b *testing.B) ([]byte, [][]byte) {
	b.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(65536, layers.LinkTypeEthernet); err != nil {
		b.Fatal(err)
	}
	var frames [][]byte
	ts := time.Unix(1_700_000_000, 0)
	src, dst := netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("10.0.0.20")
	for c := 0; c < 64; c++ {
		f := pktgen.NewFlow(netip.AddrPortFrom(netip.MustParseAddr("198.51.100.1"), uint16(30000+c)), netip.MustParseAddrPort("10.0.0.10:80"), uint32(c)<<20)
		segs := []pktgen.Segment{f.SYN()}
		for i := 0; i < 20; i++ {
			body := bytes.Repeat([]byte("x"), (i*97)%3000)
			segs = append(segs, f.Write([]byte(fmt.Sprintf("POST /c%d/r%d HTTP/1.1\r\nHost: bench.example\r\nUser-Agent: bench\r\nContent-Length: %d\r\n\r\n%s", c, i, len(body), body)))...)
		}
		segs = append(segs, f.FIN())
		for _, s := range segs {
			frame := pktgen.Outer(src, dst, uint16(40000+c), pktgen.VXLAN(1, f.Frame(s)))
			ts = ts.Add(time.Microsecond)
			if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(frame), Length: len(frame)}, frame); err != nil {
				b.Fatal(err)
			}
			frames = append(frames, frame)
		}
	}
	return buf.Bytes(), frames
}

func reportRate(b *testing.B, unit string) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), unit)
}

// BenchmarkDecode decodes captured frames (outer headers, VXLAN, VNI
// accounting, inner Ethernet/IPv4/TCP, port check) on one goroutine. The
// watched port is not the traffic's, so nothing is queued: this is the
// decode cost alone. One op is one packet.
func BenchmarkDecode(b *testing.B) {
	_, frames := benchCapture(b)
	e := New(Config{Ports: []uint16{8080}, Counters: metrics.New()})
	d := e.NewDecoder()
	ts := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.Frame(frames[i%len(frames)], true, FramesVXLAN, ts)
	}
	reportRate(b, "pkts/s")
}

// BenchmarkDecodePcap reads the frames from an in-memory pcap (pcapgo,
// zero copy) and decodes them: one op is one packet.
func BenchmarkDecodePcap(b *testing.B) {
	file, _ := benchCapture(b)
	e := New(Config{Ports: []uint16{8080}, Counters: metrics.New()})
	d := e.NewDecoder()
	rd := bytes.NewReader(file)
	r, err := pcapgo.NewReader(rd)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		data, ci, err := r.ZeroCopyReadPacketData()
		if err == io.EOF {
			rd.Reset(file)
			if r, err = pcapgo.NewReader(rd); err != nil {
				b.Fatal(err)
			}
			data, ci, err = r.ZeroCopyReadPacketData()
		}
		if err != nil {
			b.Fatal(err)
		}
		d.Frame(data, true, FramesVXLAN, ci.Timestamp)
	}
	reportRate(b, "pkts/s")
}

// BenchmarkPipeline runs the whole receive path (decode, queue, TCP
// reassembly, HTTP parsing) with one reassembly worker; one op is one
// packet. Replay is not included.
func BenchmarkPipeline(b *testing.B) {
	_, frames := benchCapture(b)
	var reqs atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		e := New(Config{Ports: []uint16{80}, Workers: 1, Block: true, Counters: metrics.New(),
			Stream: stream.Config{Sink: func(stream.Conn, *httpparse.Request) { reqs.Add(1) }}})
		e.Start()
		d := e.NewDecoder()
		ts := time.Now()
		for _, f := range frames {
			d.Frame(f, true, FramesVXLAN, ts)
			done++
		}
		e.Close()
	}
	reportRate(b, "pkts/s")
	b.ReportMetric(float64(reqs.Load())/b.Elapsed().Seconds(), "reqs/s")
}
