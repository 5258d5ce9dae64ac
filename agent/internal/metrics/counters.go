package metrics

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mirrorlab/mirrorlab/agent/internal/budget"
	"github.com/mirrorlab/mirrorlab/agent/internal/frame"
	"github.com/mirrorlab/mirrorlab/agent/internal/httpparse"
)

// Request drop reasons beyond those of the parser.
const (
	DropStreamLimit = int(httpparse.NumDropReasons) + iota // stream over the stream cap
	DropMemory                                             // memory budget reached
	DropQueueFull                                          // replay queue full
	DropShutdown                                           // agent stopped before replay
	NumDropReasons
)

var dropNames = [NumDropReasons]string{
	int(httpparse.DropGap):        "gap",
	int(httpparse.DropMalformed):  "malformed",
	int(httpparse.DropTooLarge):   "too_large",
	int(httpparse.DropIncomplete): "incomplete",
	DropStreamLimit:               "stream_limit",
	DropMemory:                    "memory",
	DropQueueFull:                 "queue_full",
	DropShutdown:                  "shutdown",
}

// DropName returns the label of drop reason i.
func DropName(i int) string { return dropNames[i] }

// maxVNIs bounds the per-VNI series; further VNIs are summed under "other".
const maxVNIs = 256

// Counters are the agent's counters. All fields are safe for concurrent use.
type Counters struct {
	Packets atomic.Uint64 // datagrams or frames read from the input
	Bytes   atomic.Uint64
	// InputDrops are losses the input itself reports (socket or ring drops).
	InputDrops atomic.Uint64
	// Outer counts outer (capture) frames by decode result (AF_PACKET,
	// pcap); as for Inner, up to frame.MaxVLANTags VLAN tags are decoded.
	Outer          [frame.NumResults]atomic.Uint64
	VXLANTruncated atomic.Uint64
	VXLANNoIFlag   atomic.Uint64
	// Geneve counts GENEVE datagrams (a Gateway Load Balancer's) whose
	// VXLAN datagram was taken out; GeneveErrors those skipped (bad
	// header, a payload other than IPv4/IPv6 UDP to the VXLAN port).
	Geneve       atomic.Uint64
	GeneveErrors atomic.Uint64
	VNIRejected  atomic.Uint64
	// Inner counts decapsulated frames by decode result. Up to
	// frame.MaxVLANTags VLAN tags (802.1Q or 802.1ad) are decoded; a
	// frame with more is counted not_ip. IP fragments are counted
	// ip_fragment (not reassembled; see RequestsFragmented).
	Inner [frame.NumResults]atomic.Uint64
	// OtherPort counts inner TCP packets not towards a watched port.
	OtherPort atomic.Uint64
	// ShardDrops counts packets dropped because a reassembly queue was full.
	ShardDrops atomic.Uint64
	// MemoryDrops counts packets dropped because the memory budget could
	// not take them into a reassembly queue.
	MemoryDrops atomic.Uint64
	// ReassemblyPackets counts packets handed to reassembly (taken from a
	// queue): Inner[OK] = OtherPort + ShardDrops + MemoryDrops + these
	// (+ those still queued).
	ReassemblyPackets atomic.Uint64
	// RefusedPackets counts packets of connections refused a stream (over
	// the stream cap or the memory budget), of which nothing is kept.
	RefusedPackets atomic.Uint64

	StreamsOpened   atomic.Uint64
	StreamsClosed   atomic.Uint64
	StreamsRejected atomic.Uint64 // SYNs over the stream cap
	// StreamsRejectedMemory counts SYNs refused by the memory budget.
	StreamsRejectedMemory atomic.Uint64
	StreamGaps            atomic.Uint64
	ReassembledBytes      atomic.Uint64
	BufferedBytes         atomic.Int64 // bytes held by request parsers
	ConnKinds             [4]atomic.Uint64

	RequestsParsed     atomic.Uint64
	RequestsSampledOut atomic.Uint64
	// RequestsFragmented counts the request lines in the first IP
	// fragment of mirrored TCP packets towards a watched port: IP
	// fragments are not reassembled (they are counted Inner[Fragment]),
	// so these requests are lost. When later bytes of the connection
	// arrive, the hole also drops the request it falls in (reason gap);
	// this counter is the request-level count that does not depend on
	// that. A request line cut across fragments is not counted.
	RequestsFragmented atomic.Uint64
	RequestDrops       [NumDropReasons]atomic.Uint64
	Replayed           atomic.Uint64
	ReplayFailed       atomic.Uint64
	ReplayStatus       [6]atomic.Uint64 // 1xx..5xx, other
	ReplayQueued       atomic.Int64

	Latency *latency
	// Memory is the agent's memory budget (nil: none), shown with the
	// counters.
	Memory *budget.Budget

	vniMu sync.Mutex
	vnis  map[uint32]*atomic.Uint64
	other atomic.Uint64
}

// New returns zeroed counters.
func New() *Counters {
	return &Counters{Latency: newLatency(), vnis: map[uint32]*atomic.Uint64{}}
}

// VNI returns the packet counter of vni. Callers cache the pointer per VNI
// (see VNICache) so the packet path does not lock.
func (c *Counters) VNI(vni uint32) *atomic.Uint64 {
	c.vniMu.Lock()
	defer c.vniMu.Unlock()
	if p, ok := c.vnis[vni]; ok {
		return p
	}
	if len(c.vnis) >= maxVNIs {
		return &c.other
	}
	p := new(atomic.Uint64)
	c.vnis[vni] = p
	return p
}

// VNICache is a per-goroutine cache of VNI counters.
type VNICache struct {
	c     *Counters
	vni   uint32
	last  *atomic.Uint64
	known map[uint32]*atomic.Uint64
}

// NewVNICache returns a cache over c.
func NewVNICache(c *Counters) *VNICache {
	return &VNICache{c: c, known: map[uint32]*atomic.Uint64{}}
}

// Inc counts one packet of vni.
func (v *VNICache) Inc(vni uint32) {
	if v.last != nil && v.vni == vni {
		v.last.Add(1)
		return
	}
	p, ok := v.known[vni]
	if !ok {
		p = v.c.VNI(vni)
		if len(v.known) < maxVNIs {
			v.known[vni] = p
		}
	}
	v.vni, v.last = vni, p
	p.Add(1)
}

// StatusClass returns the ReplayStatus index of an HTTP status.
func StatusClass(code int) int {
	if code >= 100 && code < 600 {
		return code/100 - 1
	}
	return 5
}

// latency is a fixed-bucket histogram of replay latencies (seconds).
type latency struct {
	bounds []float64
	counts []atomic.Uint64 // len(bounds)+1
	sumNs  atomic.Uint64
	n      atomic.Uint64
}

var latencyBounds = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

func newLatency() *latency {
	return &latency{bounds: latencyBounds, counts: make([]atomic.Uint64, len(latencyBounds)+1)}
}

// Observe records one replay latency.
func (l *latency) Observe(d time.Duration) {
	s := d.Seconds()
	i := sort.SearchFloat64s(l.bounds, s)
	l.counts[i].Add(1)
	l.sumNs.Add(uint64(d))
	l.n.Add(1)
}

// quantile estimates quantile q from the buckets (upper bound of the bucket).
func (l *latency) quantile(q float64) float64 {
	n := l.n.Load()
	if n == 0 {
		return 0
	}
	target := uint64(q*float64(n) + 0.5)
	var acc uint64
	for i := range l.counts {
		acc += l.counts[i].Load()
		if acc >= target && acc > 0 {
			if i < len(l.bounds) {
				return l.bounds[i]
			}
			return l.bounds[len(l.bounds)-1]
		}
	}
	return l.bounds[len(l.bounds)-1]
}
