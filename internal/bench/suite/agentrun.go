package suite

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mirrorlab/mirrorlab/agent"
	"github.com/mirrorlab/mirrorlab/internal/bench/vpc"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// labelOursCompare is our agent replaying with response comparison on.
const labelOursCompare = "ours-compare"

// agentMetricsAddr is where an agent run as its own process serves /stats,
// on the adapter's loopback.
const agentMetricsAddr = "127.0.0.1:9464"

// ourAgent is our decap agent, run in the bench's process or as its own
// process (Config.AgentCommand) inside the adapter.
type ourAgent struct {
	// In the bench's process:
	a      *agent.Agent
	done   chan error // Run's result (buffered, one value), put back when read
	cancel context.CancelFunc
	// As its own process:
	p      *sim.Process
	client *http.Client
}

// startAgent starts our agent on the adapter's UDP 4789, replaying to the
// test server (with -compare when compare).
func (b *bench) startAgent(ctx context.Context, env *vpc.Env, srv *servers, compare bool) (*ourAgent, error) {
	if len(b.cfg.AgentCommand) > 0 {
		return startAgentProcess(ctx, b.cfg.AgentCommand, env, srv, compare)
	}
	a, err := agent.New(agent.Config{Input: "udp", Listen: ":4789", Ports: []uint16{HTTPPort}, Destination: srv.testURL,
		VNIs: []uint32{vpc.MirrorVNI}, SummaryInterval: -1, InNamespace: env.Adapter.Run, Compare: compare})
	if err != nil {
		return nil, err
	}
	actx, cancel := context.WithCancel(ctx)
	o := &ourAgent{a: a, done: make(chan error, 1), cancel: cancel}
	go func() { o.done <- a.Run(actx) }()
	select {
	case <-a.Ready():
		return o, nil
	case err := <-o.done:
		cancel()
		return nil, fmt.Errorf("exited at start: %v", err)
	case <-time.After(5 * time.Second):
		return nil, errors.Join(errors.New("not ready after 5s"), o.Stop())
	}
}

// startAgentProcess runs `argv... -input udp ...` in the adapter and waits
// for its /healthz.
func startAgentProcess(ctx context.Context, argv []string, env *vpc.Env, srv *servers, compare bool) (*ourAgent, error) {
	args := append(slices.Clone(argv), "-input", "udp", "-listen", ":"+strconv.Itoa(vpc.VXLANPort),
		"-filter-request-port", strconv.Itoa(HTTPPort), "-destination", srv.testURL, "-vni", strconv.Itoa(vpc.MirrorVNI),
		"-summary-interval", "-1s", "-metrics-addr", agentMetricsAddr, "-log-level", "warn")
	if compare {
		args = append(args, "-compare")
	}
	p, err := env.Adapter.Exec(ctx, args, sim.ExecOptions{})
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", strings.Join(argv, " "), err)
	}
	o := &ourAgent{p: p, client: &http.Client{Timeout: 2 * time.Second,
		Transport: &http.Transport{DialContext: vpc.Dialer(env.Adapter), Proxy: nil}}}
	stats := func() error { _, err := o.stats(); return err }
	if err := waitAnswer("/stats", o.Exited, stats, o.Stop); err != nil {
		return nil, err
	}
	return o, nil
}

func (o *ourAgent) where() string {
	if o.p != nil {
		return "own process, pid " + strconv.Itoa(o.p.Pid())
	}
	return "in the bench's process"
}

// stats returns the agent's counters.
func (o *ourAgent) stats() (agent.Stats, error) {
	if o.a != nil {
		return o.a.Stats(), nil
	}
	var s agent.Stats
	err := getJSON(o.client, "http://"+agentMetricsAddr+"/stats", &s)
	if err != nil {
		err = fmt.Errorf("agent /stats: %w", err)
	}
	return s, err
}

// getJSON decodes the JSON answer of a GET of url (200 OK) into v.
func getJSON(c *http.Client, url string, v any) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// Exited reports an agent that stopped early.
func (o *ourAgent) Exited() error {
	if o.p != nil {
		select {
		case <-o.p.Done():
			out, _ := o.p.Stderr()
			return fmt.Errorf("our agent exited (code %d): %s", o.p.ExitCode(), tail(out))
		default:
			return nil
		}
	}
	select {
	case err := <-o.done:
		o.done <- err
		return fmt.Errorf("our agent stopped: %v", err)
	default:
		return nil
	}
}

// Sample is the agent process's CPU and peak RSS; in the bench's process
// they cannot be told apart.
func (o *ourAgent) Sample() (time.Duration, uint64, bool) {
	if o.p == nil {
		return 0, 0, false
	}
	cpu, rss, err := procUsage(o.p.Pid())
	return cpu, rss, err == nil
}

// Stop ends the agent (SIGTERM, then SIGKILL after a grace period).
func (o *ourAgent) Stop() error {
	if o.p != nil {
		return stopProcess(o.p, 5*time.Second)
	}
	o.cancel()
	select {
	case err := <-o.done:
		o.done <- err
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
		return nil
	case <-time.After(15 * time.Second):
		return errors.New("our agent did not stop within 15s")
	}
}

// Diag is a one-line summary of the agent's counters.
func (o *ourAgent) Diag() string {
	s, err := o.stats()
	if err != nil {
		return "(agent counters: " + err.Error() + ")"
	}
	dropped := ""
	keys := make([]string, 0, len(s.Requests.Dropped))
	for k, v := range s.Requests.Dropped {
		if v > 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		dropped += fmt.Sprintf(" %s=%d", k, s.Requests.Dropped[k])
	}
	dropped = cmp.Or(dropped, " none")
	cmp := ""
	if s.Compare != nil {
		cmp = fmt.Sprintf("; responses compared %d, identical %d, incomplete %d, pending %d", s.Compare.Compared, s.Compare.Identical,
			s.Compare.Incomplete, s.Compare.Pending)
	}
	return fmt.Sprintf("(agent so far: %d packets, %d input drops, %d queue drops, %d gaps, %d parsed, %d replayed, %d failed; requests dropped:%s%s)",
		s.Packets, s.InputDrops, s.ShardDrops, s.Streams.Gaps, s.Requests.Parsed, s.Requests.Replayed, s.Requests.Failed, dropped, cmp)
}

func tail(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = "…" + s[len(s)-300:]
	}
	return s
}
