package cli

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/mirrorlab/mirrorlab/agent"
	"github.com/mirrorlab/mirrorlab/agent/internal/pktgen"
)

// TestHostileInputStaysInBudget drives a child mirror-agent (UDP input on
// 127.0.0.1, a 32 MiB budget) with, at once, 100 000 half-open streams
// (SYN and the start of a head, then silence), 100 chunked requests of
// 1 MiB interleaved so that every body is in progress together, random
// datagrams, VXLAN with garbage inside, and streams of random bytes. Then
// it checks that the agent's peak RSS stayed under the budget plus the
// overhead it states (Agent.MemoryBound), that the budget was reached and
// shed load, that every datagram and every request is accounted for in the
// counters, and that well-formed requests sent afterwards are all
// replayed. The sender keeps at most a few dozen datagrams outstanding, so
// that no datagram is lost before the agent counts it: a request in a lost
// datagram could not be counted.
func TestHostileInputStaysInBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 300 000 datagrams to a child agent")
	}
	var mu sync.Mutex
	replayed := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		replayed[r.URL.Path]++
		mu.Unlock()
	}))
	defer srv.Close()

	udpAddr, metricsAddr := freeAddr(t, "udp"), freeAddr(t, "tcp")
	statsFile := filepath.Join(t.TempDir(), "stats.json")
	args := []string{"-listen", udpAddr, "-destination", srv.URL, "-metrics-addr", metricsAddr,
		"-max-buffered", "32M", "-idle-timeout", "2s", "-gap-timeout", "1s", "-workers", "2",
		"-udp-sockets", "1", "-rcvbuf", "4M", "-summary-interval", "-1s", "-log-level", "warn",
		"-stats-file", statsFile}
	cfg, err := ParseConfig(args)
	if err != nil {
		t.Fatal(err)
	}
	a, err := agent.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	budget, overhead := a.MemoryBound()
	child := startChild(t, args)
	s := newSender(t, udpAddr, "http://"+metricsAddr+"/stats")

	// The storm.
	rng := rand.New(rand.NewPCG(12, 34))
	server := netip.MustParseAddrPort("10.0.0.10:80")
	const halfOpen = 100_000
	chunked := newChunkedFlows(100, server)
	requests := halfOpen + len(chunked.flows)
	for i := 0; i < halfOpen; i++ {
		f := pktgen.NewFlow(netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 18 + byte(i>>16), byte(i >> 8), byte(i)}), 40000), server, uint32(i))
		s.frame(f.Frame(f.SYN()))
		for _, seg := range f.Write([]byte(fmt.Sprintf("GET /half/%d HTTP/1.1\r\nHost: idle.example\r\n", i))) {
			s.frame(f.Frame(seg))
		}
		if i%2 == 0 {
			if d := chunked.next(); d != nil {
				s.frame(d)
			}
		}
		switch i % 20 {
		case 0: // random bytes
			s.send(randomBytes(rng, rng.IntN(1500)))
		case 5: // VXLAN (I flag set) with garbage inside
			s.send(pktgen.VXLAN(rng.Uint32N(1<<24), randomBytes(rng, rng.IntN(1500))))
		case 10: // a stream of random bytes to the watched port, joined mid-way
			f := pktgen.NewFlow(netip.AddrPortFrom(netip.AddrFrom4([4]byte{203, 0, 113, byte(i >> 12)}), uint16(1024+i%50000)), server, rng.Uint32())
			for _, seg := range f.Write(randomBytes(rng, 2000)) {
				s.frame(f.Frame(seg))
			}
		}
	}
	for d := chunked.next(); d != nil; d = chunked.next() {
		s.frame(d)
	}
	// The storm has passed once every stream has been closed (idle ones
	// after the idle timeout).
	st := s.waitFor("every stream closed", func(st agent.Stats) bool {
		return st.Packets+st.InputDrops == uint64(s.sent) && st.Streams.Active == 0 && st.Requests.Queued == 0
	})
	t.Logf("after the storm: %d datagrams, memory %+v, streams %+v", s.sent, st.Memory, st.Streams)

	// Well-formed requests afterwards: every one is replayed.
	var want []string
	for c := 0; c < 20; c++ {
		f := pktgen.NewFlow(netip.AddrPortFrom(netip.MustParseAddr("192.0.2.77"), uint16(30000+c)), server, uint32(c)*7777)
		s.frame(f.Frame(f.SYN()))
		var b strings.Builder
		for r := 0; r < 10; r++ {
			p := fmt.Sprintf("/ok/%d/%d", c, r)
			want = append(want, p)
			if r%2 == 0 {
				fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: shop.example\r\n\r\n", p)
			} else {
				fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: shop.example\r\nContent-Length: 5\r\n\r\nhello", p)
			}
		}
		for _, seg := range f.Write([]byte(b.String())) {
			s.frame(f.Frame(seg))
		}
		s.frame(f.Frame(f.FIN()))
	}
	requests += len(want)
	s.waitFor("the well-formed requests replayed", func(agent.Stats) bool {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range want {
			if replayed[p] == 0 {
				return false
			}
		}
		return true
	})
	hwm := vmHWM(t, child.Process.Pid)
	if err := child.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := child.Wait(); err != nil {
		t.Fatalf("agent: %v", err)
	}
	var fin agent.Stats
	if b, err := os.ReadFile(statsFile); err != nil || json.Unmarshal(b, &fin) != nil {
		t.Fatalf("stats file: %v", err)
	}

	t.Logf("peak RSS %.1f MiB; budget %d MiB + overhead %.1f MiB; budget peak %.1f MiB, %d charges refused",
		float64(hwm)/(1<<20), budget>>20, float64(overhead)/(1<<20), float64(fin.Memory.Peak)/(1<<20), fin.Memory.Refused)
	if hwm > budget+overhead {
		t.Errorf("peak RSS %d bytes over the budget %d plus the stated overhead %d", hwm, budget, overhead)
	}
	if fin.Memory.Refused == 0 || fin.Memory.Peak > fin.Memory.Limit || fin.Memory.Used != 0 {
		t.Errorf("budget: %+v (want it reached, never exceeded, all given back at exit)", fin.Memory)
	}
	checkPacketsAddUp(t, fin, s.sent)
	drops := fin.DroppedTotal()
	r := fin.Requests
	t.Logf("requests: %d sent, %d parsed, %d replayed, dropped %v", requests, r.Parsed, r.Replayed, r.Dropped)
	if r.Replayed+r.Failed+r.SampledOut+uint64(r.Queued)+drops != uint64(requests) || r.Failed != 0 || r.Queued != 0 {
		t.Errorf("requests do not add up: %d sent; replayed %d failed %d sampled out %d queued %d dropped %v",
			requests, r.Replayed, r.Failed, r.SampledOut, r.Queued, r.Dropped)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range want {
		if replayed[p] != 1 {
			t.Errorf("%s replayed %d times, want once", p, replayed[p])
		}
	}
}

// checkPacketsAddUp: every datagram sent was read or dropped by the
// kernel, and every one read has exactly one outcome.
func checkPacketsAddUp(t *testing.T, s agent.Stats, sent int) {
	t.Helper()
	var inner uint64
	for _, n := range s.Inner {
		inner += n
	}
	if s.Packets+s.InputDrops != uint64(sent) {
		t.Errorf("%d datagrams sent, %d read + %d dropped by the kernel", sent, s.Packets, s.InputDrops)
	}
	if got := s.VXLAN.Truncated + s.VXLAN.NoIFlag + s.VXLAN.VNIRejected + inner + s.TCPPackets; got != s.Packets {
		t.Errorf("outcomes %d != packets %d: vxlan %+v inner %v tcp %d", got, s.Packets, s.VXLAN, s.Inner, s.TCPPackets)
	}
	if got := s.OtherPort + s.ShardDrops + s.MemoryDrops + s.ReassemblyPackets; got != s.TCPPackets {
		t.Errorf("tcp packets %d != other port %d + queue drops %d + memory drops %d + reassembled %d",
			s.TCPPackets, s.OtherPort, s.ShardDrops, s.MemoryDrops, s.ReassemblyPackets)
	}
	// The sender's pacing leaves no room for a loss before reassembly:
	// one would take requests with it that no counter can know of.
	if s.InputDrops+s.ShardDrops+s.MemoryDrops != 0 {
		t.Errorf("packets lost despite pacing: kernel %d, queue %d, memory %d", s.InputDrops, s.ShardDrops, s.MemoryDrops)
	}
}

// chunkedFlows yields the segments of chunked PUTs (16 chunks of 64 KiB),
// one segment of each flow in turn.
type chunkedFlows struct {
	flows   []*pktgen.Flow
	pending [][][]byte // per flow, frames not yet sent
	step    []int      // per flow, pieces written
	cur     int
}

func newChunkedFlows(n int, server netip.AddrPort) *chunkedFlows {
	c := &chunkedFlows{pending: make([][][]byte, n), step: make([]int, n)}
	for i := 0; i < n; i++ {
		f := pktgen.NewFlow(netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}), 50000), server, uint32(i)<<20)
		c.flows = append(c.flows, f)
		c.pending[i] = [][]byte{f.Frame(f.SYN())}
	}
	return c
}

func (c *chunkedFlows) next() []byte {
	for tries := 0; tries < len(c.flows); tries++ {
		i := c.cur
		c.cur = (c.cur + 1) % len(c.flows)
		if len(c.pending[i]) == 0 {
			c.refill(i)
		}
		if len(c.pending[i]) > 0 {
			d := c.pending[i][0]
			c.pending[i] = c.pending[i][1:]
			return d
		}
	}
	return nil
}

func (c *chunkedFlows) refill(i int) {
	f := c.flows[i]
	var piece string
	switch k := c.step[i]; {
	case k == 0:
		piece = fmt.Sprintf("PUT /chunked/%d HTTP/1.1\r\nHost: up.example\r\nTransfer-Encoding: chunked\r\n\r\n", i)
	case k <= 16:
		piece = fmt.Sprintf("%x\r\n%s\r\n", 64<<10, strings.Repeat("c", 64<<10))
	case k == 17:
		piece = "0\r\n\r\n"
	case k == 18:
		c.step[i]++
		c.pending[i] = append(c.pending[i], f.Frame(f.FIN()))
		return
	default:
		return
	}
	c.step[i]++
	for _, seg := range f.Write([]byte(piece)) {
		c.pending[i] = append(c.pending[i], f.Frame(seg))
	}
}

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}
