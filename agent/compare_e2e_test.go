package agent

import (
	"bufio"
	"encoding/json"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/agent/internal/pktgen"
)

// TestCompareEndToEnd mirrors two keep-alive exchanges in both directions;
// the test server answers /a as production did and /b with a changed JSON
// field: one pair identical, one different at .v, written to
// -compare-output and counted on /stats and /metrics.
func TestCompareEndToEnd(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "test-side") // ignored by default
		if strings.HasPrefix(r.URL.Path, "/b") {
			_, _ = io.WriteString(w, `{"v":2,"name":"x"}`)
			return
		}
		_, _ = io.WriteString(w, `{"name":"x","v":1}`)
	}))
	t.Cleanup(srv.Close)
	out := filepath.Join(t.TempDir(), "diff.jsonl")
	a, stop := startAgent(t, Config{
		Listen: "127.0.0.1:0", UDPSockets: 1, Workers: 2, Destination: srv.URL, MetricsAddr: "127.0.0.1:0",
		SummaryInterval: -1, Compare: true, CompareOutput: out,
	})
	client := netip.MustParseAddrPort("198.51.100.7:41000")
	c := pktgen.NewFlow(client, serverAddr, 1000)
	s := pktgen.NewFlow(serverAddr, client, 9000) // the server's direction
	prod := func(body string) string {
		return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nContent-Length: " +
			itoa(len(body)) + "\r\n\r\n" + body
	}
	var frames [][]byte
	add := func(f *pktgen.Flow, segs ...pktgen.Segment) {
		for _, sg := range segs {
			frames = append(frames, f.Frame(sg))
		}
	}
	add(c, c.SYN())
	add(s, s.SYN())
	add(c, c.Write([]byte("GET /a/12 HTTP/1.1\r\nHost: shop\r\n\r\n"))...)
	add(s, s.Write([]byte(prod(`{"v":1,"name":"x"}`)))...)
	add(c, c.Write([]byte("GET /b HTTP/1.1\r\nHost: shop\r\n\r\n"))...)
	add(s, s.Write([]byte(prod(`{"v":1,"name":"x"}`)))...)
	add(c, c.FIN())
	add(s, s.FIN())
	conn, err := net.Dial("udp", a.Addr("udp").String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, f := range frames {
		if _, err := conn.Write(pktgen.VXLAN(1, f)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		st := a.Stats()
		if st.Compare != nil && st.Compare.Compared >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	resp, err := http.Get("http://" + a.Addr("metrics").String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	st := a.Stats().Compare
	if st == nil || st.Compared != 2 || st.Identical != 1 || st.Different != 1 || len(st.Endpoints) != 2 {
		all := a.Stats()
		t.Fatalf("compare stats %+v\n%s", st, all.Summary())
	}
	if e := st.Endpoints[1]; e.Endpoint != "GET /b" || len(e.Fields) != 1 || e.Fields[0].Field != "body .v" {
		t.Fatalf("endpoint %+v", e)
	}
	if st.Endpoints[0].Endpoint != "GET /a/{id}" || st.Endpoints[0].Identical != 1 {
		t.Fatalf("endpoint %+v", st.Endpoints[0])
	}
	// the per-endpoint latency summary says what /stats says
	q := regexp.MustCompile(`mirror_agent_compare_endpoint_latency_seconds\{endpoint="GET /a/\{id\}",side="test",quantile="0.99"\} (\S+)`).FindStringSubmatch(string(metrics))
	if q == nil {
		t.Fatalf("/metrics lacks GET /a/{id}'s test p99:\n%s", metrics)
	}
	if v, err := strconv.ParseFloat(q[1], 64); err != nil || math.Abs(v*1000-st.Endpoints[0].TestP99ms) > 1e-9 {
		t.Errorf("GET /a/{id} test p99 on /metrics %s s, on /stats %v ms", q[1], st.Endpoints[0].TestP99ms)
	}
	for _, m := range []string{`mirror_agent_compare_pairs_total{outcome="different"} 1`,
		`mirror_agent_compare_endpoint_pairs_total{endpoint="GET /b",outcome="different"} 1`,
		`mirror_agent_response_latency_seconds_count{side="test"} 2`,
		`mirror_agent_compare_endpoint_latency_seconds_count{endpoint="GET /b",side="production"} 1`,
		`mirror_agent_compare_endpoint_latency_seconds{endpoint="GET /a/{id}",side="test",quantile="0.99"} `} {
		if !strings.Contains(string(metrics), m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var lines []map[string]any
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("compare-output line %q: %v", sc.Text(), err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 1 || lines[0]["request"] != "GET /b HTTP/1.1" || lines[0]["field"] != ".v" || lines[0]["production"] != "1" || lines[0]["test"] != "2" {
		t.Fatalf("compare-output %v", lines)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// runCompareTraffic mirrors one keep-alive connection carrying requests
// for targets, each answered by production with prodBody(i), through an
// agent started with cfg, and returns its comparison once every pair is
// compared or counted incomplete (or 15 s have passed).
func runCompareTraffic(t *testing.T, cfg Config, targets []string, prodBody func(i int) string) *Stats {
	t.Helper()
	return runCompareTrafficLosing(t, cfg, targets, prodBody, nil)
}

// runCompareTrafficLosing is runCompareTraffic where lose(i, j) drops the
// j-th segment of production's i-th response from the mirrored stream.
func runCompareTrafficLosing(t *testing.T, cfg Config, targets []string, prodBody func(i int) string, lose func(i, j int) bool) *Stats {
	t.Helper()
	a, stop := startAgent(t, cfg)
	client := netip.MustParseAddrPort("198.51.100.7:41001")
	c := pktgen.NewFlow(client, serverAddr, 1000)
	s := pktgen.NewFlow(serverAddr, client, 9000)
	frames := [][]byte{c.Frame(c.SYN()), s.Frame(s.SYN())}
	for i, target := range targets {
		body := prodBody(i)
		for _, sg := range c.Write([]byte("GET " + target + " HTTP/1.1\r\nHost: shop\r\n\r\n")) {
			frames = append(frames, c.Frame(sg))
		}
		resp := "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + itoa(len(body)) + "\r\n\r\n" + body
		for j, sg := range s.Write([]byte(resp)) {
			if lose == nil || !lose(i, j) {
				frames = append(frames, s.Frame(sg))
			}
		}
	}
	frames = append(frames, c.Frame(c.FIN()), s.Frame(s.FIN()))
	conn, err := net.Dial("udp", a.Addr("udp").String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, f := range frames {
		if _, err := conn.Write(pktgen.VXLAN(1, f)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		st := a.Stats()
		if st.Compare != nil && st.Compare.Compared+st.Compare.Incomplete >= uint64(len(targets)) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	st := a.Stats()
	return &st
}

// TestCompareBaselineEndToEnd is Diffy's method end to end: production
// (mirrored), the test server and a baseline running production's version
// all put a timestamp that changes per answer in every JSON body, and
// every request is distinct, so production's own answers cannot teach that
// the timestamp is noise. With -compare-baseline the agent replays each
// request to the baseline too, sees production and the baseline disagree
// on .ts and counts those pairs as noise, while the changed .v on /other
// stays a regression. Without the baseline the same traffic shows .ts as
// a regression everywhere: the baseline is what makes the difference.
func TestCompareBaselineEndToEnd(t *testing.T) {
	version := func(v int) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			ver := 1
			if strings.HasPrefix(r.URL.Path, "/other/") {
				ver = v
			}
			_, _ = io.WriteString(w, `{"ts":`+itoa(int(time.Now().UnixNano()%1e9))+`,"v":`+itoa(ver)+`}`)
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	test, baseline := version(2), version(1)
	var targets []string
	for i := 1; i <= 12; i++ {
		if i%4 == 0 {
			targets = append(targets, "/other/"+itoa(i))
		} else {
			targets = append(targets, "/item/"+itoa(i))
		}
	}
	prod := func(i int) string { return `{"v":1,"ts":` + itoa(1000+i) + `}` }
	cfg := Config{Listen: "127.0.0.1:0", UDPSockets: 1, Workers: 2, Destination: test.URL,
		SummaryInterval: -1, Compare: true, CompareBaseline: baseline.URL}

	st := runCompareTraffic(t, cfg, targets, prod).Compare
	if st == nil || st.Compared != 12 || st.Noise != 9 || st.Different != 3 || st.Identical != 0 || len(st.Dropped) != 0 || len(st.Endpoints) != 2 {
		t.Fatalf("with a baseline: %+v", st)
	}
	item, other := st.Endpoints[0], st.Endpoints[1]
	if item.Endpoint != "GET /item/{id}" || item.Noise != 9 || item.Different != 0 || !reflect.DeepEqual(item.NoiseFields, []string{"body .ts"}) {
		t.Errorf("item endpoint %+v", item)
	}
	if other.Endpoint != "GET /other/{id}" || other.Different != 3 || len(other.Fields) != 1 || other.Fields[0].Field != "body .v" {
		t.Errorf("other endpoint %+v", other)
	}
	if st.LearnKept != 0 {
		t.Errorf("with a baseline, %d production answers were kept to learn from", st.LearnKept)
	}

	cfg.CompareBaseline = ""
	st = runCompareTraffic(t, cfg, targets, prod).Compare
	if st == nil || st.Compared != 12 || st.Different != 12 || st.Noise != 0 {
		t.Fatalf("without a baseline the timestamps are not known to be noise: %+v", st)
	}
}

// TestCompareBodyCapBothSides: production's bodies are kept up to
// -compare-body like the test's, so a production body over the cap is
// counted unchecked and never compared as if whole (here the test server's
// short body would otherwise differ from it), while status and headers
// still are compared.
func TestCompareBodyCapBothSides(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/gone" {
			w.WriteHeader(http.StatusNotFound)
		}
		_, _ = io.WriteString(w, `{"v":1}`)
	}))
	t.Cleanup(srv.Close)
	cfg := Config{Listen: "127.0.0.1:0", UDPSockets: 1, Workers: 2, Destination: srv.URL,
		SummaryInterval: -1, Compare: true, CompareBodyBytes: 16}
	st := runCompareTraffic(t, cfg, []string{"/a", "/gone"}, func(int) string { return `{"v":1,"pad":"0123456789abcdef"}` }).Compare
	if st == nil || st.Compared != 2 || st.Identical != 1 || st.Different != 1 || len(st.Endpoints) != 2 {
		t.Fatalf("%+v", st)
	}
	a, gone := st.Endpoints[0], st.Endpoints[1]
	if a.BodyUnchecked != 1 || a.Identical != 1 || gone.BodyUnchecked != 1 || gone.DifferentBy["status"] != 1 {
		t.Fatalf("endpoints %+v", st.Endpoints)
	}
}

// TestCompareLostResponseBytesNotCompared: a segment of production's
// response body never reaches the agent (lost, or cut by the mirror's
// packet length). That response is counted incomplete and never compared
// as if whole, and the next response on the connection still pairs with
// its request (its Content-Length says where it starts).
func TestCompareLostResponseBytesNotCompared(t *testing.T) {
	big := `{"pad":"` + strings.Repeat("x", 3000) + `"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/big" {
			_, _ = io.WriteString(w, big)
			return
		}
		_, _ = io.WriteString(w, `{"v":1}`)
	}))
	t.Cleanup(srv.Close)
	cfg := Config{Listen: "127.0.0.1:0", UDPSockets: 1, Workers: 2, Destination: srv.URL,
		SummaryInterval: -1, Compare: true, GapTimeout: 200 * time.Millisecond}
	bodies := []string{big, `{"v":1}`}
	st := runCompareTrafficLosing(t, cfg, []string{"/big", "/small"}, func(i int) string { return bodies[i] },
		func(i, j int) bool { return i == 0 && j == 1 }).Compare
	if st == nil || st.Incomplete != 1 || st.Compared != 1 || st.Identical != 1 || st.Different != 0 {
		t.Fatalf("%+v", st)
	}
	if st.Endpoints[0].Endpoint != "GET /big" || st.Endpoints[0].Incomplete != 1 || st.Endpoints[1].Identical != 1 {
		t.Fatalf("endpoints %+v", st.Endpoints)
	}
}
