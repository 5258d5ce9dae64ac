package shadow

import (
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/agent/internal/budget"
	"github.com/mirrorlab/mirrorlab/agent/internal/httpparse"
	"github.com/mirrorlab/mirrorlab/agent/internal/replay"
	"github.com/mirrorlab/mirrorlab/agent/internal/stream"
)

// BenchmarkPair is the cost of one request/response pair once parsed:
// registered, production's response and the test's joined, compared (JSON,
// one ignored noisy field) and counted; ns and allocs per pair.
func BenchmarkPair(b *testing.B) {
	s, err := New(Config{Budget: budget.New(256 << 20)})
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"id":17,"name":"widget","tags":["a","b","c"],"price":12.5,"meta":{"ts":1700000000,"v":"3"}}`)
	hdr := []httpparse.Field{{Name: "Content-Type", Value: "application/json"}, {Name: "Date", Value: "Mon"}}
	c := stream.Conn{ID: 1}
	t0 := time.Unix(1000, 0)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r := &httpparse.Request{Method: "GET", Target: "/items/17", Proto: "HTTP/1.1", Seq: uint64(i), Time: t0}
		s.Request(c, r)
		s.Response(c, &httpparse.Response{Seq: uint64(i), Status: 200, Header: hdr, Body: body}, t0.Add(time.Millisecond))
		s.TestResult(c, r, &replay.Result{Status: 200, Header: hdr, Body: body, Latency: time.Millisecond})
	}
	b.StopTimer()
	if st := s.Stats(); st.Compared != uint64(b.N) || st.Identical != uint64(b.N) {
		b.Fatalf("compared %d of %d", st.Compared, b.N)
	}
}
