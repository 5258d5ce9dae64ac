package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/mirrorlab/mirrorlab/agent"
	"github.com/mirrorlab/mirrorlab/agent/internal/pktgen"
)

func run(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var out, errb syncBuffer
	code := Main(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestVersion(t *testing.T) {
	code, out, _ := run(t, context.Background(), "-version")
	if code != 0 || !strings.HasPrefix(out, "mirror-agent "+agent.Version) {
		t.Fatalf("code %d out %q", code, out)
	}
}

func TestBadFlagsSayWhatToFix(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{}, "destination: required"},
		{[]string{"-destination", "ftp://x"}, "scheme must be http or https"},
		{[]string{"-destination", "http://x", "-filter-request-port", "80,abc"}, `"abc" is not a port`},
		{[]string{"-destination", "http://x", "-percentage", "0"}, "in (0, 100]"},
		{[]string{"-destination", "http://x", "-percentage", "150"}, "between 0 and 100"},
		{[]string{"-destination", "http://x", "-percentage-by", "header"}, "-percentage-by-header"},
		{[]string{"-destination", "http://x", "-input", "afpacket"}, "-interface"},
		{[]string{"-destination", "http://x", "-input", "pcap"}, "-pcap-file"},
		{[]string{"-destination", "http://x", "-input", "kafka"}, "must be udp, afpacket or pcap"},
		{[]string{"-destination", "http://x", "-vni", "99999999"}, "is not a VNI"},
		{[]string{"-destination", "http://x", "-max-body", "lots"}, "is not a size"},
		{[]string{"-destination", "http://x", "-log-level", "loud"}, "-log-level"},
		{[]string{"-destination", "http://x", "extra"}, "unexpected argument"},
		{[]string{"-no-such-flag"}, "flag provided but not defined"},
		{[]string{"-destination", "http://x", "-input", "udp", "-pcap-file", "f.pcap"}, "-pcap-file f.pcap is read only with -input pcap, not -input udp"},
		{[]string{"-destination", "http://x", "-input", "pcap", "-pcap-file", "f", "-interface", "eth0"}, "give one"},
		{[]string{"-destination", "http://x", "-input", "pcap", "-interface", "eth0"}, "-interface eth0 is captured only with -input afpacket"},
		{[]string{"-destination", "http://x", "-compare", "-compare-baseline", "http://x/"}, "compare-baseline http://x/: is the -destination itself"},
		{[]string{"-destination", "http://x", "-compare-baseline", "http://y"}, "also give -compare"},
	} {
		code, _, stderr := run(t, context.Background(), tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: code %d stderr %q, want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}

func TestHelp(t *testing.T) {
	code, _, stderr := run(t, context.Background(), "-h")
	if code != 0 || !strings.Contains(stderr, "-filter-request-port") || !strings.Contains(stderr, "-keep-host-header") {
		t.Fatalf("code %d stderr %q", code, stderr)
	}
}

func TestSizeFlag(t *testing.T) {
	for in, want := range map[string]int{"123": 123, "64K": 64 << 10, "8M": 8 << 20, "8MiB": 8 << 20, "1g": 1 << 30} {
		var s size
		if err := s.Set(in); err != nil || int(s) != want {
			t.Errorf("%q: %d, %v; want %d", in, s, err, want)
		}
	}
}

func writeCapture(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "in.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65536, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	flow := pktgen.NewFlow(netip.MustParseAddrPort("192.0.2.9:33000"), netip.MustParseAddrPort("10.0.0.10:8080"), 1)
	segs := []pktgen.Segment{flow.SYN()}
	for i := 0; i < n; i++ {
		segs = append(segs, flow.Write([]byte("GET /cli/"+string(rune('a'+i))+" HTTP/1.1\r\nHost: cli.example\r\n\r\n"))...)
	}
	segs = append(segs, flow.FIN())
	for i, s := range segs {
		frame := pktgen.Outer(netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("10.0.0.20"), 50000, pktgen.VXLAN(3, flow.Frame(s)))
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(1_700_000_000+int64(i), 0), CaptureLength: len(frame), Length: len(frame)}
		if err := w.WritePacket(ci, frame); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPcapRunWithOutputs(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Host != "cli.example" || r.Header.Get("X-Forwarded-Port") != "8080" {
			t.Errorf("host %q, X-Forwarded-Port %q", r.Host, r.Header.Get("X-Forwarded-Port"))
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	jsonl, stats := filepath.Join(dir, "r.jsonl"), filepath.Join(dir, "stats.json")
	code, _, stderr := run(t, context.Background(), "-input", "pcap", "-pcap-file", writeCapture(t, 5),
		"-destination", srv.URL, "-keep-host-header", "-filter-request-port", "80,8080", "-vni", "3",
		"-output-jsonl", jsonl, "-stats-file", stats, "-log-format", "json")
	if code != 0 {
		t.Fatalf("code %d stderr %s", code, stderr)
	}
	if hits.Load() != 5 {
		t.Fatalf("destination got %d requests, want 5", hits.Load())
	}
	b, err := os.ReadFile(jsonl)
	if err != nil {
		t.Fatal(err)
	}
	var rec agent.RequestRecord
	if err := json.Unmarshal(bytes.Split(b, []byte("\n"))[0], &rec); err != nil || rec.Target != "/cli/a" || rec.VNI != 3 {
		t.Fatalf("first record %+v, %v", rec, err)
	}
	var st agent.Stats
	b, err = os.ReadFile(stats)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &st); err != nil || st.Requests.Replayed != 5 {
		t.Fatalf("stats %+v, %v", st.Requests, err)
	}
	if !strings.Contains(stderr, `"msg":"agent stopped"`) {
		t.Errorf("no JSON stop log in %s", stderr)
	}
}

// TestSIGTERMDrains sends SIGTERM to the test process while Main runs: the
// agent stops listening, drains and exits 0; with -compare it logs the
// comparison's summary on the way out.
func TestSIGTERMDrains(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	for _, extra := range [][]string{nil, {"-compare"}} {
		var errb syncBuffer
		done := make(chan int, 1)
		go func() {
			done <- Main(context.Background(), append([]string{"-listen", "127.0.0.1:0", "-destination", srv.URL,
				"-metrics-addr", "127.0.0.1:0", "-summary-interval", "10ms"}, extra...), io.Discard, &errb)
		}()
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(errb.String(), "summary packets=") {
			if time.Now().After(deadline) {
				t.Fatalf("%v: agent did not start: %s", extra, errb.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
		if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case code := <-done:
			if code != 0 || !strings.Contains(errb.String(), "agent stopped") {
				t.Fatalf("%v: code %d stderr %s", extra, code, errb.String())
			}
			sum := strings.Contains(errb.String(), "responses: compared 0, identical 0, different 0, noise 0, incomplete 0, not compared 0")
			if sum != (extra != nil) {
				t.Fatalf("%v: comparison summary logged %v: %s", extra, sum, errb.String())
			}
		case <-time.After(15 * time.Second):
			t.Fatalf("%v: agent did not stop on SIGTERM", extra)
		}
	}
}

// A flag that names the input's source is enough to choose the input.
func TestSourceFlagSelectsInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-destination", "http://x"}, "udp"},
		{[]string{"-destination", "http://x", "-pcap-file", "f.pcap"}, "pcap"},
		{[]string{"-destination", "http://x", "-interface", "eth0"}, "afpacket"},
		{[]string{"-destination", "http://x", "-input", "pcap", "-pcap-file", "f.pcap"}, "pcap"},
	} {
		cfg, err := ParseConfig(tc.args)
		if err != nil || cfg.Input != tc.want {
			t.Errorf("%v: input %q, %v; want %q", tc.args, cfg.Input, err, tc.want)
		}
	}
}

func TestGeneveFlagListensOn6081(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		listen string
		geneve bool
	}{
		{[]string{"-destination", "http://x"}, ":4789", false},
		{[]string{"-destination", "http://x", "-geneve"}, ":6081", true},
		{[]string{"-destination", "http://x", "-geneve", "-listen", "10.0.0.21:7000"}, "10.0.0.21:7000", true},
	} {
		cfg, err := ParseConfig(tc.args)
		if err != nil || cfg.Listen != tc.listen || cfg.Geneve != tc.geneve {
			t.Errorf("%v: listen %q geneve %v, %v; want %q %v", tc.args, cfg.Listen, cfg.Geneve, err, tc.listen, tc.geneve)
		}
	}
}
