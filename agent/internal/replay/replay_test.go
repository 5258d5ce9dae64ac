package replay

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/agent/internal/budget"
	"github.com/mirrorlab/mirrorlab/agent/internal/httpparse"
	"github.com/mirrorlab/mirrorlab/agent/internal/metrics"
	"github.com/mirrorlab/mirrorlab/agent/internal/stream"
)

type seen struct {
	Method, URI, Host, Body string
	Header                  http.Header
}

type server struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

func newServer(t *testing.T, h func(w http.ResponseWriter, r *http.Request)) *server {
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, seen{r.Method, r.RequestURI, r.Host, string(b), r.Header.Clone()})
		s.mu.Unlock()
		if h != nil {
			h(w, r)
		}
		io.WriteString(w, strings.Repeat("response ", 100))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) seen() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seen(nil), s.reqs...)
}

func conn(id uint64, client string) stream.Conn {
	return stream.Conn{ID: id, Client: netip.MustParseAddrPort(client), Server: netip.MustParseAddrPort("10.0.0.10:80")}
}

func newReplayer(t *testing.T, cfg Config) (*Replayer, *metrics.Counters) {
	t.Helper()
	cfg.Counters = metrics.New()
	rp, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return rp, cfg.Counters
}

func TestHeadersAndBody(t *testing.T) {
	srv := newServer(t, nil)
	rp, cnt := newReplayer(t, Config{Destination: srv.URL + "/"})
	rp.Submit(conn(1, "203.0.113.7:5555"), &httpparse.Request{
		Method: "POST", Target: "/a/b%2Fc?x=1&y=%20", Proto: "HTTP/1.1", Host: "shop.example",
		Header: []httpparse.Field{{Name: "Host", Value: "shop.example"}, {Name: "content-type", Value: "text/plain"},
			{Name: "X-Forwarded-For", Value: "198.51.100.1"}, {Name: "Connection", Value: "keep-alive, X-Hop"}, {Name: "X-Hop", Value: "1"},
			{Name: "Transfer-Encoding", Value: "chunked"}, {Name: "X-Multi", Value: "a"}, {Name: "X-Multi", Value: "b"}},
		Body: []byte("hello"),
	})
	if err := rp.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := srv.seen()
	if len(got) != 1 {
		t.Fatalf("server saw %d requests", len(got))
	}
	g := got[0]
	if g.Method != "POST" || g.URI != "/a/b%2Fc?x=1&y=%20" || g.Body != "hello" || g.Host != strings.TrimPrefix(srv.URL, "http://") {
		t.Fatalf("got %+v", g)
	}
	want := http.Header{
		"Content-Type":      {"text/plain"},
		"X-Forwarded-For":   {"198.51.100.1, 203.0.113.7"},
		"X-Forwarded-Port":  {"80"},
		"X-Forwarded-Proto": {"http"},
		"X-Forwarded-Host":  {"shop.example"},
		"X-Multi":           {"a", "b"},
		"Content-Length":    {"5"},
	}
	if !reflect.DeepEqual(g.Header, want) {
		t.Fatalf("headers\n got %v\nwant %v", g.Header, want)
	}
	s := cnt.Snapshot()
	if s.Requests.Replayed != 1 || s.Requests.Status["2xx"] != 1 || s.Requests.Failed != 0 {
		t.Fatalf("counters %+v", s.Requests)
	}
}

func TestKeepHostHeader(t *testing.T) {
	srv := newServer(t, nil)
	rp, _ := newReplayer(t, Config{Destination: srv.URL, KeepHostHeader: true})
	rp.Submit(conn(1, "203.0.113.7:5555"), &httpparse.Request{Method: "GET", Target: "/", Host: "orig.example",
		Header: []httpparse.Field{{Name: "Host", Value: "orig.example"}, {Name: "User-Agent", Value: "curl/8"}}})
	rp.Close(context.Background())
	g := srv.seen()
	if len(g) != 1 || g[0].Host != "orig.example" || g[0].Header.Get("User-Agent") != "curl/8" {
		t.Fatalf("got %+v", g)
	}
}

func TestOrderPerConnection(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/0") {
			time.Sleep(20 * time.Millisecond) // a slow first request must not be overtaken
		}
	})
	rp, _ := newReplayer(t, Config{Destination: srv.URL, Workers: 4})
	for c := uint64(1); c <= 3; c++ {
		for i := 0; i < 20; i++ {
			rp.Submit(conn(c, fmt.Sprintf("192.0.2.%d:1000", c)), &httpparse.Request{Method: "GET", Target: fmt.Sprintf("/c%d/%d", c, i)})
		}
	}
	rp.Close(context.Background())
	per := map[string][]string{}
	for _, g := range srv.seen() {
		c := strings.Split(g.URI, "/")[1]
		per[c] = append(per[c], g.URI)
	}
	for c := 1; c <= 3; c++ {
		var want []string
		for i := 0; i < 20; i++ {
			want = append(want, fmt.Sprintf("/c%d/%d", c, i))
		}
		if got := per[fmt.Sprintf("c%d", c)]; !reflect.DeepEqual(got, want) {
			t.Fatalf("connection %d order: %v", c, got)
		}
	}
}

func TestQueueFullDrops(t *testing.T) {
	block := make(chan struct{})
	srv := newServer(t, func(http.ResponseWriter, *http.Request) { <-block })
	rp, cnt := newReplayer(t, Config{Destination: srv.URL, Workers: 1, QueueSize: 5})
	for i := 0; i < 20; i++ {
		rp.Submit(conn(1, "192.0.2.1:1"), &httpparse.Request{Method: "GET", Target: "/"})
	}
	s := cnt.Snapshot()
	// One in flight (maybe), five queued, the rest dropped.
	if d := s.Requests.Dropped["queue_full"]; d < 14 || d > 15 {
		t.Fatalf("queue_full drops = %d, want 14 or 15", d)
	}
	close(block)
	rp.Close(context.Background())
	if r := cnt.Snapshot().Requests.Replayed; r+cnt.Snapshot().Requests.Dropped["queue_full"] != 20 {
		t.Fatalf("replayed %d + dropped != 20", r)
	}
}

// TestQueueCountsBytes: the queue is bounded by the memory budget, not
// only by its length: 1 MiB bodies waiting for a blocked destination fill
// a 4 MiB budget after three, the rest are dropped (reason memory), and
// every charge is given back once they are replayed.
func TestQueueCountsBytes(t *testing.T) {
	block := make(chan struct{})
	srv := newServer(t, func(http.ResponseWriter, *http.Request) { <-block })
	b := budget.New(4 << 20) // 3.5 MiB for state
	rp, cnt := newReplayer(t, Config{Destination: srv.URL, Workers: 1, QueueSize: 1000, Budget: b})
	for i := 0; i < 20; i++ {
		rp.Submit(conn(1, "192.0.2.1:1"), &httpparse.Request{Method: "PUT", Target: "/", Body: make([]byte, 1<<20)})
		if b.Used() > b.Limit() {
			t.Fatalf("budget used %d over %d", b.Used(), b.Limit())
		}
	}
	if d := cnt.Snapshot().Requests.Dropped["memory"]; d != 17 {
		t.Fatalf("memory drops = %d, want 17 (three 1 MiB requests fit)", d)
	}
	close(block)
	if err := rp.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := cnt.Snapshot(); s.Requests.Replayed != 3 || b.Used() != 0 {
		t.Fatalf("replayed %d, budget still used %d", s.Requests.Replayed, b.Used())
	}
}

func TestDrainCutShort(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	rp, cnt := newReplayer(t, Config{Destination: srv.URL, Workers: 1})
	for i := 0; i < 3; i++ {
		rp.Submit(conn(1, "192.0.2.1:1"), &httpparse.Request{Method: "GET", Target: "/"})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := rp.Close(ctx); err == nil {
		t.Fatal("Close returned nil although the drain was cut short")
	}
	if d := cnt.Snapshot().Requests.Dropped["shutdown"]; d != 3 {
		t.Fatalf("shutdown drops = %d, want 3", d)
	}
}

func TestFailureCounted(t *testing.T) {
	srv := newServer(t, nil)
	url := srv.URL
	srv.Close()
	rp, cnt := newReplayer(t, Config{Destination: url, Timeout: time.Second})
	rp.Submit(conn(1, "192.0.2.1:1"), &httpparse.Request{Method: "GET", Target: "/"})
	rp.Close(context.Background())
	if f := cnt.Snapshot().Requests.Failed; f != 1 {
		t.Fatalf("failed = %d", f)
	}
}

func TestSamplingConsistent(t *testing.T) {
	in := 0
	for i := 0; i < 2000; i++ {
		r := &httpparse.Request{Header: []httpparse.Field{{Name: "X-User", Value: fmt.Sprint("user-", i)}}}
		c := conn(uint64(i), fmt.Sprintf("192.0.2.%d:%d", i%250+1, 1000+i))
		first := Sampled(30, "header", "x-user", c, r)
		for k := 0; k < 3; k++ {
			c.Client = netip.AddrPortFrom(c.Client.Addr(), uint16(2000+k))
			if Sampled(30, "header", "x-user", c, r) != first {
				t.Fatalf("header value %d sampled inconsistently", i)
			}
			if Sampled(30, "remoteaddr", "", c, r) != Sampled(30, "remoteaddr", "", conn(9, c.Client.Addr().String()+":1"), r) {
				t.Fatalf("client %v sampled inconsistently", c.Client)
			}
		}
		if first {
			in++
		}
	}
	if in < 500 || in > 700 {
		t.Fatalf("30%% of 2000 keys sampled %d in", in)
	}
	if Sampled(-1, "", "", conn(1, "192.0.2.1:1"), &httpparse.Request{}) || !Sampled(100, "header", "x", conn(1, "192.0.2.1:1"), &httpparse.Request{}) {
		t.Fatal("-1% or 100% not honoured")
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "destination: required"},
		{Config{Destination: "ftp://x"}, "scheme must be http or https"},
		{Config{Destination: "http://"}, "missing host"},
		{Config{Destination: "http://x", Percentage: 101}, "between 0 and 100"},
		{Config{Destination: "http://x", PercentageBy: "cookie"}, "must be empty, header or remoteaddr"},
		{Config{Destination: "http://x", PercentageBy: "header"}, "-percentage-by-header"},
	} {
		err := tc.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

func TestTargetForms(t *testing.T) {
	srv := newServer(t, nil)
	rp, cnt := newReplayer(t, Config{Destination: srv.URL + "/prefix/", Workers: 1})
	c := conn(1, "192.0.2.1:1")
	for _, target := range []string{"/a?b=1", "http://proxy.example/abs?q=2", "*"} {
		rp.Submit(c, &httpparse.Request{Method: "OPTIONS", Target: target})
	}
	rp.Close(context.Background())
	var uris []string
	for _, g := range srv.seen() {
		uris = append(uris, g.URI)
	}
	// net/http answers "OPTIONS *" itself, without the handler: count it.
	if want := []string{"/prefix/a?b=1", "/prefix/abs?q=2"}; !reflect.DeepEqual(uris, want) {
		t.Fatalf("server saw %q, want %q", uris, want)
	}
	if s := cnt.Snapshot(); s.Requests.Replayed != 3 || s.Requests.Status["2xx"] != 3 {
		t.Fatalf("replayed %d, status %v", s.Requests.Replayed, s.Requests.Status)
	}
}

func TestTargetSentVerbatim(t *testing.T) {
	var raw []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		raw = append(raw, r.RequestURI)
		mu.Unlock()
	}))
	defer srv.Close()
	rp, cnt := newReplayer(t, Config{Destination: srv.URL, Workers: 1})
	targets := []string{"/a/../b//c?x=%2F&y=a+b", "/%7Euser/p%20q", "/odd%zzescape"}
	for _, tg := range targets {
		rp.Submit(conn(1, "192.0.2.1:1"), &httpparse.Request{Method: "GET", Target: tg})
	}
	rp.Close(context.Background())
	// net/http's server answers 400 to the invalid escape without calling
	// the handler: it was sent as is (no client-side failure).
	if !reflect.DeepEqual(raw, targets[:2]) {
		t.Fatalf("server saw %q, want %q", raw, targets[:2])
	}
	if s := cnt.Snapshot(); s.Requests.Status["4xx"] != 1 || s.Requests.Failed != 0 {
		t.Fatalf("status %v failed %d", s.Requests.Status, s.Requests.Failed)
	}
}
