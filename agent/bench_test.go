package agent

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/agent/internal/pktgen"
)

// BenchmarkUDPIngest sends VXLAN datagrams over loopback to the agent's UDP
// input (2 SO_REUSEPORT sockets, recvmmsg) and waits until each is read and
// decoded; the inner TCP port is not watched, so this measures socket plus
// decode. One op is one datagram. The sender shares the machine's cores.
func BenchmarkUDPIngest(b *testing.B) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	a, err := New(Config{Listen: "127.0.0.1:0", UDPSockets: 2, Destination: srv.URL, SummaryInterval: -1, RcvBuf: 32 << 20})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	<-a.Ready()
	f := pktgen.NewFlow(netip.MustParseAddrPort("198.51.100.1:1234"), netip.MustParseAddrPort("10.0.0.10:8080"), 1)
	dgram := pktgen.VXLAN(1, f.Frame(f.Write(make([]byte, 1200))[0]))
	conns := make([]net.Conn, 4)
	for i := range conns {
		if conns[i], err = net.Dial("udp", a.Addr("udp").String()); err != nil {
			b.Fatal(err)
		}
		defer conns[i].Close()
	}
	b.SetBytes(int64(len(dgram)))
	b.ResetTimer()
	start := a.Stats().Packets
	for i := 0; i < b.N; i++ {
		if _, err := conns[i%len(conns)].Write(dgram); err != nil {
			b.Fatal(err)
		}
		if i%256 == 255 {
			// Keep at most ~4096 datagrams in flight: measure throughput,
			// not socket-buffer overflow.
			for a.Stats().Packets-start+4096 < uint64(i) {
				time.Sleep(10 * time.Microsecond)
			}
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for a.Stats().Packets-start+a.Stats().InputDrops < uint64(b.N) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Microsecond)
	}
	b.StopTimer()
	s := a.Stats()
	b.ReportMetric(float64(s.Packets-start)/b.Elapsed().Seconds(), "dgrams/s")
	b.ReportMetric(float64(s.InputDrops), "kernel-drops")
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}
