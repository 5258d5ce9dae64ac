package dataplane

import (
	"net/http"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// Snapshot is a JSON-able copy of every counter of the service: the
// model's (per source ENI with the provider's metric names, per session)
// and the data plane's own. Each counter is read atomically; the whole is
// not one instant.
type Snapshot struct {
	// Model holds the provider's counters.
	Model cloudmock.Snapshot `json:"Model"`
	// ENIs holds the data plane's counters per source ENI and direction.
	ENIs map[string]ENIStats `json:"ENIs"`
	// Targets holds what was sent to each receiving address.
	Targets []TargetStats `json:"Targets"`
	// Health is the state of the load balancers' registered targets.
	Health []TargetHealth `json:"Health,omitempty"`
	// Pcaps are the per-target pcapng files (Config.PcapDir), with the
	// frames lost to a write error.
	Pcaps []PcapStats `json:"Pcaps,omitempty"`
	// Totals sums PipeStats over all pipelines.
	Totals PipeStats `json:"Totals"`
	// Kernel describes the in-kernel path.
	Kernel KernelStats `json:"Kernel"`
}

// ENIStats are one source ENI's pipelines.
type ENIStats struct {
	Ingress PipeStats `json:"Ingress"`
	Egress  PipeStats `json:"Egress"`
}

// PipeStats are the data plane's counters of one source ENI in one
// direction.
type PipeStats struct {
	// Captured wire frames (GSO aggregates count as their segments);
	// Foreign ones were not the ENI's (bridge flooding) and were ignored.
	Captured uint64 `json:"Captured"`
	// Aggregates were GSO aggregates cut into wire segments; Uncut ones
	// could not be cut (not IPv4 TCP/UDP) and were handled whole.
	Aggregates uint64 `json:"Aggregates"`
	Uncut      uint64 `json:"Uncut"`
	Foreign    uint64 `json:"Foreign"`
	// VLANTagged frames had their 802.1Q tag in the kernel's metadata
	// and got it back before being decided and mirrored.
	VLANTagged uint64 `json:"VLANTagged"`
	// Mirrored frames the model decided to mirror; Kernel of them were
	// decided, counted and sent by the in-kernel path (they count in
	// Captured and Sent too).
	Mirrored uint64 `json:"Mirrored"`
	Kernel   uint64 `json:"Kernel"`
	// Sent datagrams and their bytes (outer IPv4 length).
	Sent      uint64 `json:"Sent"`
	SentBytes uint64 `json:"SentBytes"`
	// Dropped copies by reason (target_nacl, target_sg, no_listener,
	// no_healthy_target, no_route, queue_full, send_error, oversize, other).
	Dropped map[string]uint64 `json:"Dropped"`
	// RingDrops are frames the kernel dropped because the ring was full
	// (they were never seen, so never decided); RingFreezes are TPACKET_V3
	// queue freezes. The ring is the ENI's, for both directions, and the
	// kernel does not say which direction a dropped frame had: both count
	// in Ingress (the ring's reader), none in Egress.
	RingDrops   uint64 `json:"RingDrops"`
	RingFreezes uint64 `json:"RingFreezes"`
	// QueueDepth is the number of datagrams waiting for the sender now,
	// QueueCapacity the queue's size.
	QueueDepth    int `json:"QueueDepth"`
	QueueCapacity int `json:"QueueCapacity"`
}

// TargetStats are the datagrams sent to one receiving address of a target.
type TargetStats struct {
	TargetId  string `json:"TargetId"`
	Addr      string `json:"Addr"`
	ENIId     string `json:"ENIId,omitempty"`
	Sent      uint64 `json:"Sent"`
	SentBytes uint64 `json:"SentBytes"`
}

// TargetHealth is the health checks' verdict on a load balancer's
// registered target. Checks start from the model's state
// (Model.TargetHealth: healthy unless set otherwise before Start) and tell
// the model only on a change, so a target set unhealthy before Start stays
// out of rotation until HealthyThreshold checks pass.
type TargetHealth struct {
	LoadBalancer string `json:"LoadBalancer"`
	ENIId        string `json:"ENIId"`
	Addr         string `json:"Addr"`
	Healthy      bool   `json:"Healthy"`
}

func (p *pipeline) stats() PipeStats {
	ps := PipeStats{
		Captured:      p.st.captured.Load(),
		Aggregates:    p.st.aggregates.Load(),
		Uncut:         p.st.uncut.Load(),
		Foreign:       p.st.foreign.Load(),
		VLANTagged:    p.st.vlanTagged.Load(),
		Mirrored:      p.st.mirrored.Load(),
		Kernel:        p.st.kernel.Load(),
		Sent:          p.st.sent.Load(),
		SentBytes:     p.st.sentBytes.Load(),
		Dropped:       map[string]uint64{},
		QueueCapacity: p.q.capacity(),
		QueueDepth:    p.q.depth(),
	}
	if p.ring != nil && (p.opp == nil || p.dir == cloudmock.Ingress) {
		ps.RingDrops, ps.RingFreezes = p.ring.counters() // the ENI's ring: counted once
	}
	for r := range p.st.dropped {
		ps.Dropped[DropReason(r).String()] = p.st.dropped[r].Load()
	}
	return ps
}

func (a *PipeStats) add(b PipeStats) {
	a.Captured += b.Captured
	a.Aggregates += b.Aggregates
	a.Uncut += b.Uncut
	a.Foreign += b.Foreign
	a.VLANTagged += b.VLANTagged
	a.Mirrored += b.Mirrored
	a.Kernel += b.Kernel
	a.Sent += b.Sent
	a.SentBytes += b.SentBytes
	a.RingDrops += b.RingDrops
	a.RingFreezes += b.RingFreezes
	a.QueueDepth += b.QueueDepth
	a.QueueCapacity += b.QueueCapacity
	if a.Dropped == nil {
		a.Dropped = map[string]uint64{}
	}
	for k, v := range b.Dropped {
		a.Dropped[k] += v
	}
}

// Snapshot copies every counter.
func (s *Service) Snapshot() Snapshot {
	s.kernelFlush()
	snap := Snapshot{Kernel: s.kernelStats(), Model: s.Model().Snapshot(), ENIs: map[string]ENIStats{}, Targets: []TargetStats{}}
	for _, p := range s.pipelines() {
		ps := p.stats()
		es := snap.ENIs[p.eniID]
		if p.dir == cloudmock.Ingress {
			es.Ingress = ps
		} else {
			es.Egress = ps
		}
		snap.ENIs[p.eniID] = es
		snap.Totals.add(ps)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	snap.Totals.add(s.retired)
	for _, t := range s.targets {
		snap.Targets = append(snap.Targets, TargetStats{TargetId: t.id, Addr: t.addr.String(), ENIId: t.eniID,
			Sent: t.st.sent.Load(), SentBytes: t.st.sentBytes.Load()})
	}
	ids := make([]string, 0, len(s.pcaps))
	for id := range s.pcaps {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		snap.Pcaps = append(snap.Pcaps, s.pcaps[id].stats())
	}
	for _, h := range s.health.checks {
		for i := range h.targets {
			t := &h.targets[i]
			snap.Health = append(snap.Health, TargetHealth{LoadBalancer: t.lb, ENIId: t.eni, Addr: t.ip.String(),
				Healthy: t.published.Load()})
		}
	}
	return snap
}

// Handler serves the service's metrics in the Prometheus text format, from
// a registry of its own (nothing global).
func (s *Service) Handler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector{s})
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}

var (
	labelsPipe = []string{"eni", "direction"}
	descs      = struct {
		captured, aggregates, foreign, mirrored, sent, sentBytes, dropped, ringDrops, queueDepth, queueCap *prometheus.Desc
		targetSent, targetBytes, health, providerNot, session, sessionDelivery                             *prometheus.Desc
		mirrorBytes, mirrorPackets, skipBytes, skipPackets                                                 *prometheus.Desc
		pcapWritten, pcapLost                                                                              *prometheus.Desc
	}{
		pcapWritten:     prometheus.NewDesc("mirrorlab_dataplane_pcap_written_packets_total", "Frames written to a target's pcapng file.", []string{"target"}, nil),
		pcapLost:        prometheus.NewDesc("mirrorlab_dataplane_pcap_lost_packets_total", "Frames not written to a target's pcapng file because of an earlier write error.", []string{"target"}, nil),
		captured:        prometheus.NewDesc("mirrorlab_dataplane_captured_packets_total", "Frames read from the capture ring at a source ENI.", labelsPipe, nil),
		aggregates:      prometheus.NewDesc("mirrorlab_dataplane_gso_aggregates_total", "GSO aggregates cut into wire segments before mirroring.", labelsPipe, nil),
		foreign:         prometheus.NewDesc("mirrorlab_dataplane_foreign_packets_total", "Captured frames not addressed to or from the ENI (bridge flooding), ignored.", labelsPipe, nil),
		mirrored:        prometheus.NewDesc("mirrorlab_dataplane_mirrored_packets_total", "Frames the model decided to mirror.", labelsPipe, nil),
		sent:            prometheus.NewDesc("mirrorlab_dataplane_sent_packets_total", "VXLAN datagrams sent.", labelsPipe, nil),
		sentBytes:       prometheus.NewDesc("mirrorlab_dataplane_sent_bytes_total", "Bytes (outer IPv4 length) of the VXLAN datagrams sent.", labelsPipe, nil),
		dropped:         prometheus.NewDesc("mirrorlab_dataplane_dropped_packets_total", "Mirrored copies not sent, by reason.", append(labelsPipe, "reason"), nil),
		ringDrops:       prometheus.NewDesc("mirrorlab_dataplane_ring_drops_total", "Frames the kernel dropped because the capture ring was full.", labelsPipe, nil),
		queueDepth:      prometheus.NewDesc("mirrorlab_dataplane_queue_depth", "Datagrams waiting for the sender.", labelsPipe, nil),
		queueCap:        prometheus.NewDesc("mirrorlab_dataplane_queue_capacity", "Size of the queue to the sender.", labelsPipe, nil),
		targetSent:      prometheus.NewDesc("mirrorlab_dataplane_target_sent_packets_total", "VXLAN datagrams sent to a target's receiving address.", []string{"target", "addr"}, nil),
		targetBytes:     prometheus.NewDesc("mirrorlab_dataplane_target_sent_bytes_total", "Bytes sent to a target's receiving address.", []string{"target", "addr"}, nil),
		health:          prometheus.NewDesc("mirrorlab_dataplane_target_healthy", "1 when a load balancer's registered target passes its health checks.", []string{"load_balancer", "eni", "addr"}, nil),
		mirrorBytes:     prometheus.NewDesc("mirrorlab_eni_mirror_bytes_total", "Bytes mirrored at a source ENI (the provider's NetworkMirrorIn, NetworkMirrorOut).", labelsPipe, nil),
		mirrorPackets:   prometheus.NewDesc("mirrorlab_eni_mirror_packets_total", "Packets mirrored at a source ENI (NetworkPacketsMirrorIn, NetworkPacketsMirrorOut).", labelsPipe, nil),
		skipBytes:       prometheus.NewDesc("mirrorlab_eni_skip_mirror_bytes_total", "Bytes matched but skipped because production traffic had priority (NetworkSkipMirrorIn, NetworkSkipMirrorOut).", labelsPipe, nil),
		skipPackets:     prometheus.NewDesc("mirrorlab_eni_skip_mirror_packets_total", "Packets matched but skipped (NetworkPacketsSkipMirrorIn, NetworkPacketsSkipMirrorOut).", labelsPipe, nil),
		providerNot:     prometheus.NewDesc("mirrorlab_eni_not_mirrored_packets_total", "Packets at a source ENI that were not mirrored, by reason.", []string{"eni", "reason"}, nil),
		session:         prometheus.NewDesc("mirrorlab_session_counter", "A mirror session's counter (Packets, Bytes, SkipPackets, SkipBytes, Truncated).", []string{"session", "counter"}, nil),
		sessionDelivery: prometheus.NewDesc("mirrorlab_session_delivery_total", "A mirror session's copies by delivery outcome.", []string{"session", "outcome"}, nil),
	}
)

type collector struct{ s *Service }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descs.captured, descs.aggregates, descs.foreign, descs.mirrored, descs.sent,
		descs.sentBytes, descs.dropped, descs.ringDrops, descs.queueDepth, descs.queueCap,
		descs.targetSent, descs.targetBytes, descs.health, descs.providerNot, descs.session,
		descs.sessionDelivery, descs.mirrorBytes, descs.mirrorPackets, descs.skipBytes, descs.skipPackets,
		descs.pcapWritten, descs.pcapLost} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	snap := c.s.Snapshot()
	counter := func(d *prometheus.Desc, v uint64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), l...)
	}
	gauge := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
	}
	for id, es := range snap.ENIs {
		for _, x := range []struct {
			dir string
			ps  PipeStats
		}{{"ingress", es.Ingress}, {"egress", es.Egress}} {
			counter(descs.captured, x.ps.Captured, id, x.dir)
			counter(descs.aggregates, x.ps.Aggregates, id, x.dir)
			counter(descs.foreign, x.ps.Foreign, id, x.dir)
			counter(descs.mirrored, x.ps.Mirrored, id, x.dir)
			counter(descs.sent, x.ps.Sent, id, x.dir)
			counter(descs.sentBytes, x.ps.SentBytes, id, x.dir)
			counter(descs.ringDrops, x.ps.RingDrops, id, x.dir)
			gauge(descs.queueDepth, float64(x.ps.QueueDepth), id, x.dir)
			gauge(descs.queueCap, float64(x.ps.QueueCapacity), id, x.dir)
			for r, v := range x.ps.Dropped {
				counter(descs.dropped, v, id, x.dir, r)
			}
		}
	}
	for _, t := range snap.Targets {
		counter(descs.targetSent, t.Sent, t.TargetId, t.Addr)
		counter(descs.targetBytes, t.SentBytes, t.TargetId, t.Addr)
	}
	for _, p := range snap.Pcaps {
		counter(descs.pcapWritten, p.Written, p.TargetId)
		counter(descs.pcapLost, p.Lost, p.TargetId)
	}
	for _, h := range snap.Health {
		v := 0.0
		if h.Healthy {
			v = 1
		}
		gauge(descs.health, v, h.LoadBalancer, h.ENIId, h.Addr)
	}
	for id, e := range snap.Model.ENIs {
		counter(descs.mirrorBytes, e.NetworkMirrorIn, id, "ingress")
		counter(descs.mirrorBytes, e.NetworkMirrorOut, id, "egress")
		counter(descs.mirrorPackets, e.NetworkPacketsMirrorIn, id, "ingress")
		counter(descs.mirrorPackets, e.NetworkPacketsMirrorOut, id, "egress")
		counter(descs.skipBytes, e.NetworkSkipMirrorIn, id, "ingress")
		counter(descs.skipBytes, e.NetworkSkipMirrorOut, id, "egress")
		counter(descs.skipPackets, e.NetworkPacketsSkipMirrorIn, id, "ingress")
		counter(descs.skipPackets, e.NetworkPacketsSkipMirrorOut, id, "egress")
		for r, v := range e.NotMirrored {
			counter(descs.providerNot, v, id, r)
		}
	}
	for id, sc := range snap.Model.Sessions {
		for name, v := range map[string]uint64{"Packets": sc.Packets, "Bytes": sc.Bytes,
			"SkipPackets": sc.SkipPackets, "SkipBytes": sc.SkipBytes, "Truncated": sc.Truncated} {
			counter(descs.session, v, id, name)
		}
		for o, v := range sc.Delivery {
			counter(descs.sessionDelivery, v, id, o)
		}
	}
}
