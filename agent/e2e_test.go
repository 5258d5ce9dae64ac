package agent

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/mirrorlab/mirrorlab/agent/internal/pktgen"
)

// want is what the test server must receive for one mirrored request.
type want struct {
	Method, URI, Body string
	Header            http.Header
}

type got = want

// recorder is the test environment: an HTTP server that records requests.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []got
}

func newRecorder(t *testing.T, l net.Listener) *recorder {
	r := &recorder{}
	h := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			t.Errorf("read body: %v", err)
		}
		h := req.Header.Clone()
		r.mu.Lock()
		r.reqs = append(r.reqs, got{Method: req.Method, URI: req.RequestURI, Body: string(b), Header: h})
		r.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	})
	if l != nil {
		r.Server = &httptest.Server{Listener: l, Config: &http.Server{Handler: h}}
		r.Start()
	} else {
		r.Server = httptest.NewServer(h)
	}
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) wait(t *testing.T, n int) []got {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		r.mu.Lock()
		k := len(r.reqs)
		r.mu.Unlock()
		if k >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]got(nil), r.reqs...)
}

// traffic is mirrored client traffic and the requests it must produce.
type traffic struct {
	frames [][]byte // inner Ethernet frames, in sending order
	want   []want
}

var serverAddr = netip.MustParseAddrPort("10.0.0.10:80")

type client struct {
	flow *pktgen.Flow
	segs []pktgen.Segment
}

func newClient(port uint16) *client {
	f := pktgen.NewFlow(netip.AddrPortFrom(netip.MustParseAddr("198.51.100.7"), port), serverAddr, uint32(port)*1000)
	return &client{flow: f, segs: []pktgen.Segment{f.SYN()}}
}

func (c *client) write(s string) { c.segs = append(c.segs, c.flow.Write([]byte(s))...) }

// expect builds the request the server must see.
func expect(method, uri, host, body string, hdr ...string) want {
	h := http.Header{}
	for i := 0; i+1 < len(hdr); i += 2 {
		h.Add(hdr[i], hdr[i+1])
	}
	h.Set("X-Forwarded-For", "198.51.100.7")
	h.Set("X-Forwarded-Port", "80")
	h.Set("X-Forwarded-Proto", "http")
	if host != "" {
		h.Set("X-Forwarded-Host", host)
	}
	if body != "" || method == "POST" || method == "PUT" {
		h.Set("Content-Length", fmt.Sprint(len(body)))
	}
	return want{Method: method, URI: uri, Body: body, Header: h}
}

func buildTraffic() traffic {
	var tr traffic
	var clients []*client
	// 1. One keep-alive connection with 100 requests.
	ka := newClient(40001)
	for i := 0; i < 100; i++ {
		id := fmt.Sprintf("ka-%03d", i)
		if i%3 == 0 {
			body := fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, strings.Repeat("p", i*31))
			ka.write(fmt.Sprintf("POST /api/items?i=%d HTTP/1.1\r\nHost: shop.example\r\nContent-Type: application/json\r\nX-Req-Id: %s\r\nContent-Length: %d\r\n\r\n%s", i, id, len(body), body))
			tr.want = append(tr.want, expect("POST", fmt.Sprintf("/api/items?i=%d", i), "shop.example", body,
				"Content-Type", "application/json", "X-Req-Id", id))
		} else {
			ka.write(fmt.Sprintf("GET /p/%d?q=a%%20b HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: test/1.0\r\nAccept: */*\r\nX-Req-Id: %s\r\n\r\n", i, id))
			tr.want = append(tr.want, expect("GET", fmt.Sprintf("/p/%d?q=a%%20b", i), "shop.example", "",
				"User-Agent", "test/1.0", "Accept", "*/*", "X-Req-Id", id))
		}
	}
	clients = append(clients, ka)
	// 2. Pipelined: three requests in one write, one of them chunked.
	pl := newClient(40002)
	pl.write("GET /pipe/1 HTTP/1.1\r\nHost: a.example\r\nX-Req-Id: pl-1\r\n\r\n" +
		"PUT /pipe/2 HTTP/1.1\r\nHost: a.example\r\nX-Req-Id: pl-2\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n" +
		"DELETE /pipe/3 HTTP/1.1\r\nHost: a.example\r\nX-Req-Id: pl-3\r\nConnection: close\r\n\r\n")
	tr.want = append(tr.want,
		expect("GET", "/pipe/1", "a.example", "", "X-Req-Id", "pl-1"),
		expect("PUT", "/pipe/2", "a.example", "hello world", "X-Req-Id", "pl-2"),
		expect("DELETE", "/pipe/3", "a.example", "", "X-Req-Id", "pl-3"))
	clients = append(clients, pl)
	// 3. Expect: 100-continue, the body sent after the head; HTTP/1.0.
	ec := newClient(40003)
	ec.write("POST /upload HTTP/1.1\r\nHost: up.example\r\nX-Req-Id: ec-1\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n")
	ec.write("binary\x00data")
	ec.write("GET /old HTTP/1.0\r\nX-Req-Id: ec-2\r\n\r\n")
	tr.want = append(tr.want,
		expect("POST", "/upload", "up.example", "binary\x00data", "X-Req-Id", "ec-1"),
		expect("GET", "/old", "", "", "X-Req-Id", "ec-2"))
	clients = append(clients, ec)
	// 4. TLS on the watched port: counted, skipped.
	tl := newClient(40004)
	tl.write("\x16\x03\x01\x00\x30" + strings.Repeat("\x01", 0x30) + "GET /not-http HTTP/1.1\r\n\r\n")
	clients = append(clients, tl)
	// Interleave the connections' segments, then FINs.
	for i := 0; ; i++ {
		more := false
		for _, c := range clients {
			if i < len(c.segs) {
				tr.frames = append(tr.frames, c.flow.Frame(c.segs[i]))
				more = true
			}
		}
		if !more {
			break
		}
	}
	for _, c := range clients {
		tr.frames = append(tr.frames, c.flow.Frame(c.flow.FIN()))
	}
	return tr
}

func sortByID(rs []want) {
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].Header.Get("X-Req-Id") < rs[j].Header.Get("X-Req-Id") })
}

func compare(t *testing.T, gotReqs, wantReqs []want) {
	t.Helper()
	if len(gotReqs) != len(wantReqs) {
		t.Fatalf("server got %d requests, want %d", len(gotReqs), len(wantReqs))
	}
	// Requests of one connection arrive in order.
	var ka []string
	for _, g := range gotReqs {
		if id := g.Header.Get("X-Req-Id"); strings.HasPrefix(id, "ka-") {
			ka = append(ka, id)
		}
	}
	if !sort.StringsAreSorted(ka) {
		t.Errorf("keep-alive requests replayed out of order: %v", ka)
	}
	g, w := append([]want(nil), gotReqs...), append([]want(nil), wantReqs...)
	sortByID(g)
	sortByID(w)
	for i := range w {
		if !reflect.DeepEqual(g[i], w[i]) {
			t.Errorf("request %s:\n got %+v\nwant %+v", w[i].Header.Get("X-Req-Id"), g[i], w[i])
		}
	}
}

func startAgent(t *testing.T, cfg Config) (*Agent, func() error) {
	t.Helper()
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	select {
	case <-a.Ready():
	case err := <-done:
		cancel()
		t.Fatalf("agent stopped before ready: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("agent not ready after 10s")
	}
	var once sync.Once
	var stopErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(20 * time.Second):
				stopErr = fmt.Errorf("agent did not stop within 20s")
			}
		})
		return stopErr
	}
	t.Cleanup(func() { _ = stop() })
	return a, stop
}

func TestEndToEndUDPLoopback(t *testing.T) {
	srv := newRecorder(t, nil)
	dir := t.TempDir()
	a, stop := startAgent(t, Config{
		Listen: "127.0.0.1:0", UDPSockets: 2, Workers: 2, Destination: srv.URL,
		VNIs: []uint32{77}, HealthAddr: "127.0.0.1:0", MetricsAddr: "127.0.0.1:0", SummaryInterval: -1,
		OutputJSONL: filepath.Join(dir, "req.jsonl"), OutputPcap: filepath.Join(dir, "inner.pcapng"),
	})
	tr := buildTraffic()
	conn, err := net.Dial("udp", a.Addr("udp").String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for i, f := range tr.frames {
		if _, err := conn.Write(pktgen.VXLAN(77, f)); err != nil {
			t.Fatal(err)
		}
		if i%64 == 63 {
			time.Sleep(time.Millisecond) // stay well under the socket buffer
		}
	}
	// A VNI outside the allow-list is counted, not replayed.
	other := newClient(40009)
	other.write("GET /wrong-vni HTTP/1.1\r\n\r\n")
	for _, s := range other.segs {
		conn.Write(pktgen.VXLAN(78, other.flow.Frame(s)))
	}
	gotReqs := srv.wait(t, len(tr.want))

	// Health and metrics listeners answer while running.
	hc, err := net.Dial("tcp", a.Addr("health").String())
	if err != nil {
		t.Fatalf("health check: %v", err)
	}
	hc.Close()
	resp, err := http.Get("http://" + a.Addr("metrics").String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), fmt.Sprintf("mirror_agent_requests_replayed_total{status=\"2xx\"} %d", len(tr.want))) {
		t.Errorf("metrics do not show %d replayed requests:\n%s", len(tr.want), grep(string(body), "replayed"))
	}

	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	compare(t, gotReqs, tr.want)
	s := a.Stats()
	if s.Requests.Parsed != uint64(len(tr.want)) || s.Requests.Replayed != uint64(len(tr.want)) ||
		s.DroppedTotal() != 0 || s.Streams.Kinds["tls"] != 1 || s.Streams.Kinds["http"] != 3 ||
		s.VXLAN.VNIRejected != uint64(len(other.segs)) || s.InputDrops != 0 {
		t.Errorf("stats: requests %+v streams %+v vxlan %+v drops %d", s.Requests, s.Streams, s.VXLAN, s.InputDrops)
	}
	lines, err := os.ReadFile(filepath.Join(dir, "req.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(lines), "\n"); n != len(tr.want) {
		t.Errorf("output-jsonl has %d lines, want %d", n, len(tr.want))
	}
	if n := countPcap(t, filepath.Join(dir, "inner.pcapng")); n != len(tr.frames) {
		t.Errorf("output-pcap has %d frames, want %d", n, len(tr.frames))
	}
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func countPcap(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewNgReader(f, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		if _, _, err := r.ReadPacketData(); err != nil {
			return n
		}
		n++
	}
}
