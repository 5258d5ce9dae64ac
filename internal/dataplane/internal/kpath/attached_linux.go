package kpath

import "github.com/cilium/ebpf"

// TCPrograms returns the programs that Attach attaches to a port's
// ingress and egress hooks, for a caller that attaches them another way
// (the data plane attaches them as direct-action cls_bpf filters of a
// clsact qdisc: a TCX link costs an RCU grace period under the RTNL lock
// to attach and another to detach, which made a lab of many ports slow to
// start and to stop). The programs stay owned by p.
func (p *Path) TCPrograms() (ingress, egress *ebpf.Program) {
	return p.objs.KpathTcIngress, p.objs.KpathTcEgress
}

// MarkAttached records that the caller attached TCPrograms to both hooks
// of port ifindex itself (attached false: detached), so that sessions may
// name it as their receiver. Close does not detach what the caller
// attached.
func (p *Path) MarkAttached(ifindex int, attached bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if attached {
		p.attached[ifindex] = true
	} else {
		delete(p.attached, ifindex)
	}
}
