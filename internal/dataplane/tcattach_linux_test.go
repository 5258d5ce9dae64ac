package dataplane

import (
	"context"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// TestPrivilegedKernelFiltersAttachedAndRemoved: with the in-kernel path,
// a source's port and its target's port carry the programs as cls_bpf
// filters on both hooks while the service runs, and Close leaves neither
// filter nor qdisc behind.
func TestPrivilegedKernelFiltersAttachedAndRemoved(t *testing.T) {
	lab := testLab(t)
	spec := baseSpec()
	addSession(&spec, "tms-web", "web", "tgt1", 1, 77, cloudmock.TrafficMirrorFilter{
		IngressFilterRules: rules{rule(100, "accept", 17, 0, 0)},
	})
	m, err := cloudmock.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := Start(context.Background(), Config{Model: m, Spec: &spec, Lab: lab})
	if err != nil {
		t.Fatal(err)
	}
	if k := svc.Snapshot().Kernel; !k.Enabled {
		svc.Close()
		t.Skipf("in-kernel path unavailable: %s", k.Why)
	}
	web, tgt := lab.Instance("web").ENI("eth0"), lab.Instance("tgt1").ENI("eth0")
	f := lab.Fabric(web.VPC)
	count := func(ifindex int) (int, int) { return tcCount(t, f, ifindex) }
	for _, e := range []struct {
		name    string
		ifindex int
	}{{"web's port", web.PeerIndex}, {"tgt1's port", tgt.PeerIndex}} {
		if n, q := count(e.ifindex); n != 2 || q != 1 {
			t.Errorf("running: %s has %d of our filters and %d clsact qdiscs, want 2 and 1", e.name, n, q)
		}
	}
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}
	for _, e := range []struct {
		name    string
		ifindex int
	}{{"web's port", web.PeerIndex}, {"tgt1's port", tgt.PeerIndex}} {
		if n, q := count(e.ifindex); n != 0 || q != 0 {
			t.Errorf("closed: %s has %d of our filters and %d clsact qdiscs, want none", e.name, n, q)
		}
	}
}

// tcCount counts our filters and the clsact qdiscs on port ifindex of
// fabric f.
func tcCount(t *testing.T, f *sim.Fabric, ifindex int) (filters, qdiscs int) {
	t.Helper()
	err := f.Run(func() error {
		l, err := netlink.LinkByIndex(ifindex)
		if err != nil {
			return err
		}
		for _, parent := range []uint32{netlink.HANDLE_MIN_INGRESS, netlink.HANDLE_MIN_EGRESS} {
			fs, err := netlink.FilterList(l, parent)
			if err != nil {
				return err
			}
			for _, fl := range fs {
				if b, ok := fl.(*netlink.BpfFilter); ok && b.Priority == tcFilterPriority && b.DirectAction {
					filters++
				}
			}
		}
		qs, err := netlink.QdiscList(l)
		for _, q := range qs {
			if q.Type() == "clsact" {
				qdiscs++
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return filters, qdiscs
}

// TestPrivilegedUnusedReceiverQdiscRemoved: a receiver's port gets its
// clsact qdisc with the sources' (its filters only once the plan sends it
// copies); a target no session uses keeps the bare qdisc while the
// service runs, and Close removes it too.
func TestPrivilegedUnusedReceiverQdiscRemoved(t *testing.T) {
	lab := testLab(t)
	spec := webToTgt1()
	spec.TrafficMirrorTargets = append(spec.TrafficMirrorTargets, &cloudmock.TrafficMirrorTarget{
		TrafficMirrorTargetId: "tmt-tgt2", NetworkInterfaceId: "eni-tgt2"})
	svc, _ := startService(t, lab, spec, nil)
	if k := svc.Snapshot().Kernel; !k.Enabled {
		t.Skipf("in-kernel path unavailable: %s", k.Why)
	}
	tgt1, tgt2 := lab.Instance("tgt1").ENI("eth0"), lab.Instance("tgt2").ENI("eth0")
	f := lab.Fabric(tgt1.VPC)
	if n, q := tcCount(t, f, tgt1.PeerIndex); n != 2 || q != 1 {
		t.Errorf("running: tgt1's port (used) has %d of our filters and %d clsact qdiscs, want 2 and 1", n, q)
	}
	if n, q := tcCount(t, f, tgt2.PeerIndex); n != 0 || q != 1 {
		t.Errorf("running: tgt2's port (no session) has %d of our filters and %d clsact qdiscs, want 0 and 1", n, q)
	}
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}
	for _, e := range []*sim.ENI{tgt1, tgt2} {
		if n, q := tcCount(t, f, e.PeerIndex); n != 0 || q != 0 {
			t.Errorf("closed: %s's port has %d of our filters and %d clsact qdiscs, want none", e.Instance, n, q)
		}
	}
}
