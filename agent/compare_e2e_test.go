package agent

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/agent/pktgen"
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
	for _, m := range []string{`mirror_agent_compare_pairs_total{outcome="different"} 1`,
		`mirror_agent_compare_endpoint_pairs_total{endpoint="GET /b",outcome="different"} 1`,
		`mirror_agent_response_latency_seconds_count{side="test"} 2`} {
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
