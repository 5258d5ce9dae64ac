package replay

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/mirrorlab/mirrorlab/agent/internal/httpparse"
	"github.com/mirrorlab/mirrorlab/agent/internal/metrics"
)

// BenchmarkReplay replays requests to a loopback httptest server through
// the pooled workers; one op is one replayed request (response drained).
func BenchmarkReplay(b *testing.B) {
	for _, workers := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				_, _ = io.WriteString(w, "ok")
			}))
			defer srv.Close()
			cnt := metrics.New()
			rp, err := New(Config{Destination: srv.URL, Workers: workers, QueueSize: 4096, Counters: cnt})
			if err != nil {
				b.Fatal(err)
			}
			req := &httpparse.Request{Method: "POST", Target: "/bench?x=1", Proto: "HTTP/1.1", Host: "bench.example",
				Header: []httpparse.Field{{Name: "Host", Value: "bench.example"}, {Name: "Content-Type", Value: "text/plain"}},
				Body:   []byte("hello, replay")}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				// Spread over connections; wait rather than drop when full.
				for cnt.ReplayQueued.Load() >= 2048 {
					runtime.Gosched()
				}
				rp.Submit(conn(uint64(i), "192.0.2.1:1000"), req)
			}
			if err := rp.Close(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reqs/s")
			if s := cnt.Snapshot(); s.Requests.Replayed != uint64(b.N) {
				b.Fatalf("replayed %d of %d (dropped %v, failed %d)", s.Requests.Replayed, b.N, s.Requests.Dropped, s.Requests.Failed)
			}
		})
	}
}
