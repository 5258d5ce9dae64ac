package dataplane

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// TestApplyConcurrentWithTraffic swaps configurations while a capture
// path handles packets and a consumer drains its queue (run it with
// -race): every datagram must come from one configuration whole (VNI 1
// to 10.0.0.20, or VNI 2 to 10.0.0.21, never a mix), nothing from the
// configuration without a session, and no count may be lost across the
// swaps. No kernel objects: the pipeline's capture path in isolation.
func TestApplyConcurrentWithTraffic(t *testing.T) {
	p, f := pathFixture(t, 0)
	s := p.svc
	s.cfg.Lab = &sim.Lab{} // no ENI realised: targets are indexed without MACs
	specA := fixtureSpec(0)
	specB := fixtureSpec(0)
	specB.NetworkInterfaces = append(specB.NetworkInterfaces, cloudmock.NetworkInterface{NetworkInterfaceId: "eni-dst2", SubnetId: "s", PrivateIpAddress: "10.0.0.21"})
	specB.TrafficMirrorTargets = append(specB.TrafficMirrorTargets, &cloudmock.TrafficMirrorTarget{TrafficMirrorTargetId: "t2", NetworkInterfaceId: "eni-dst2"})
	specB.TrafficMirrorSessions[0].TrafficMirrorTargetId = "t2"
	specB.TrafficMirrorSessions[0].VirtualNetworkId = new(2)
	specNone := fixtureSpec(0)
	specNone.TrafficMirrorSessions = nil
	if err := s.Apply(specA); err != nil {
		t.Fatal(err)
	}

	var stop atomic.Bool
	var handled, queued, bad atomic.Uint64
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // the capture goroutine
		defer wg.Done()
		for !stop.Load() {
			p.handle(f, 1, false)
			handled.Add(1)
		}
	}()
	go func() { // the sender: checks each datagram
		defer wg.Done()
		for {
			first, n := p.q.peek(64)
			if n == 0 {
				if stop.Load() && p.q.depth() == 0 {
					return
				}
				continue
			}
			for i := range n {
				sl := p.q.at(first + uint64(i))
				d := sl.buf[sl.ipOff:sl.n]
				vni := binary.BigEndian.Uint32(d[28+4:]) >> 8
				dst := sl.dst.String()
				ok := vni == 1 && dst == "10.0.0.20" && sl.target.id == "t" ||
					vni == 2 && dst == "10.0.0.21" && sl.target.id == "t2"
				if !ok || d[16] != 10 || d[19] != byte(sl.dst.As4()[3]) {
					bad.Add(1)
				}
				queued.Add(1)
			}
			p.q.release(n)
		}
	}()
	for i := range 3000 {
		spec := [...]cloudmock.Spec{specA, specB, specNone}[i%3]
		if err := s.Apply(spec); err != nil {
			t.Fatal(err)
		}
		if i%100 == 0 {
			_ = s.Snapshot() // read while traffic flows
		}
	}
	stop.Store(true)
	wg.Wait()
	if bad.Load() != 0 {
		t.Fatalf("%d of %d datagrams mixed two configurations", bad.Load(), queued.Load())
	}
	snap := s.Snapshot().Model.ENIs["eni-src"]
	c := snap.NetworkPacketsMirrorIn + snap.NetworkPacketsSkipMirrorIn + snap.NotMirrored["no-session"]
	if c != handled.Load() {
		t.Fatalf("counted %d (mirrored %d, skipped %d, no session %d) of %d packets handled across the swaps",
			c, snap.NetworkPacketsMirrorIn, snap.NetworkPacketsSkipMirrorIn, snap.NotMirrored["no-session"], handled.Load())
	}
	if queued.Load() == 0 || snap.NotMirrored["no-session"] == 0 {
		t.Fatalf("the swaps were not exercised: %d queued, %d without a session", queued.Load(), snap.NotMirrored["no-session"])
	}
	t.Logf("%d packets, %d datagrams queued, %d without a session, 3000 swaps", handled.Load(), queued.Load(), snap.NotMirrored["no-session"])
}
