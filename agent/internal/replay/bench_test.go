package replay

import (
	"bufio"
	"bytes"
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

// BenchmarkReadResponse reads a typical reply (net/http server's headers,
// short body) and drains it, with respReader and with http.ReadResponse
// as the agent did before; one op is one reply.
func BenchmarkReadResponse(b *testing.B) {
	reply := []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain; charset=utf-8\r\n" +
		"Date: Tue, 08 Dec 2026 03:30:00 GMT\r\n\r\nok")
	src := bytes.NewReader(reply)
	br := bufio.NewReaderSize(src, 4096)
	next := func() {
		src.Reset(reply)
		br.Reset(src)
	}
	b.Run("agent", func(b *testing.B) {
		var rr respReader
		b.ReportAllocs()
		for range b.N {
			next()
			r, err := rr.read(br, "GET")
			if err != nil {
				b.Fatal(err)
			}
			if _, _, end := consume(r, false, 0, 4<<20); !end {
				b.Fatal("not read to its end")
			}
		}
	})
	b.Run("net-http", func(b *testing.B) {
		req := &http.Request{Method: "GET"}
		b.ReportAllocs()
		for range b.N {
			next()
			resp, err := http.ReadResponse(br, req)
			if err != nil {
				b.Fatal(err)
			}
			r := &response{status: resp.StatusCode, close: resp.Close, body: resp.Body, std: resp}
			if _, _, end := consume(r, false, 0, 4<<20); !end {
				b.Fatal("not read to its end")
			}
		}
	})
}
