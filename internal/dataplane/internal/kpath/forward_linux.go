package kpath

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
)

// The kernel clones only within a network namespace (bpf_clone_redirect
// and bpf_redirect look the interface index up in the namespace of the
// packet's device), and every VPC of the lab has a fabric namespace of its
// own. A copy for a receiver in another VPC is therefore handed to the
// link that joins the two fabrics (a peering's veth, or the veth to a
// transit gateway's namespace, which forwards it on the same way), as
// the source VPC's router hands it on: its Route names the link's end in
// the source's fabric as the receiver's port, with Forward set. The copy is
// wrapped there as for any receiver and tagged (by its skb hash: a veth
// clears the mark and the priority of a packet that crosses namespaces,
// not its hash); in the receiver's fabric,
// the link's other end runs the forward program (AttachForward), which
// hands each tagged copy to the port SetForward names for its outer
// destination, with the copy mark: the frame the user-space path writes
// onto that port, unchanged by routing.

// MaxForwards is the most receivers a Path forwards copies to.
const MaxForwards = int(kpathLimitKPATH_MAX_FORWARDS)

// routeForward is route.flags' KPATH_ROUTE_FORWARD.
const routeForward = uint8(kpathFlagKPATH_ROUTE_FORWARD)

// ForwardHash is the skb hash of a copy on its way to another fabric.
const ForwardHash = uint32(kpathMarkKPATH_FORWARD_HASH)

// AttachForward attaches the forward program to the ingress of ifindex,
// the end of a link from another fabric (in the calling thread's network
// namespace), once. The link lives until Close.
func (p *Path) AttachForward(ifindex int) error {
	if ifindex <= 0 {
		return fmt.Errorf("attach kernel mirror forwarding: ifindex %d: want a positive interface index", ifindex)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.forwarding[ifindex] {
		return nil
	}
	l, err := link.AttachTCX(link.TCXOptions{Interface: ifindex, Program: p.objs.KpathTcForward, Attach: ebpf.AttachTCXIngress})
	if err != nil {
		return fmt.Errorf("attach kernel mirror forwarding to ifindex %d ingress: %w", ifindex, err)
	}
	p.links = append(p.links, l)
	p.forwarding[ifindex] = true
	return nil
}

// SetForward has the forward program hand copies to outer destination dst
// (a receiver's IPv4 or IPv6 address) to port ifindex, the receiver's
// bridge port.
func (p *Path) SetForward(dst netip.Addr, ifindex int) error {
	if !dst.IsValid() || ifindex <= 0 {
		return fmt.Errorf("set kernel mirror forwarding: %v to ifindex %d: want an address and a positive interface index", dst, ifindex)
	}
	if err := p.objs.Forwards.Update(forwardKey(dst), kpathForward{Ifindex: uint32(ifindex)}, ebpf.UpdateAny); err != nil {
		return fmt.Errorf("set kernel mirror forwarding for %v: %w", dst, err)
	}
	return nil
}

// DeleteForward stops forwarding copies to dst.
func (p *Path) DeleteForward(dst netip.Addr) error {
	if !dst.IsValid() {
		return fmt.Errorf("delete kernel mirror forwarding: %v is not an address", dst)
	}
	if err := p.objs.Forwards.Delete(forwardKey(dst)); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
		return fmt.Errorf("delete kernel mirror forwarding for %v: %w", dst, err)
	}
	return nil
}

// forwardKey is dst as the forwards map keys it: 16 bytes, an IPv4
// address as ::ffff:a.b.c.d.
func forwardKey(dst netip.Addr) kpathForwardKey {
	return kpathForwardKey{Addr: dst.As16()}
}
