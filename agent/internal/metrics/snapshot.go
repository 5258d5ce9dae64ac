package metrics

import (
	"fmt"
	"strconv"
	"sync/atomic"

	"github.com/mirrorlab/mirrorlab/agent/compare"
	"github.com/mirrorlab/mirrorlab/agent/internal/frame"
	"github.com/mirrorlab/mirrorlab/agent/internal/httpparse"
)

// Snapshot is a JSON-able copy of the counters.
type Snapshot struct {
	Packets    uint64            `json:"packets"`
	Bytes      uint64            `json:"bytes"`
	InputDrops uint64            `json:"input_drops"`
	Outer      map[string]uint64 `json:"outer_skipped,omitempty"`
	VXLAN      struct {
		Truncated   uint64            `json:"truncated"`
		NoIFlag     uint64            `json:"no_i_flag"`
		VNIRejected uint64            `json:"vni_rejected"`
		PerVNI      map[string]uint64 `json:"per_vni,omitempty"`
	} `json:"vxlan"`
	// Geneve: datagrams from a Gateway Load Balancer (-geneve, or GENEVE
	// frames captured on UDP 6081).
	Geneve struct {
		Decapsulated uint64 `json:"decapsulated"`
		Errors       uint64 `json:"errors"`
	} `json:"geneve"`
	Inner      map[string]uint64 `json:"inner_skipped,omitempty"`
	TCPPackets uint64            `json:"tcp_packets"`
	OtherPort  uint64            `json:"other_port"`
	ShardDrops uint64            `json:"shard_queue_drops"`
	// MemoryDrops are packets the memory budget kept out of a queue.
	MemoryDrops       uint64 `json:"memory_drops"`
	ReassemblyPackets uint64 `json:"reassembly_packets"`
	Memory            struct {
		Limit   int64  `json:"limit"`
		Used    int64  `json:"used"`
		Peak    int64  `json:"peak"`
		Refused uint64 `json:"refused"`
	} `json:"memory"`
	Streams struct {
		Opened           uint64            `json:"opened"`
		Closed           uint64            `json:"closed"`
		Active           int64             `json:"active"`
		Rejected         uint64            `json:"rejected"`
		RejectedMemory   uint64            `json:"rejected_memory"`
		RefusedPackets   uint64            `json:"refused_packets"`
		Gaps             uint64            `json:"gaps"`
		ReassembledBytes uint64            `json:"reassembled_bytes"`
		BufferedBytes    int64             `json:"buffered_bytes"`
		Kinds            map[string]uint64 `json:"kinds"`
	} `json:"streams"`
	Requests struct {
		Parsed     uint64 `json:"parsed"`
		SampledOut uint64 `json:"sampled_out"`
		// Fragmented: request lines in first IP fragments (not
		// reassembled, so lost; see Counters.RequestsFragmented).
		Fragmented   uint64            `json:"fragmented"`
		Dropped      map[string]uint64 `json:"dropped"`
		Replayed     uint64            `json:"replayed"`
		Failed       uint64            `json:"failed"`
		Queued       int64             `json:"queued"`
		Status       map[string]uint64 `json:"status"`
		LatencyP50ms float64           `json:"latency_p50_ms"`
		LatencyP99ms float64           `json:"latency_p99_ms"`
	} `json:"requests"`
	// Compare is the shadow comparison's figures (with -compare).
	Compare *compare.Stats `json:"compare,omitempty"`
}

var statusNames = [6]string{"1xx", "2xx", "3xx", "4xx", "5xx", "other"}

// Snapshot copies the counters.
func (c *Counters) Snapshot() Snapshot {
	var s Snapshot
	s.Packets = c.Packets.Load()
	s.Bytes = c.Bytes.Load()
	s.InputDrops = c.InputDrops.Load()
	s.Outer = results(&c.Outer)
	s.Inner = results(&c.Inner)
	s.TCPPackets = c.Inner[frame.OK].Load()
	s.VXLAN.Truncated = c.VXLANTruncated.Load()
	s.VXLAN.NoIFlag = c.VXLANNoIFlag.Load()
	s.Geneve.Decapsulated = c.Geneve.Load()
	s.Geneve.Errors = c.GeneveErrors.Load()
	s.VXLAN.VNIRejected = c.VNIRejected.Load()
	s.VXLAN.PerVNI = map[string]uint64{}
	c.vniMu.Lock()
	for v, p := range c.vnis {
		s.VXLAN.PerVNI[strconv.FormatUint(uint64(v), 10)] = p.Load()
	}
	c.vniMu.Unlock()
	if o := c.other.Load(); o > 0 {
		s.VXLAN.PerVNI["other"] = o
	}
	s.OtherPort = c.OtherPort.Load()
	s.ShardDrops = c.ShardDrops.Load()
	s.MemoryDrops = c.MemoryDrops.Load()
	s.ReassemblyPackets = c.ReassemblyPackets.Load()
	s.Memory.Limit = c.Memory.Limit()
	s.Memory.Used = c.Memory.Used()
	s.Memory.Peak = c.Memory.Peak()
	s.Memory.Refused = c.Memory.Refused()
	s.Streams.Opened = c.StreamsOpened.Load()
	s.Streams.Closed = c.StreamsClosed.Load()
	s.Streams.Active = int64(s.Streams.Opened) - int64(s.Streams.Closed)
	s.Streams.Rejected = c.StreamsRejected.Load()
	s.Streams.RejectedMemory = c.StreamsRejectedMemory.Load()
	s.Streams.RefusedPackets = c.RefusedPackets.Load()
	s.Streams.Gaps = c.StreamGaps.Load()
	s.Streams.ReassembledBytes = c.ReassembledBytes.Load()
	s.Streams.BufferedBytes = c.BufferedBytes.Load()
	s.Streams.Kinds = map[string]uint64{}
	for k := httpparse.HTTP; k <= httpparse.NotHTTP; k++ {
		s.Streams.Kinds[k.String()] = c.ConnKinds[k].Load()
	}
	s.Requests.Parsed = c.RequestsParsed.Load()
	s.Requests.SampledOut = c.RequestsSampledOut.Load()
	s.Requests.Fragmented = c.RequestsFragmented.Load()
	s.Requests.Dropped = map[string]uint64{}
	for i := range c.RequestDrops {
		s.Requests.Dropped[dropNames[i]] = c.RequestDrops[i].Load()
	}
	s.Requests.Replayed = c.Replayed.Load()
	s.Requests.Failed = c.ReplayFailed.Load()
	s.Requests.Queued = c.ReplayQueued.Load()
	s.Requests.Status = map[string]uint64{}
	for i, n := range statusNames {
		if v := c.ReplayStatus[i].Load(); v > 0 {
			s.Requests.Status[n] = v
		}
	}
	s.Requests.LatencyP50ms = c.Latency.quantile(0.5) * 1000
	s.Requests.LatencyP99ms = c.Latency.quantile(0.99) * 1000
	return s
}

func results(a *[frame.NumResults]atomic.Uint64) map[string]uint64 {
	m := map[string]uint64{}
	for i := 1; i < frame.NumResults; i++ {
		if v := a[i].Load(); v > 0 {
			m[frame.Result(i).String()] = v
		}
	}
	return m
}

// DroppedTotal sums the request drops.
func (s Snapshot) DroppedTotal() uint64 {
	var n uint64
	for _, v := range s.Requests.Dropped {
		n += v
	}
	return n
}

// Summary is a one-line human summary (for the periodic log line).
func (s *Snapshot) Summary() string {
	return fmt.Sprintf("packets=%d bytes=%d streams=%d/%d requests parsed=%d replayed=%d failed=%d dropped=%d sampled_out=%d queued=%d p50=%.1fms p99=%.1fms",
		s.Packets, s.Bytes, s.Streams.Active, s.Streams.Opened, s.Requests.Parsed, s.Requests.Replayed,
		s.Requests.Failed, s.DroppedTotal(), s.Requests.SampledOut, s.Requests.Queued,
		s.Requests.LatencyP50ms, s.Requests.LatencyP99ms)
}
