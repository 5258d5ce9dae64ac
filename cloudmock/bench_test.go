package cloudmock

import (
	"fmt"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/encap"
)

// benchSpec: three sessions on eni-web, each with a 10-rule ingress filter;
// the benchmark's packet (TCP to port 80) misses all rules of sessions 1
// and 2 and is accepted by the last rule of session 3: the longest walk.
func benchSpec() Spec {
	s := walkthroughSpec()
	s.SecurityGroups[0].IpPermissions = []IpPermission{{IpProtocol: "-1", IpRanges: []IpRange{{CidrIp: "0.0.0.0/0"}}}}
	s.TrafficMirrorFilters = nil
	s.TrafficMirrorSessions = nil
	for n := 1; n <= 3; n++ {
		f := TrafficMirrorFilter{TrafficMirrorFilterId: fmt.Sprintf("tmf-%d", n)}
		for r := 1; r <= 10; r++ {
			rule := TrafficMirrorFilterRule{
				RuleNumber: r * 10, RuleAction: "accept", Protocol: encap.ProtoTCP,
				SourceCidrBlock: "0.0.0.0/0", DestinationCidrBlock: "10.0.0.0/24",
				DestinationPortRange: &TrafficMirrorPortRange{FromPort: 1000 + r, ToPort: 1000 + r},
			}
			if n == 3 && r == 10 {
				rule.DestinationPortRange = &TrafficMirrorPortRange{FromPort: 80, ToPort: 80}
			}
			f.IngressFilterRules = append(f.IngressFilterRules, rule)
		}
		s.TrafficMirrorFilters = append(s.TrafficMirrorFilters, &f)
		s.TrafficMirrorSessions = append(s.TrafficMirrorSessions, &TrafficMirrorSession{
			TrafficMirrorSessionId: fmt.Sprintf("tms-%d", n), NetworkInterfaceId: "eni-web",
			TrafficMirrorTargetId: "tmt-adapter", TrafficMirrorFilterId: f.TrafficMirrorFilterId,
			SessionNumber: n, VirtualNetworkId: new(n),
		})
	}
	return s
}

// BenchmarkDecideEncap: decide + encapsulate (whole outer frame) for one
// packet through 3 sessions of 10 rules each.
func BenchmarkDecideEncap(b *testing.B) {
	for _, size := range []int{64, 1500} {
		b.Run(fmt.Sprintf("frame=%d", size), func(b *testing.B) {
			m := mustNew(b, benchSpec())
			ref := mustENI(b, m, "eni-web")
			p := tcp("203.0.113.9", "10.0.0.5", 40000, 80)
			p.TCPFlags = 0x10
			p.PayloadLen = size - 54
			f := frame(b, p)
			buf := make([]byte, 0, 16384)
			var d Decision
			b.ReportAllocs()
			b.SetBytes(int64(len(f)))
			for b.Loop() {
				m.DecideInto(&d, ref, Ingress, f)
				buf = d.AppendFrame(buf[:0], FrameHeader{}, f)
			}
			if !d.Mirrored || d.SessionId != "tms-3" || d.RuleNumber != 100 {
				b.Fatalf("unexpected decision: %s", d)
			}
		})
	}
}

// BenchmarkDecide: the decision alone.
func BenchmarkDecide(b *testing.B) {
	m := mustNew(b, benchSpec())
	ref := mustENI(b, m, "eni-web")
	f := frame(b, tcp("203.0.113.9", "10.0.0.5", 40000, 80))
	var d Decision
	b.ReportAllocs()
	for b.Loop() {
		m.DecideInto(&d, ref, Ingress, f)
	}
}

// BenchmarkDecideDeliverEncapCount: the data plane's whole model path.
func BenchmarkDecideDeliverEncapCount(b *testing.B) {
	m := mustNew(b, benchSpec())
	ref := mustENI(b, m, "eni-web")
	f := frame(b, tcp("203.0.113.9", "10.0.0.5", 40000, 80))
	buf := make([]byte, 0, 2048)
	var d Decision
	b.ReportAllocs()
	for b.Loop() {
		m.DecideInto(&d, ref, Ingress, f)
		dl := m.Deliver(&d)
		buf = d.AppendFrame(buf[:0], FrameHeader{Dst: dl.To}, f)
		m.CountMirrored(&d, len(f))
		m.CountDelivery(&d, &dl)
	}
}
