package dataplane

import (
	"errors"
	"fmt"
	"net"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/dataplane/kpath"
	"github.com/mirrorlab/mirrorlab/sim"
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
		case t.port.fabric != fi && !dl.To.Is4():
			return 0, fmt.Sprintf("session %s: the receiver %s is in another fabric, over IPv6 (the kernel forwards IPv4 copies)", ps.SessionId, dl.To), nil
		case t.port.fabric != fi && k.link(fi, t.port.fabric) == nil:
			return 0, fmt.Sprintf("session %s: the receiver %s is in a fabric the source's has no link to (the kernel hands a copy only to the next fabric)", ps.SessionId, dl.To), nil
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
	kf := k.fabrics[ti]
	if !kf.forwarding[l.to] {
		if err := kf.f.Run(func() error { return kf.path.AttachForward(l.to) }); err != nil {
			return 0, false, fmt.Errorf("fabric %s: %w", kf.f.NsName, err)
		}
		kf.forwarding[l.to] = true
	}
	if err := kf.path.SetForward(t.addr, int(t.port.ifindex)); err != nil {
		return 0, false, fmt.Errorf("fabric %s: %w", kf.f.NsName, err)
	}
	return l.from, true, nil
}

// receiverSlot readies receiver t, reached by port of fabric fi, for the
// clones of session slot: the port attached (its program wraps them) and
// completing checksums, and the slot that counts its copies: the
// session's own for the first receiver, a new one for each other.
func (k *kernelPath) receiverSlot(fi int, slot uint32, t *targetAddr, port int) (uint32, error) {
	if err := k.attach(fi, port); err != nil {
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

// fabricLink is a link between two fabrics (a peering's veth): its
// interface index in each.
type fabricLink struct{ from, to int }

// link returns the link from fabric a to fabric b (nil: none), found once.
func (k *kernelPath) link(a, b int) *fabricLink {
	key := [2]int{a, b}
	if l, done := k.links[key]; done {
		return l
	}
	var l *fabricLink
	fabrics := k.svc.cfg.Lab.Fabrics()
	for _, p := range k.svc.cfg.Lab.Peerings() {
		if p.VPCs != [2]string{fabrics[a].VPC, fabrics[b].VPC} && p.VPCs != [2]string{fabrics[b].VPC, fabrics[a].VPC} {
			continue
		}
		from, err1 := ifIndexIn(fabrics[a], p.IfName)
		to, err2 := ifIndexIn(fabrics[b], p.IfName)
		if err := errors.Join(err1, err2); err != nil {
			k.svc.cfg.Logger.Warn("in-kernel path: peering link", "link", p.IfName, "error", err)
			break
		}
		l = &fabricLink{from, to}
		break
	}
	k.links[key] = l
	return l
}

// ifIndexIn returns the index of interface name in fabric f.
func ifIndexIn(f *sim.Fabric, name string) (int, error) {
	var i int
	err := f.Run(func() error {
		ifc, err := net.InterfaceByName(name)
		if err == nil {
			i = ifc.Index
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("fabric %s: interface %s: %w", f.NsName, name, err)
	}
	return i, nil
}
