package netlab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/mirrorlab/mirrorlab/internal/nsrun"
	"github.com/mirrorlab/mirrorlab/sim/state"
)

// Lab is a set of namespaces made for one bench run.
type Lab struct {
	// RunID names the namespaces: ml<RunID>-<role>.
	RunID    string
	stateDir string
	roles    []string
	nss      []*NS
}

// NS is one namespace of the lab.
type NS struct {
	Name   string
	Handle netns.NsHandle
}

// New records a run whose namespaces will be ml<id>-<role> for the given
// roles in a state file under stateDir (state.DefaultDir when empty), the
// way package sim does, so `mirrorlab clean` (sim.Sweep) removes what a
// killed bench left. Nothing is created yet.
func New(stateDir string, roles ...string) (*Lab, error) {
	if stateDir == "" {
		stateDir = state.DefaultDir
	}
	pid, start, err := state.Self()
	if err != nil {
		return nil, fmt.Errorf("identify owner process: %w", err)
	}
	for try := 0; ; try++ {
		id := state.NewRunID()
		r := &state.Run{RunID: id, PID: pid, StartTime: start, Created: time.Now().UTC()}
		for _, role := range roles {
			r.Namespaces = append(r.Namespaces, state.Prefix(id)+role)
		}
		err := state.Create(stateDir, r)
		if err == nil {
			return &Lab{RunID: id, stateDir: stateDir, roles: roles}, nil
		}
		if try == 4 {
			return nil, fmt.Errorf("record bench run: %w", err)
		}
	}
}

// AddNS creates the namespace ml<RunID>-<role> (like `ip netns add`), with
// loopback up and IPv6 off so no router solicitation or neighbour discovery
// disturbs the counters.
func (l *Lab) AddNS(role string) (*NS, error) {
	if !slices.Contains(l.roles, role) {
		return nil, fmt.Errorf("namespace role %q was not recorded by New", role)
	}
	name := state.Prefix(l.RunID) + role
	var h netns.NsHandle
	err := make(chan error, 1)
	go func() {
		// Never unlocked: NewNamed moves this thread, which dies with the goroutine.
		runtime.LockOSThread()
		var e error
		h, e = netns.NewNamed(name)
		err <- e
	}()
	if e := <-err; e != nil {
		return nil, fmt.Errorf("create namespace %s: %w", name, e)
	}
	ns := &NS{Name: name, Handle: h}
	l.nss = append(l.nss, ns)
	if err := ns.Run(func() error {
		lo, err := netlink.LinkByName("lo")
		if err != nil {
			return err
		}
		if err := netlink.LinkSetUp(lo); err != nil {
			return err
		}
		// Inside this namespace only (the thread's /proc/sys/net is its own).
		for _, p := range []string{"/proc/sys/net/ipv6/conf/all/disable_ipv6", "/proc/sys/net/ipv6/conf/default/disable_ipv6"} {
			if err := os.WriteFile(p, []byte("1"), 0o644); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("set up namespace %s: %w", name, err)
	}
	return ns, nil
}

// Run calls fn inside the namespace.
func (n *NS) Run(fn func() error) error { return nsrun.Run(n.Handle, fn) }

// Exec runs argv inside the namespace (like `ip netns exec NAME argv…`) and
// returns its combined output; the error carries that output.
func (n *NS) Exec(ctx context.Context, argv ...string) ([]byte, error) {
	var out []byte
	err := n.Run(func() error {
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		var err error
		out, err = cmd.CombinedOutput()
		return err
	})
	if err != nil {
		return out, fmt.Errorf("in %s: %s: %w: %s", n.Name, strings.Join(argv, " "), err, strings.TrimSpace(string(out)))
	}
	return out, nil
}

// Veth joins a and b with a veth pair named aIf in a and bIf in b, sets the
// MTU, the addresses (a prefix each) and brings both ends up; it returns the
// MAC addresses of the a and b ends. Like `ip link add aIf netns a mtu M
// type veth peer bIf netns b`.
func (l *Lab) Veth(a *NS, aIf string, aAddr netip.Prefix, b *NS, bIf string, bAddr netip.Prefix, mtu int) (aMAC, bMAC net.HardwareAddr, err error) {
	ha, err := netlink.NewHandleAt(a.Handle)
	if err != nil {
		return nil, nil, fmt.Errorf("netlink in %s: %w", a.Name, err)
	}
	defer ha.Close()
	hb, err := netlink.NewHandleAt(b.Handle)
	if err != nil {
		return nil, nil, fmt.Errorf("netlink in %s: %w", b.Name, err)
	}
	defer hb.Close()
	la := netlink.NewLinkAttrs()
	la.Name, la.MTU = aIf, mtu
	v := &netlink.Veth{LinkAttrs: la, PeerName: bIf, PeerNamespace: netlink.NsFd(b.Handle)}
	if err := ha.LinkAdd(v); err != nil {
		return nil, nil, fmt.Errorf("add veth %s (%s) - %s (%s): %w", aIf, a.Name, bIf, b.Name, err)
	}
	if aMAC, err = setup(hb, b.Name, bIf, bAddr, mtu); err != nil {
		return nil, nil, err
	}
	bMAC = aMAC
	if aMAC, err = setup(ha, a.Name, aIf, aAddr, mtu); err != nil {
		return nil, nil, err
	}
	return aMAC, bMAC, nil
}

func setup(h *netlink.Handle, nsName, ifname string, addr netip.Prefix, mtu int) (net.HardwareAddr, error) {
	l, err := h.LinkByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("%s in %s: %w", ifname, nsName, err)
	}
	if err := h.LinkSetMTU(l, mtu); err != nil {
		return nil, fmt.Errorf("mtu %d on %s in %s: %w", mtu, ifname, nsName, err)
	}
	if addr.IsValid() {
		a := &netlink.Addr{IPNet: &net.IPNet{IP: addr.Addr().AsSlice(), Mask: net.CIDRMask(addr.Bits(), 32)}}
		if err := h.AddrAdd(l, a); err != nil {
			return nil, fmt.Errorf("address %s on %s in %s: %w", addr, ifname, nsName, err)
		}
	}
	if err := h.LinkSetUp(l); err != nil {
		return nil, fmt.Errorf("up %s in %s: %w", ifname, nsName, err)
	}
	return l.Attrs().HardwareAddr, nil
}

// VXLAN adds a kernel VXLAN device in ns over the interface dev, to the
// remote address, on UDP 4789, with addr on it, and brings it up. Like `ip
// link add NAME type vxlan id VNI dev DEV remote R dstport 4789`.
func (n *NS) VXLAN(name string, vni int, dev string, local, remote netip.Addr, addr netip.Prefix) (net.HardwareAddr, error) {
	h, err := netlink.NewHandleAt(n.Handle)
	if err != nil {
		return nil, fmt.Errorf("netlink in %s: %w", n.Name, err)
	}
	defer h.Close()
	parent, err := h.LinkByName(dev)
	if err != nil {
		return nil, fmt.Errorf("%s in %s: %w", dev, n.Name, err)
	}
	la := netlink.NewLinkAttrs()
	la.Name = name
	la.MTU = parent.Attrs().MTU - 50
	vx := &netlink.Vxlan{LinkAttrs: la, VxlanId: vni, VtepDevIndex: parent.Attrs().Index,
		SrcAddr: local.AsSlice(), Group: remote.AsSlice(), Port: 4789, Learning: false}
	if err := h.LinkAdd(vx); err != nil {
		return nil, fmt.Errorf("add vxlan %s in %s: %w", name, n.Name, err)
	}
	return setup(h, n.Name, name, addr, la.MTU)
}

// MAC returns the hardware address of ifname in the namespace.
func (n *NS) MAC(ifname string) (net.HardwareAddr, error) {
	h, err := netlink.NewHandleAt(n.Handle)
	if err != nil {
		return nil, fmt.Errorf("netlink in %s: %w", n.Name, err)
	}
	defer h.Close()
	l, err := h.LinkByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("%s in %s: %w", ifname, n.Name, err)
	}
	return l.Attrs().HardwareAddr, nil
}

// Index returns the interface index of ifname in the namespace.
func (n *NS) Index(ifname string) (int, error) {
	h, err := netlink.NewHandleAt(n.Handle)
	if err != nil {
		return 0, fmt.Errorf("netlink in %s: %w", n.Name, err)
	}
	defer h.Close()
	l, err := h.LinkByName(ifname)
	if err != nil {
		return 0, fmt.Errorf("%s in %s: %w", ifname, n.Name, err)
	}
	return l.Attrs().Index, nil
}

// Neigh adds a permanent neighbour entry (like `ip neigh replace IP lladdr
// MAC dev IFNAME nud permanent`), so no ARP runs during a trial.
func (n *NS) Neigh(ifname string, ip netip.Addr, mac net.HardwareAddr) error {
	h, err := netlink.NewHandleAt(n.Handle)
	if err != nil {
		return fmt.Errorf("netlink in %s: %w", n.Name, err)
	}
	defer h.Close()
	l, err := h.LinkByName(ifname)
	if err != nil {
		return fmt.Errorf("%s in %s: %w", ifname, n.Name, err)
	}
	nb := &netlink.Neigh{LinkIndex: l.Attrs().Index, IP: ip.AsSlice(), HardwareAddr: mac, State: netlink.NUD_PERMANENT, Family: netlink.FAMILY_V4}
	if err := h.NeighSet(nb); err != nil {
		return fmt.Errorf("neighbour %s on %s in %s: %w", ip, ifname, n.Name, err)
	}
	return nil
}

// Close deletes every namespace of the lab (which removes the interfaces in
// them), then the state file, and reports every failure.
func (l *Lab) Close() error {
	var errs []error
	for i := len(l.nss) - 1; i >= 0; i-- {
		ns := l.nss[i]
		if err := ns.Handle.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close handle of %s: %w", ns.Name, err))
		}
		if err := netns.DeleteNamed(ns.Name); err != nil {
			errs = append(errs, fmt.Errorf("delete namespace %s: %w", ns.Name, err))
		}
	}
	l.nss = nil
	if len(errs) == 0 && l.stateDir != "" {
		if err := state.Remove(l.stateDir, l.RunID); err != nil {
			errs = append(errs, err)
		}
		l.stateDir = ""
	}
	return errors.Join(errs...)
}
