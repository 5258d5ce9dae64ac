package dataplane

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/dataplane/internal/kpath"
	"github.com/mirrorlab/mirrorlab/internal/nsrun"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// setSession programs session ps of ENI eniID for direction dir into
// fabric fi: a slot for the session, which also counts the copies of its
// first receiver and those lost on the way, one more slot per further
// receiver (a load balancer's targets), and a route per outer source port
// (kpath.PlanCopy.Route). why is not empty when a receiver has no port in
// the fabric (the kernel clones only within a namespace).
func (k *kernelPath) setSession(v *view, fi int, eniID string, ps *kpath.PlanSession, dir cloudmock.Direction) (uint32, string, error) {
	targets := make([]*targetAddr, len(ps.Copies))
	for i := range ps.Copies {
		dl := &ps.Copies[i].Delivery
		if !dl.Delivered {
			continue
		}
		t, found := v.target(ps.TargetId, dl.To)
		switch {
		case !found || !t.port.ok:
			return 0, fmt.Sprintf("session %s: the receiver %s has no port in the lab", ps.SessionId, dl.To), nil
		case t.port.fabric != fi && k.link(fi, t.port.fabric) == nil:
			return 0, fmt.Sprintf("session %s: the receiver %s is in a fabric the source's has no way to in the lab", ps.SessionId, dl.To), nil
		}
		targets[i] = t
	}
	slot, err := k.newSlot(fi, eniID, ps.SessionId, dir, nil)
	if err != nil {
		return 0, "", err
	}
	countIn := map[*targetAddr]uint32{}
	routes := make([]kpath.Route, len(ps.Copies))
	for i, t := range targets {
		c := &ps.Copies[i]
		if t == nil {
			routes[i] = c.Route([6]byte{}, [6]byte{}, 0, slot)
			continue
		}
		port, forward, err := k.receiverPort(fi, t)
		if err != nil {
			return 0, "", err
		}
		in, ok := countIn[t]
		if !ok {
			if in, err = k.receiverSlot(fi, slot, t, port); err != nil {
				return 0, "", err
			}
			countIn[t] = in
		}
		routes[i] = c.Route(t.srcMAC, t.dstMAC, port, in)
		routes[i].Forward = forward
	}
	if err := k.fabrics[fi].path.SetSession(slot, kpath.Session{MaxInner: ps.Session.MaxInner, Routes: routes}); err != nil {
		return 0, "", fmt.Errorf("session %s %s: %w", ps.SessionId, dir, err)
	}
	return slot, "", nil
}

// receiverPort returns the port of fabric fi where copies for receiver t
// go: its own bridge port, or, in another fabric, the source fabric's end
// of the link to it (forward true), the receiver's fabric then readied to
// hand them on (kpath.Path.AttachForward).
func (k *kernelPath) receiverPort(fi int, t *targetAddr) (int, bool, error) {
	if t.port.fabric == fi {
		return int(t.port.ifindex), false, nil
	}
	l := k.link(fi, t.port.fabric)
	ti := t.port.fabric
	if err := k.loadFabric(ti); err != nil {
		return 0, false, fmt.Errorf("fabric %s: %w", k.svc.cfg.Lab.Fabrics()[ti].NsName, err)
	}
	for _, h := range l.hops {
		if err := k.forward(h.via, h.in, t.addr, h.out); err != nil {
			return 0, false, err
		}
	}
	if err := k.forward(k.fabrics[ti], l.to, t.addr, int(t.port.ifindex)); err != nil {
		return 0, false, err
	}
	return l.from, true, nil
}

// forward has kf's forward program, on port in, hand copies to dst on to
// port out.
func (k *kernelPath) forward(kf *kernelFabric, in int, dst netip.Addr, out int) error {
	if !kf.forwarding[in] {
		if err := kf.run(func() error { return kf.path.AttachForward(in) }); err != nil {
			return fmt.Errorf("%s: %w", kf.name, err)
		}
		kf.forwarding[in] = true
	}
	if err := kf.path.SetForward(dst, out); err != nil {
		return fmt.Errorf("%s: %w", kf.name, err)
	}
	return nil
}

// receiverSlot readies receiver t, reached by port of fabric fi, for the
// clones of session slot: the port attached (its program wraps them) and
// completing checksums, and the slot that counts its copies: the
// session's own for the first receiver, a new one for each other.
func (k *kernelPath) receiverSlot(fi int, slot uint32, t *targetAddr, port int) (uint32, error) {
	if err := k.attach(fi, port, fmt.Sprintf("receiver %s of target %s", t.eniID, t.id)); err != nil {
		return 0, err
	}
	if err := k.receiverChecksums(fi, port); err != nil {
		return 0, err
	}
	ks := k.slots[slot]
	if ks.target == nil {
		ks.target = t
		return slot, nil
	}
	return k.newSlot(fi, ks.eniID, ks.sessionID, ks.dir, t)
}

// fabricLink is the way from one fabric to another: a peering's veth
// (from and to: its index in each), or the veths to and from a transit
// gateway, whose namespace forwards the copies too (hops).
type fabricLink struct {
	from, to int
	hops     []linkHop
}

// linkHop is a namespace between two fabrics: copies come in on port in
// and leave by port out.
type linkHop struct {
	via     *kernelFabric
	in, out int
}

// link returns the way from fabric a to fabric b (nil: none), found once.
func (k *kernelPath) link(a, b int) *fabricLink {
	key := [2]int{a, b}
	if l, done := k.links[key]; done {
		return l
	}
	l, err := k.findLink(a, b)
	if err != nil {
		k.svc.cfg.Logger.Warn("in-kernel path: link between fabrics", "error", err)
		l = nil
	}
	k.links[key] = l
	return l
}

func (k *kernelPath) findLink(a, b int) (*fabricLink, error) {
	lab := k.svc.cfg.Lab
	fa, fb := lab.Fabrics()[a], lab.Fabrics()[b]
	for _, p := range lab.Peerings() {
		if p.VPCs == [2]string{fa.VPC, fb.VPC} || p.VPCs == [2]string{fb.VPC, fa.VPC} {
			from, err1 := ifIndexIn(fa.Run, fa.NsName, p.IfName)
			to, err2 := ifIndexIn(fb.Run, fb.NsName, p.IfName)
			return &fabricLink{from: from, to: to}, errors.Join(err1, err2)
		}
	}
	for _, g := range lab.TransitGateways() {
		ia, ib := slices.Index(g.VPCs, fa.VPC), slices.Index(g.VPCs, fb.VPC)
		if ia < 0 || ib < 0 {
			continue
		}
		via, err := k.transit(g)
		if err != nil {
			return nil, err
		}
		var l fabricLink
		h := linkHop{via: via}
		var errs [4]error
		l.from, errs[0] = ifIndexIn(fa.Run, fa.NsName, g.Links[ia])
		h.in, errs[1] = ifIndexIn(via.run, via.name, g.Links[ia])
		h.out, errs[2] = ifIndexIn(via.run, via.name, g.Links[ib])
		l.to, errs[3] = ifIndexIn(fb.Run, fb.NsName, g.Links[ib])
		l.hops = []linkHop{h}
		return &l, errors.Join(errs[:]...)
	}
	return nil, nil
}

// transit returns the path loaded in transit gateway g's namespace.
func (k *kernelPath) transit(g *sim.TransitGateway) (*kernelFabric, error) {
	if kf := k.transits[g.Name]; kf != nil {
		return kf, nil
	}
	run := func(fn func() error) error { return nsrun.RunNamed(g.NsName, fn) }
	kf, err := k.newPath(run, g.NsName)
	if err != nil {
		return nil, fmt.Errorf("transit gateway %s: %w", g.Name, err)
	}
	k.transits[g.Name] = kf
	return kf, nil
}

// ifIndexIn returns the index of interface name in the namespace that
// run runs code in (ns names it).
func ifIndexIn(run func(func() error) error, ns, name string) (int, error) {
	var i int
	err := run(func() error {
		ifc, err := net.InterfaceByName(name)
		if err == nil {
			i = ifc.Index
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("%s: interface %s: %w", ns, name, err)
	}
	return i, nil
}
