package dataplane

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// The in-kernel path's programs are attached to a port as direct-action
// cls_bpf filters of a clsact qdisc, not as TCX links: attaching or
// detaching a TCX link waits for an RCU grace period under the RTNL lock
// (tcx_entry_sync), so the ports of a lab attached one grace period at a
// time, in sequence, whatever the concurrency: 33 ms per port at load ~15
// on 2 cores, against 0.08 ms for the qdisc and its two filters. The
// programs' return codes (TCX_NEXT = TC_ACT_UNSPEC, TCX_DROP =
// TC_ACT_SHOT) mean the same to cls_bpf.
//
// Unlike a link, a filter does not die with the process: after a crash the
// programs stay on the lab's ports (mirroring between the lab's own
// interfaces, from maps nobody updates) until the lab is removed, or until
// a new service on the lab replaces them (FilterReplace, same priority and
// handle).

// tcFilterPriority and tcFilterHandle identify our filters on a port
// whose clsact qdisc someone else created.
const (
	tcFilterPriority = 0xb1
	tcFilterHandle   = 1
)

func clsact(ifindex int) *netlink.GenericQdisc {
	return &netlink.GenericQdisc{QdiscAttrs: netlink.QdiscAttrs{LinkIndex: ifindex,
		Handle: netlink.MakeHandle(0xffff, 0), Parent: netlink.HANDLE_CLSACT}, QdiscType: "clsact"}
}

func tcFilter(ifindex int, parent uint32, prog *ebpf.Program, name string) *netlink.BpfFilter {
	f := &netlink.BpfFilter{FilterAttrs: netlink.FilterAttrs{LinkIndex: ifindex, Parent: parent,
		Handle: tcFilterHandle, Protocol: unix.ETH_P_ALL, Priority: tcFilterPriority}, Name: name, DirectAction: true, Fd: -1}
	if prog != nil {
		f.Fd = prog.FD()
	}
	return f
}

// tcAttach attaches in and out to the ingress and egress hooks of port
// ifindex in the network namespace of h. created says whether it added
// the clsact qdisc (tcDetach then removes it whole).
func tcAttach(h *netlink.Handle, ifindex int, in, out *ebpf.Program) (created bool, err error) {
	if created, err = tcQdisc(h, ifindex); err != nil {
		return false, err
	}
	if err := tcFilters(h, ifindex, in, out); err != nil {
		return created, errors.Join(err, tcDetach(h, ifindex, created))
	}
	return created, nil
}

// tcQdisc adds the clsact qdisc to port ifindex unless it has one;
// created says whether it did.
func tcQdisc(h *netlink.Handle, ifindex int) (created bool, err error) {
	switch err := h.QdiscAdd(clsact(ifindex)); {
	case err == nil:
		return true, nil
	case errors.Is(err, unix.EEXIST):
		return false, nil
	default:
		return false, fmt.Errorf("add clsact qdisc to port %d: %w", ifindex, err)
	}
}

// tcFilters attaches in and out to the hooks of port ifindex's clsact
// qdisc. The first filter on a hook of a clsact qdisc made less than an
// RCU grace period ago waits for an expedited one (mini_qdisc_pair_swap):
// attaching many ports, add their qdiscs first (tcQdisc), then the
// filters, and few wait (tc's batch mode, port by port, slept 451 times
// for 400 ports; qdiscs first, then filters, 51 times).
func tcFilters(h *netlink.Handle, ifindex int, in, out *ebpf.Program) error {
	for _, hook := range []struct {
		parent uint32
		prog   *ebpf.Program
		name   string
	}{{netlink.HANDLE_MIN_INGRESS, in, "kpath_ingress"}, {netlink.HANDLE_MIN_EGRESS, out, "kpath_egress"}} {
		if err := h.FilterReplace(tcFilter(ifindex, hook.parent, hook.prog, hook.name)); err != nil {
			return fmt.Errorf("attach %s to port %d: %w", hook.name, ifindex, err)
		}
	}
	return nil
}

// tcDetach undoes tcAttach on port ifindex, through h. A port that is
// gone (its instance removed, its namespace deleted) has nothing left to
// detach.
func tcDetach(h *netlink.Handle, ifindex int, created bool) error {
	var errs []error
	if created {
		errs = append(errs, h.QdiscDel(clsact(ifindex)))
	} else {
		for _, parent := range []uint32{netlink.HANDLE_MIN_INGRESS, netlink.HANDLE_MIN_EGRESS} {
			errs = append(errs, h.FilterDel(tcFilter(ifindex, parent, nil, "")))
		}
	}
	err := errors.Join(errs...)
	if err == nil || errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENOENT) {
		return nil
	}
	return fmt.Errorf("detach the in-kernel path from port %d: %w", ifindex, err)
}
