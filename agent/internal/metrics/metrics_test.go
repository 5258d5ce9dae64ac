package metrics

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mirrorlab/mirrorlab/agent/internal/frame"
	"github.com/mirrorlab/mirrorlab/agent/internal/httpparse"
)

func TestCollectorAndSnapshot(t *testing.T) {
	c := New()
	c.Packets.Add(10)
	c.Inner[frame.NotTCP].Add(2)
	c.Inner[frame.OK].Add(8)
	c.RequestDrops[DropQueueFull].Add(3)
	c.RequestDrops[httpparse.DropGap].Add(1)
	c.ConnKinds[httpparse.TLS].Add(1)
	c.ReplayStatus[StatusClass(204)].Add(4)
	c.ReplayStatus[StatusClass(503)].Add(1)
	c.ReplayStatus[StatusClass(999)].Add(1)
	v := NewVNICache(c)
	for i := 0; i < 5; i++ {
		v.Inc(42)
	}
	v.Inc(7)
	c.Latency.Observe(3 * time.Millisecond)
	c.Latency.Observe(300 * time.Millisecond)

	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(NewCollector(c)); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			name := f.GetName()
			for _, l := range m.GetLabel() {
				name += "," + l.GetName() + "=" + l.GetValue()
			}
			switch {
			case m.Counter != nil:
				got[name] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				got[name] = m.GetGauge().GetValue()
			case m.Histogram != nil:
				got[name] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	for name, want := range map[string]float64{
		"mirror_agent_vni_packets_total,vni=42":                 5,
		"mirror_agent_vni_packets_total,vni=7":                  1,
		"mirror_agent_requests_replayed_total,status=2xx":       4,
		"mirror_agent_requests_replayed_total,status=5xx":       1,
		"mirror_agent_requests_replayed_total,status=other":     1,
		"mirror_agent_requests_dropped_total,reason=queue_full": 3,
		"mirror_agent_requests_dropped_total,reason=gap":        1,
		"mirror_agent_inner_skipped_total,reason=not_tcp":       2,
		"mirror_agent_tcp_packets_total":                        8,
		"mirror_agent_connections_total,kind=tls":               1,
		"mirror_agent_replay_latency_seconds":                   2,
		"mirror_agent_packets_total":                            10,
	} {
		if got[name] != want {
			t.Errorf("%s = %v, want %v", name, got[name], want)
		}
	}

	s := c.Snapshot()
	if s.Packets != 10 || s.TCPPackets != 8 || s.Inner["not_tcp"] != 2 || s.Requests.Dropped["queue_full"] != 3 ||
		s.DroppedTotal() != 4 || s.Streams.Kinds["tls"] != 1 || s.VXLAN.PerVNI["42"] != 5 || s.Requests.Status["2xx"] != 4 {
		t.Fatalf("snapshot %+v", s)
	}
	if s.Requests.LatencyP50ms != 5 || s.Requests.LatencyP99ms != 500 {
		t.Errorf("latency p50 %v p99 %v (bucket upper bounds 5ms and 500ms)", s.Requests.LatencyP50ms, s.Requests.LatencyP99ms)
	}
	if _, err := json.Marshal(s); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.Summary(), "packets=10") {
		t.Errorf("summary %q", s.Summary())
	}
}

func TestVNICap(t *testing.T) {
	c := New()
	v := NewVNICache(c)
	for i := uint32(0); i < maxVNIs+10; i++ {
		v.Inc(i)
	}
	s := c.Snapshot()
	if len(s.VXLAN.PerVNI) != maxVNIs+1 || s.VXLAN.PerVNI["other"] != 10 {
		t.Fatalf("%d VNI series, other=%d", len(s.VXLAN.PerVNI), s.VXLAN.PerVNI["other"])
	}
}
