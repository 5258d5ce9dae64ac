package vpc

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/encap"
	"github.com/mirrorlab/mirrorlab/internal/privtest"
)

// TestRetargetPointsTheSessionAtTheLoadBalancer: the model's session goes
// to the chosen target, the load balancers are added only when needed,
// and an unknown target is refused by name.
func TestRetargetPointsTheSessionAtTheLoadBalancer(t *testing.T) {
	for _, tc := range []struct {
		to       Target
		want     string
		balancer bool
	}{{TargetENI, "tmt-adapter", false}, {TargetNLB, "tmt-nlb", true}, {TargetGWLB, "tmt-gwlb", true}} {
		s := cloudmock.Spec{TrafficMirrorTargets: []*cloudmock.TrafficMirrorTarget{{TrafficMirrorTargetId: "tmt-adapter", NetworkInterfaceId: "eni-adapter"}},
			TrafficMirrorSessions: []*cloudmock.TrafficMirrorSession{{TrafficMirrorSessionId: "tms-bench", TrafficMirrorTargetId: "tmt-adapter"}}}
		if err := retarget(&s, tc.to); err != nil {
			t.Fatal(err)
		}
		if got := s.TrafficMirrorSessions[0].TrafficMirrorTargetId; got != tc.want {
			t.Errorf("%s: session goes to %s, want %s", tc.to, got, tc.want)
		}
		if got := len(s.LoadBalancers) > 0; got != tc.balancer {
			t.Errorf("%s: load balancers %+v", tc.to, s.LoadBalancers)
		}
	}
	if err := retarget(&cloudmock.Spec{}, "alb"); err == nil {
		t.Error("target alb accepted")
	}
	if a, b := loadBalancerAddr(TargetNLB), loadBalancerAddr(TargetGWLB); !a.IsValid() || !b.IsValid() || a == b || loadBalancerAddr(TargetENI).IsValid() {
		t.Errorf("load balancer addresses: nlb %v, gwlb %v", a, b)
	}
}

// TestPrivilegedLoadBalancerTargets builds the bench VPC and points the
// session at the NLB (in the kernel and in user space) and the GWLB
// endpoint: the adapter receives VXLAN from production's address on 4789
// behind the NLB, GENEVE from the GWLB's address on 6081 holding the VXLAN
// copy behind the GWLB; then the generator's path counts one copy per
// packet for each target.
func TestPrivilegedLoadBalancerTargets(t *testing.T) {
	privtest.Require(t)
	ctx := context.Background()
	env, err := Build(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.Close(); err != nil {
			t.Error(err)
		}
	})
	if got := env.Lab.Instance(nlbID); got == nil || !got.Appliance {
		t.Fatalf("no NLB appliance in the bench vpc: %+v", got)
	}
	// Each target in turn: a swap of the model where only the target
	// changes (NLB after GWLB, GWLB after NLB in user space), a restart
	// where the path changes.
	for _, tc := range []struct {
		to        Target
		userSpace bool
	}{{TargetGWLB, false}, {TargetNLB, false}, {TargetNLB, true}, {TargetGWLB, true}} {
		if err := env.MirrorTarget(ctx, tc.to, tc.userSpace); err != nil {
			t.Fatal(err)
		}
		if err := env.StartMirror(ctx); err != nil {
			t.Fatal(err)
		}
		before := sentByTarget(env)
		if err := checkCopy(env, tc.to); err != nil {
			t.Errorf("%s (user space %v): %v", tc.to, tc.userSpace, err)
		}
		grew := map[string]uint64{}
		for id, n := range sentByTarget(env) {
			if n > before[id] {
				grew[id] = n - before[id]
			}
		}
		if grew[targetIDs[tc.to]] == 0 || len(grew) != 1 {
			t.Errorf("%s (user space %v): copies sent by target %v, want to %s only", tc.to, tc.userSpace, grew, targetIDs[tc.to])
		}
		snap := env.MirrorSnapshot()
		if tc.userSpace && snap.Totals.Kernel != 0 {
			t.Errorf("%s in user space: %d copies by the kernel", tc.to, snap.Totals.Kernel)
		}
		t.Logf("%s (user space %v): %d copies, %d by the kernel", tc.to, tc.userSpace, snap.Totals.Mirrored, snap.Totals.Kernel)
	}
	for _, to := range Targets {
		if err := env.MirrorTarget(ctx, to, false); err != nil {
			t.Fatal(err)
		}
		p, err := env.Path(512, 300*time.Millisecond, 100*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := p.Run(ctx, 1000)
		p.Sender.Close()
		if err != nil {
			t.Fatal(err)
		}
		if tr.Sent < 200 || tr.Extra["delivered"] < float64(tr.Sent) || tr.Extra["mirrored"] < float64(tr.Sent) {
			t.Errorf("%s at 1000 pps: sent %d, delivered %v, mirrored %v", to, tr.Sent, tr.Extra["delivered"], tr.Extra["mirrored"])
		}
	}
}

// sentByTarget is what the mirror service has sent, by target.
func sentByTarget(env *Env) map[string]uint64 {
	out := map[string]uint64{}
	for _, ts := range env.MirrorSnapshot().Targets {
		out[ts.TargetId] += ts.Sent
	}
	return out
}

// checkCopy sends datagrams from the client to production and reads the
// first copy at the adapter, where target t sends it.
func checkCopy(env *Env, t Target) error {
	port, from := VXLANPort, ENI(env.Prod).IP
	if t == TargetGWLB {
		port, from = encap.GenevePort, loadBalancerAddr(t)
	}
	if err := env.ReleaseMirrorPort(); err != nil {
		return err
	}
	rx, err := listenUDP(env.Adapter, port)
	if err != nil {
		return err
	}
	defer rx.Close()
	tx, err := listenUDP(env.Client, 0)
	if err != nil {
		return err
	}
	defer tx.Close()
	dst := netip.AddrPortFrom(ENI(env.Prod).IP, SinkPort)
	buf := make([]byte, 65536)
	for range 20 {
		if _, err := tx.WriteToUDPAddrPort([]byte("lb-target"), dst); err != nil {
			return err
		}
		_ = rx.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		n, src, err := rx.ReadFromUDPAddrPort(buf)
		if err != nil {
			continue
		}
		if src.Addr().Unmap() != from {
			return fmt.Errorf("copy on port %d from %v, want from %v", port, src, from)
		}
		return checkPayload(buf[:n], t)
	}
	return fmt.Errorf("no copy on the adapter's port %d", port)
}

// checkPayload checks a copy's UDP payload: VXLAN with the session's VNI,
// inside GENEVE (an IPv4 packet to UDP 4789) behind the GWLB, around the
// frame the client sent.
func checkPayload(b []byte, t Target) error {
	if t == TargetGWLB {
		if len(b) < 8 || binary.BigEndian.Uint16(b[2:4]) != 0x0800 {
			return fmt.Errorf("not GENEVE around IPv4: % x", b[:min(len(b), 16)])
		}
		b = b[8+4*int(b[0]&0x3f):]
		if len(b) < 20 {
			return fmt.Errorf("GENEVE payload of %d bytes", len(b))
		}
		ihl := 4 * int(b[0]&0x0f)
		if len(b) < ihl+8 || binary.BigEndian.Uint16(b[ihl+2:ihl+4]) != VXLANPort {
			return fmt.Errorf("GENEVE payload is not a datagram to UDP %d", VXLANPort)
		}
		b = b[ihl+8:]
	}
	if len(b) < 8 || b[0] != 0x08 || uint32(b[4])<<16|uint32(b[5])<<8|uint32(b[6]) != MirrorVNI {
		return fmt.Errorf("not VXLAN with VNI %d: % x", MirrorVNI, b[:min(len(b), 8)])
	}
	if !bytes.HasSuffix(b, []byte("lb-target")) {
		return fmt.Errorf("the copy does not end with the datagram sent: % x", b[max(0, len(b)-16):])
	}
	return nil
}

// loadBalancerAddr is the address of a target's load balancer (the
// GWLB's is also its endpoint's); invalid for the ENI.
func loadBalancerAddr(t Target) netip.Addr {
	for _, lb := range loadBalancers("", "") {
		if (t == TargetNLB && lb.LoadBalancerArn == nlbID) || (t == TargetGWLB && lb.LoadBalancerArn == gwlbID) {
			return netip.MustParseAddr(lb.PrivateIpAddress)
		}
	}
	return netip.Addr{}
}
