package dataplane

import (
	"fmt"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/dataplane/kpath"
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
		if !found || !t.port.ok || t.port.fabric != fi {
			return 0, fmt.Sprintf("session %s: the receiver %s has no port in the source's fabric", ps.SessionId, dl.To), nil
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
		in, ok := countIn[t]
		if !ok {
			if in, err = k.receiverSlot(fi, slot, t); err != nil {
				return 0, "", err
			}
			countIn[t] = in
		}
		routes[i] = c.Route(t.srcMAC, t.dstMAC, int(t.port.ifindex), in)
	}
	if err := k.fabrics[fi].path.SetSession(slot, kpath.Session{MaxInner: ps.Session.MaxInner, Routes: routes}); err != nil {
		return 0, "", fmt.Errorf("session %s %s: %w", ps.SessionId, dir, err)
	}
	return slot, "", nil
}

// receiverSlot readies receiver t for the clones of session slot: its
// port attached (its program wraps them) and completing checksums, and
// the slot that counts its copies: the session's own for the first
// receiver, a new one for each other.
func (k *kernelPath) receiverSlot(fi int, slot uint32, t *targetAddr) (uint32, error) {
	ifindex := int(t.port.ifindex)
	if err := k.attach(fi, ifindex); err != nil {
		return 0, err
	}
	if err := k.receiverChecksums(fi, ifindex); err != nil {
		return 0, err
	}
	ks := k.slots[slot]
	if ks.target == nil {
		ks.target = t
		return slot, nil
	}
	return k.newSlot(fi, ks.eniID, ks.sessionID, ks.dir, t)
}
