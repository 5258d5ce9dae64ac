package suite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/bench/report"
	"github.com/mirrorlab/mirrorlab/internal/bench/vpc"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/workload"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// The test server can run as its own process, so that its CPU per
// request served is read from /proc beside the agent's: the replay
// ceiling figure (agent CPU per replayed request ÷ the test server's CPU
// per request served, same load) holds on any machine, whatever else
// shares it. The process is the bench's own binary, re-executed with
// testServerEnv set to the address of its control listener; init below
// turns it into the server before anything else runs (as sim's program
// init does).
const testServerEnv = "MIRRORLAB_BENCH_TEST_SERVER"

// testServerControl is where the test server process answers /arrivals
// and /reset, on the test instance's loopback.
const testServerControl = "127.0.0.1:9465"

func init() {
	if addr := os.Getenv(testServerEnv); addr != "" {
		if err := runTestServer(addr); err != nil {
			fmt.Fprintf(os.Stderr, "bench test server: %v\n", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
}

// runTestServer serves the built-in http-server on HTTPPort and its
// arrivals on control until SIGTERM.
func runTestServer(control string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	ln, err := net.Listen("tcp", ":"+strconv.Itoa(HTTPPort))
	if err != nil {
		return err
	}
	cln, err := net.Listen("tcp", control)
	if err != nil {
		return errors.Join(err, ln.Close())
	}
	return serveTestServer(ctx, ln, cln)
}

// serveTestServer serves the built-in http-server on ln and, on cln,
// POST /reset and GET /arrivals (what it received since the last reset,
// as JSON) until ctx is done.
func serveTestServer(ctx context.Context, ln, cln net.Listener) error {
	s := serve(ln)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /reset", func(w http.ResponseWriter, _ *http.Request) { s.Reset() })
	mux.HandleFunc("GET /arrivals", func(w http.ResponseWriter, _ *http.Request) {
		// A write error leaves the bench with a decode error.
		_ = json.NewEncoder(w).Encode(localServer{s}.received())
	})
	cs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = cs.Serve(cln) }() // ends with Close below
	<-ctx.Done()
	return errors.Join(cs.Close(), s.Close())
}

// received is what a test server received since its last reset: the
// first arrival of each numbered request, and how many requests it served
// (repeats included).
type received struct {
	Arrivals map[uint64]time.Time `json:"arrivals"`
	Served   int                  `json:"served"`
}

// testServer is the test environment's HTTP server: in the bench's
// process (no CPU figure), or its own process.
type testServer interface {
	Reset() error
	Received() (received, error)
	// CPU returns the CPU time the server used so far (ok false when it
	// runs in the bench's process).
	CPU() (cpu time.Duration, ok bool)
	Close() error
}

// localServer is a test server in the bench's process.
type localServer struct{ *workload.Server }

func (l localServer) Reset() error                { l.Server.Reset(); return nil }
func (l localServer) Received() (received, error) { return l.received(), nil }
func (l localServer) CPU() (time.Duration, bool)  { return 0, false }

func (l localServer) received() received {
	return received{Arrivals: l.Server.Arrivals(), Served: len(l.Server.Requests())}
}

// procServer is the test server as its own process in the test instance.
type procServer struct {
	p       *sim.Process
	client  *http.Client
	control string // the control listener's base URL
}

// startTestServerProcess re-executes the bench's binary as the test
// server in env.Test and waits until it answers.
func startTestServerProcess(ctx context.Context, env *vpc.Env) (*procServer, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("test server process: %w", err)
	}
	p, err := env.Test.Exec(ctx, []string{exe}, sim.ExecOptions{Env: append(os.Environ(), testServerEnv+"="+testServerControl)})
	if err != nil {
		return nil, fmt.Errorf("test server process: %w", err)
	}
	s := &procServer{p: p, control: "http://" + testServerControl, client: &http.Client{Timeout: 5 * time.Second,
		Transport: &http.Transport{DialContext: vpc.Dialer(env.Test), Proxy: nil}}}
	exited := func() error {
		select {
		case <-p.Done():
			out, _ := p.Stderr()
			return fmt.Errorf("test server process exited (code %d): %s", p.ExitCode(), tail(out))
		default:
			return nil
		}
	}
	answer := func() error { _, err := s.Received(); return err }
	if err := waitAnswer("answer from the test server process", exited, answer, s.Close); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *procServer) Reset() error {
	resp, err := s.client.Post(s.control+"/reset", "", nil)
	if err != nil {
		return fmt.Errorf("test server reset: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("test server reset: %s", resp.Status)
	}
	return nil
}

func (s *procServer) Received() (received, error) {
	var r received
	if err := getJSON(s.client, s.control+"/arrivals", &r); err != nil {
		return r, fmt.Errorf("test server arrivals: %w", err)
	}
	return r, nil
}

func (s *procServer) CPU() (time.Duration, bool) {
	cpu, _, err := procUsage(s.p.Pid())
	return cpu, err == nil
}

// Close stops the process (SIGTERM, then SIGKILL after a grace period).
func (s *procServer) Close() error { return stopProcess(s.p, 5*time.Second) }

// recordServerRatio records the test server's CPU per 1k requests served
// and the agent's CPU per replayed request ÷ that, over the same window
// (the load and its drain), when both processes' CPU was read.
func (b *bench) recordServerRatio(sp replaySpecs, rep workload.ArrivalComparison, w *loadWindow) {
	if !w.sampled || !w.srvSampled || w.served == 0 || rep.Replayed == 0 {
		return
	}
	srvPer := float64(w.srv1-w.srv0) / float64(w.served)
	b.col.add(sp.serverCPU, srvPer*1000/float64(time.Millisecond))
	if srvPer <= 0 {
		b.col.fail(sp.vsServer, errors.New("the test server used no measurable CPU (/proc counts 10 ms ticks): a longer load is needed"))
		return
	}
	agentPer := float64(w.cpu1-w.cpu0) / float64(rep.Replayed)
	b.col.add(sp.vsServer, agentPer/srvPer)
}

// ceilingTable is the replay ceiling by offered load: the test server's
// CPU per request served and each agent's CPU per replayed request ÷
// it, same load (goal for ours: ≤ 1.0).
func (b *bench) ceilingTable(find func(string, map[string]string) *report.Measurement, runs string) report.Table {
	t := report.Table{Title: "Replay ceiling — an agent's CPU per replayed request ÷ the test server's CPU per request served, same load (goal for ours ≤ 1.0), " + runs,
		Header: []string{"offered load (req/s)", "test server: CPU-ms per 1k served (with ours)", "ours ÷ test server", "ours, -compare on ÷ test server",
			"test server: CPU-ms per 1k served (with GoReplay)", "GoReplay ÷ test server"}}
	for _, load := range b.cfg.HTTPLoads {
		lp := loadParams(load)
		r := func(who, what string) string { return report.FormatRange(find("replay/"+who+"/"+what, lp)) }
		t.Rows = append(t.Rows, []string{report.FormatNumber(load), r(labelOurs, "test-server-cpu-per-1k-req"), r(labelOurs, "cpu-vs-test-server"),
			r(labelOursCompare, "cpu-vs-test-server"), r(labelGoReplay, "test-server-cpu-per-1k-req"), r(labelGoReplay, "cpu-vs-test-server")})
	}
	return t
}
