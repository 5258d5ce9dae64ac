package dataplane

import (
	"fmt"
	"sort"
	"testing"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

type rules = []cloudmock.TrafficMirrorFilterRule

// sendToWeb sends n datagrams from client:sport to web:dport (web drains
// them, so it never answers with ICMP).
func sendToWeb(t *testing.T, lab *sim.Lab, sport, dport, n, size int) {
	t.Helper()
	listenUDP(t, lab, "web", dport).drain()
	c := listenUDP(t, lab, "client", sport)
	c.send(t, ap(fmt.Sprintf("10.0.0.5:%d", dport)), make([]byte, size), n)
}

// byDport counts arrivals per (receiving instance, VNI, inner destination
// port), as "tgt1/11/9000".
func byDport(as []arrival) map[string]int {
	m := map[string]int{}
	for _, a := range as {
		m[fmt.Sprintf("%s/%d/%d", a.at, a.vni, a.dport)]++
	}
	return m
}

func keys(m map[string]int) []string {
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(out)
	return out
}

func expectCounts(t *testing.T, got []arrival, want map[string]int) {
	t.Helper()
	g := byDport(got)
	if fmt.Sprint(keys(g)) != fmt.Sprint(keys(want)) {
		t.Errorf("arrivals (target/VNI/inner dport=count) %v, want %v%s", keys(g), keys(want), describe(got))
	}
}

// TestPrivilegedFilterVerdicts: accept, reject and no rule matched.
func TestPrivilegedFilterVerdicts(t *testing.T) {
	lab := testLab(t)
	spec := baseSpec()
	addSession(&spec, "tms-web", "web", "tgt1", 1, 5, cloudmock.TrafficMirrorFilter{
		IngressFilterRules: rules{rule(100, "reject", 17, 9001, 9001), rule(200, "accept", 17, 9000, 9002)},
	})
	sk := newSink(t, lab, "tgt1")
	svc, _ := startService(t, lab, spec, nil)
	for i, dport := range []int{9000, 9001, 9002, 9003} {
		sendToWeb(t, lab, 40100+i, dport, 2, 64)
	}
	expectCounts(t, settle(4, sk), map[string]int{"tgt1/5/9000": 2, "tgt1/5/9002": 2})
	nm := svc.Snapshot().Model.ENIs["eni-web"].NotMirrored
	if nm["rejected-by-rule"] != 2 || nm["no-rule-matched"] < 2 {
		t.Errorf("model: not mirrored %v, want rejected-by-rule 2 and no-rule-matched >= 2", nm)
	}
}

// TestPrivilegedSessionOrder: sessions are tried by ascending session
// number (not spec order); a packet goes to one target only.
func TestPrivilegedSessionOrder(t *testing.T) {
	lab := testLab(t)
	spec := baseSpec()
	// Listed first, but number 2: it sees only what session 1 leaves.
	addSession(&spec, "tms-2", "web", "tgt2", 2, 22, cloudmock.TrafficMirrorFilter{
		IngressFilterRules: rules{rule(100, "accept", 17, 0, 0)},
	})
	addSession(&spec, "tms-1", "web", "tgt1", 1, 11, cloudmock.TrafficMirrorFilter{
		IngressFilterRules: rules{rule(100, "accept", 17, 9000, 9000)},
	})
	sk1, sk2 := newSink(t, lab, "tgt1"), newSink(t, lab, "tgt2")
	startService(t, lab, spec, nil)
	sendToWeb(t, lab, 40200, 9000, 3, 64)
	sendToWeb(t, lab, 40201, 9005, 3, 64)
	expectCounts(t, settle(6, sk1, sk2), map[string]int{"tgt1/11/9000": 3, "tgt2/22/9005": 3})
}

// TestPrivilegedRejectBehaviour: a reject in session 1 ends the search
// (reject-stops) or hands the packet to session 2 (reject-falls-through).
func TestPrivilegedRejectBehaviour(t *testing.T) {
	lab := testLab(t)
	for i, tc := range []struct {
		behaviour string
		want      map[string]int
	}{
		{"reject-stops", map[string]int{"tgt1/11/9000": 2}},
		{"reject-falls-through", map[string]int{"tgt1/11/9000": 2, "tgt2/22/9001": 2}},
	} {
		t.Run(tc.behaviour, func(t *testing.T) {
			spec := baseSpec()
			spec.RejectBehavior = tc.behaviour
			addSession(&spec, "tms-1", "web", "tgt1", 1, 11, cloudmock.TrafficMirrorFilter{
				IngressFilterRules: rules{rule(100, "reject", 17, 9001, 9001), rule(200, "accept", 17, 0, 0)},
			})
			addSession(&spec, "tms-2", "web", "tgt2", 2, 22, cloudmock.TrafficMirrorFilter{
				IngressFilterRules: rules{rule(100, "accept", 17, 0, 0)},
			})
			sk1, sk2 := newSink(t, lab, "tgt1"), newSink(t, lab, "tgt2")
			startService(t, lab, spec, nil)
			sendToWeb(t, lab, 40300+2*i, 9000, 2, 64)
			sendToWeb(t, lab, 40301+2*i, 9001, 2, 64)
			want := 0
			for _, n := range tc.want {
				want += n
			}
			expectCounts(t, settle(want, sk1, sk2), tc.want)
		})
	}
}
