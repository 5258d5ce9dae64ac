package dataplane

import (
	"bytes"
	"fmt"
	"net/netip"
	"testing"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// TestPrivilegedEndToEnd: UDP flows between client and web, mirrored at
// web's ENI in both directions to an ENI target; checked by a plain UDP
// socket on the target: outer source = web's address, VNI, one stable
// outer source port per flow in both directions, the inner packet intact.
func TestPrivilegedEndToEnd(t *testing.T) {
	lab := testLab(t)
	spec := baseSpec()
	addSession(&spec, "tms-web", "web", "tgt1", 1, 7, cloudmock.TrafficMirrorFilter{
		IngressFilterRules: []cloudmock.TrafficMirrorFilterRule{rule(100, "accept", 17, 9000, 9000)},
		EgressFilterRules:  []cloudmock.TrafficMirrorFilterRule{srule(100, "accept", 17, 9000, 9000)},
	})
	sk := newSink(t, lab, "tgt1")
	svc, _ := startService(t, lab, spec, nil)
	listenUDP(t, lab, "web", 9000).echo()

	const flows, per = 4, 3
	for i := 0; i < flows; i++ {
		c := listenUDP(t, lab, "client", 40000+i)
		c.drain()
		for j := 0; j < per; j++ {
			c.send(t, ap("10.0.0.5:9000"), []byte(fmt.Sprintf("flow-%d-%d", i, j)), 1)
		}
	}
	got := settle(2*flows*per, sk)
	if len(got) != 2*flows*per {
		t.Fatalf("target received %d datagrams, want %d:%s", len(got), 2*flows*per, describe(got))
	}
	web := netip.MustParseAddr("10.0.0.5")
	portOf := map[uint16]uint16{} // client port -> outer source port
	in, out := map[uint16]int{}, map[uint16]int{}
	for _, a := range got {
		if a.from.Addr() != web {
			t.Errorf("outer source %s, want %s", a.from.Addr(), web)
		}
		if a.vni != 7 {
			t.Errorf("VNI %d, want 7", a.vni)
		}
		if a.raw[0] != 0x08 {
			t.Errorf("VXLAN flags %#x, want 0x08", a.raw[0])
		}
		var client uint16
		switch {
		case a.innerDst == web && a.dport == 9000: // ingress: client -> web
			client = a.sport
			in[client]++
		case a.innerSrc == web && a.sport == 9000: // egress: the echo
			client = a.dport
			out[client]++
		default:
			t.Errorf("unexpected inner packet %s:%d -> %s:%d", a.innerSrc, a.sport, a.innerDst, a.dport)
			continue
		}
		if !bytes.HasPrefix(a.payload, []byte(fmt.Sprintf("flow-%d-", client-40000))) {
			t.Errorf("inner payload %q does not belong to flow %d", a.payload, client)
		}
		if p, seen := portOf[client]; seen && p != a.from.Port() {
			t.Errorf("flow from client port %d: outer source ports %d and %d, want one", client, p, a.from.Port())
		}
		portOf[client] = a.from.Port()
	}
	for i := 0; i < flows; i++ {
		c := uint16(40000 + i)
		if in[c] != per || out[c] != per {
			t.Errorf("flow %d: %d ingress and %d egress copies, want %d each", c, in[c], out[c], per)
		}
	}
	snap := svc.Snapshot()
	e := snap.Model.ENIs["eni-web"]
	if e.NetworkPacketsMirrorIn != flows*per || e.NetworkPacketsMirrorOut != flows*per {
		t.Errorf("model counters In/Out = %d/%d, want %d each", e.NetworkPacketsMirrorIn, e.NetworkPacketsMirrorOut, flows*per)
	}
	if snap.Totals.Sent != 2*flows*per {
		t.Errorf("service sent %d, want %d", snap.Totals.Sent, 2*flows*per)
	}
}
