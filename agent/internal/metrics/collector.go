package metrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mirrorlab/mirrorlab/agent/internal/frame"
	"github.com/mirrorlab/mirrorlab/agent/internal/httpparse"
)

const ns = "mirror_agent"

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(ns+"_"+name, help, labels, nil)
}

var (
	dPackets    = desc("packets_total", "Datagrams or frames read from the input.")
	dBytes      = desc("bytes_total", "Bytes read from the input.")
	dInputDrops = desc("input_drops_total", "Packets the input reports as lost (socket or ring).")
	dOuter      = desc("outer_skipped_total", "Captured frames skipped before VXLAN, by reason.", "reason")
	dVXLANErr   = desc("vxlan_errors_total", "VXLAN datagrams skipped, by reason.", "reason")
	dGeneve     = desc("geneve_decapsulated_total", "GENEVE datagrams (from a Gateway Load Balancer) whose VXLAN datagram was decoded.")
	dGeneveErr  = desc("geneve_errors_total", "GENEVE datagrams skipped: bad header, or no IPv4/IPv6 UDP VXLAN datagram inside.")
	dVNI        = desc("vni_packets_total", "VXLAN datagrams accepted, by VNI.", "vni")
	dInner      = desc("inner_skipped_total", "Decapsulated frames skipped, by reason.", "reason")
	dTCP        = desc("tcp_packets_total", "Inner TCP packets decoded.")
	dOtherPort  = desc("other_port_packets_total", "Inner TCP packets not towards a watched port.")
	dShardDrops = desc("reassembly_queue_drops_total", "Packets dropped because a reassembly queue was full.")
	dMemDrops   = desc("memory_drops_total", "Packets dropped because the memory budget could not take them into a reassembly queue.")
	dReasmPkts  = desc("reassembly_packets_total", "Packets handed to TCP reassembly.")
	dRefused    = desc("refused_stream_packets_total", "Packets of connections refused a stream (stream cap or memory budget).")
	dMemory     = desc("memory_budget_bytes", "The memory budget: limit, bytes charged now, and the peak.", "kind")
	dStreams    = desc("streams_total", "TCP streams, by event.", "event")
	dActive     = desc("streams_active", "TCP streams being reassembled.")
	dGaps       = desc("stream_gaps_total", "Gaps (lost or truncated segments) in reassembled streams.")
	dReasm      = desc("reassembled_bytes_total", "Bytes delivered in order by TCP reassembly.")
	dBuffered   = desc("parser_buffered_bytes", "Bytes held by HTTP request parsers.")
	dKinds      = desc("connections_total", "Connections classified, by kind.", "kind")
	dParsed     = desc("requests_parsed_total", "Complete HTTP requests parsed.")
	dSampled    = desc("requests_sampled_out_total", "Requests left out by -percentage.")
	dFragmented = desc("requests_fragmented_total", "Request lines in the first IP fragment of mirrored TCP packets: IP fragments are not reassembled, so these requests are lost.")
	dDropped    = desc("requests_dropped_total", "Requests dropped, by reason.", "reason")
	dReplayed   = desc("requests_replayed_total", "Requests replayed, by response status class.", "status")
	dFailed     = desc("requests_failed_total", "Replays that failed (connection error or timeout).")
	dQueued     = desc("replay_queue_length", "Requests waiting for replay.")
	dLatency    = desc("replay_latency_seconds", "Replay latency, from send to response headers.")
)

// Collector exposes Counters to Prometheus.
type Collector struct{ c *Counters }

// NewCollector returns a collector of c; register it on a registry of the
// agent's own (prometheus.NewRegistry()).
func NewCollector(c *Counters) *Collector { return &Collector{c: c} }

// Describe implements prometheus.Collector.
func (k *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dPackets, dBytes, dInputDrops, dOuter, dVXLANErr, dGeneve, dGeneveErr, dVNI, dInner,
		dTCP, dOtherPort, dShardDrops, dMemDrops, dReasmPkts, dRefused, dMemory, dStreams, dActive, dGaps, dReasm, dBuffered, dKinds, dParsed,
		dSampled, dFragmented, dDropped, dReplayed, dFailed, dQueued, dLatency} {
		ch <- d
	}
}

func counter(ch chan<- prometheus.Metric, d *prometheus.Desc, v uint64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v int64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...)
}

// Collect implements prometheus.Collector.
func (k *Collector) Collect(ch chan<- prometheus.Metric) {
	c := k.c
	counter(ch, dPackets, c.Packets.Load())
	counter(ch, dBytes, c.Bytes.Load())
	counter(ch, dInputDrops, c.InputDrops.Load())
	for i := 1; i < frame.NumResults; i++ {
		counter(ch, dOuter, c.Outer[i].Load(), frame.Result(i).String())
		counter(ch, dInner, c.Inner[i].Load(), frame.Result(i).String())
	}
	counter(ch, dVXLANErr, c.VXLANTruncated.Load(), "truncated")
	counter(ch, dVXLANErr, c.VXLANNoIFlag.Load(), "no_i_flag")
	counter(ch, dVXLANErr, c.VNIRejected.Load(), "vni_not_allowed")
	counter(ch, dGeneve, c.Geneve.Load())
	counter(ch, dGeneveErr, c.GeneveErrors.Load())
	c.vniMu.Lock()
	for v, p := range c.vnis {
		counter(ch, dVNI, p.Load(), strconv.FormatUint(uint64(v), 10))
	}
	c.vniMu.Unlock()
	if o := c.other.Load(); o > 0 {
		counter(ch, dVNI, o, "other")
	}
	counter(ch, dTCP, c.Inner[frame.OK].Load())
	counter(ch, dOtherPort, c.OtherPort.Load())
	counter(ch, dShardDrops, c.ShardDrops.Load())
	counter(ch, dMemDrops, c.MemoryDrops.Load())
	counter(ch, dReasmPkts, c.ReassemblyPackets.Load())
	counter(ch, dRefused, c.RefusedPackets.Load())
	gauge(ch, dMemory, c.Memory.Limit(), "limit")
	gauge(ch, dMemory, c.Memory.Used(), "used")
	gauge(ch, dMemory, c.Memory.Peak(), "peak")
	opened, closed := c.StreamsOpened.Load(), c.StreamsClosed.Load()
	counter(ch, dStreams, opened, "opened")
	counter(ch, dStreams, closed, "closed")
	counter(ch, dStreams, c.StreamsRejected.Load(), "rejected")
	counter(ch, dStreams, c.StreamsRejectedMemory.Load(), "rejected_memory")
	gauge(ch, dActive, int64(opened)-int64(closed))
	counter(ch, dGaps, c.StreamGaps.Load())
	counter(ch, dReasm, c.ReassembledBytes.Load())
	gauge(ch, dBuffered, c.BufferedBytes.Load())
	for kd := httpparse.HTTP; kd <= httpparse.NotHTTP; kd++ {
		counter(ch, dKinds, c.ConnKinds[kd].Load(), kd.String())
	}
	counter(ch, dParsed, c.RequestsParsed.Load())
	counter(ch, dSampled, c.RequestsSampledOut.Load())
	counter(ch, dFragmented, c.RequestsFragmented.Load())
	for i := range c.RequestDrops {
		counter(ch, dDropped, c.RequestDrops[i].Load(), dropNames[i])
	}
	for i, n := range statusNames {
		counter(ch, dReplayed, c.ReplayStatus[i].Load(), n)
	}
	counter(ch, dFailed, c.ReplayFailed.Load())
	gauge(ch, dQueued, c.ReplayQueued.Load())
	l := c.Latency
	buckets := make(map[float64]uint64, len(l.bounds))
	var acc uint64
	for i, b := range l.bounds {
		acc += l.counts[i].Load()
		buckets[b] = acc
	}
	ch <- prometheus.MustNewConstHistogram(dLatency, l.n.Load(), float64(l.sumNs.Load())/1e9, buckets)
}
