package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/agent"
	"github.com/mirrorlab/mirrorlab/agent/internal/pktgen"
)

// Helpers to run mirror-agent as a child process (see TestMain) and feed
// it over UDP on loopback.

// sender writes datagrams to the agent, keeping at most window of them
// not yet read by it.
type sender struct {
	t      *testing.T
	conn   net.Conn
	stats  string
	sent   int
	window int
}

func newSender(t *testing.T, addr, stats string) *sender {
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &sender{t: t, conn: c, stats: stats, window: 64}
}

func (s *sender) frame(inner []byte) { s.send(pktgen.VXLAN(1, inner)) }

func (s *sender) send(d []byte) {
	if s.sent%32 == 0 {
		for {
			st := s.get()
			if s.sent-int(st.Packets+st.InputDrops) <= s.window {
				break
			}
			time.Sleep(200 * time.Microsecond)
		}
	}
	if _, err := s.conn.Write(d); err != nil {
		s.t.Fatal(err)
	}
	s.sent++
}

func (s *sender) get() agent.Stats {
	var st agent.Stats
	resp, err := http.Get(s.stats)
	if err != nil {
		s.t.Fatalf("agent stats: %v", err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		s.t.Fatalf("agent stats: %v", err)
	}
	return st
}

func (s *sender) waitFor(what string, ok func(agent.Stats) bool) agent.Stats {
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := s.get()
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("waited 30s for %s: %+v", what, st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startChild runs this test binary as mirror-agent with args (see
// TestMain) and waits until its metrics listener answers.
func startChild(t *testing.T, args []string) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(args)
	cmd := exec.Command(exe, "-test.run=^$")
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "GOMEMLIMIT=") && !strings.HasPrefix(e, childEnv+"=") {
			cmd.Env = append(cmd.Env, e)
		}
	}
	cmd.Env = append(cmd.Env, childEnv+"="+string(a))
	var errb syncBuffer
	cmd.Stderr = &errb
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		if t.Failed() {
			t.Logf("agent stderr:\n%s", errb.String())
		}
	})
	stats := "http://" + args[indexOf(args, "-metrics-addr")+1] + "/healthz"
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get(stats); err == nil {
			resp.Body.Close()
			return cmd
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent did not start: %s", errb.String())
		}
	}
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// freeAddr returns a loopback address with a port free for network.
func freeAddr(t *testing.T, network string) string {
	t.Helper()
	if network == "udp" {
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().String()
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// vmHWM returns the peak resident set size of process pid.
func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("VmHWM %q: %v", v, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/pid/status")
	return 0
}
