package agent

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/agent/internal/pktgen"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCompareCost mirrors keep-alive exchanges (100 per connection)
// over loopback UDP to the agent, which replays them to an in-process test
// server; with compare=true production's responses are mirrored too and
// compared. One op is one request. It reports the process's CPU per 1000
// requests (agent, test server and sender together: a ratio between the
// two variants, not the agent's own cost) and the replay completeness.
func BenchmarkCompareCost(b *testing.B) {
	body := `{"id":7,"name":"widget","tags":["a","b"],"price":12.5}`
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprintf("compare=%v", on), func(b *testing.B) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, body)
			}))
			defer srv.Close()
			a, err := New(Config{Listen: "127.0.0.1:0", UDPSockets: 1, Destination: srv.URL, SummaryInterval: -1,
				RcvBuf: 32 << 20, Compare: on})
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- a.Run(ctx) }()
			<-a.Ready()
			conn, err := net.Dial("udp", a.Addr("udp").String())
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			resp := []byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body))
			req := []byte("GET /items/7 HTTP/1.1\r\nHost: shop\r\n\r\n")
			send := func(f *pktgen.Flow, segs ...pktgen.Segment) {
				for _, s := range segs {
					if _, err := conn.Write(pktgen.VXLAN(1, f.Frame(s))); err != nil {
						b.Fatal(err)
					}
				}
			}
			cpu0 := cpuTime()
			b.ResetTimer()
			var c, s *pktgen.Flow
			for i := 0; i < b.N; i++ {
				if i%100 == 0 {
					client := netip.AddrPortFrom(netip.MustParseAddr("198.51.100.7"), uint16(1024+i/100%60000))
					server := netip.MustParseAddrPort("10.0.0.10:80")
					c, s = pktgen.NewFlow(client, server, uint32(i)), pktgen.NewFlow(server, client, uint32(i)+7)
					send(c, c.SYN())
					if on {
						send(s, s.SYN())
					}
				}
				send(c, c.Write(req)...)
				if on {
					send(s, s.Write(resp)...)
				}
				for i%64 == 63 && a.Stats().Requests.Parsed+512 < uint64(i) {
					time.Sleep(50 * time.Microsecond)
				}
			}
			deadline := time.Now().Add(20 * time.Second)
			for {
				st := a.Stats()
				if st.Requests.Replayed+st.Requests.Failed+st.DroppedTotal() >= uint64(b.N) || time.Now().After(deadline) {
					break
				}
				time.Sleep(200 * time.Microsecond)
			}
			b.StopTimer()
			cpu := cpuTime() - cpu0
			st := a.Stats()
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N)*1000, "cpu-ms/1000req")
			b.ReportMetric(100*float64(st.Requests.Replayed)/float64(b.N), "replayed-%")
			if on && st.Compare != nil {
				b.ReportMetric(100*float64(st.Compare.Compared)/float64(b.N), "compared-%")
			}
			cancel()
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		})
	}
}
