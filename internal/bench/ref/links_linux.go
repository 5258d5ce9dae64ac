package ref

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"strings"

	"github.com/vishvananda/netlink"

	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// The references' links, built on namespaces of package sim: a bare veth
// pair, kernel VXLAN devices, static neighbours and tc commands.

// veth joins a and b with a veth pair named aIf in a and bIf in b, sets the
// MTU, the addresses (a prefix each) and brings both ends up; it returns the
// MAC addresses of the a and b ends. Like `ip link add aIf netns a mtu M
// type veth peer bIf netns b`.
func veth(a *sim.Namespace, aIf string, aAddr netip.Prefix, b *sim.Namespace, bIf string, bAddr netip.Prefix, mtu int) (aMAC, bMAC net.HardwareAddr, err error) {
	la := netlink.NewLinkAttrs()
	la.Name, la.MTU = aIf, mtu
	v := &netlink.Veth{LinkAttrs: la, PeerName: bIf, PeerNamespace: netlink.NsFd(b.Handle())}
	if err := a.Netlink().LinkAdd(v); err != nil {
		return nil, nil, fmt.Errorf("add veth %s (%s) - %s (%s): %w", aIf, a.Name, bIf, b.Name, err)
	}
	if bMAC, err = setup(b, bIf, bAddr, mtu); err != nil {
		return nil, nil, err
	}
	if aMAC, err = setup(a, aIf, aAddr, mtu); err != nil {
		return nil, nil, err
	}
	return aMAC, bMAC, nil
}

func setup(n *sim.Namespace, ifname string, addr netip.Prefix, mtu int) (net.HardwareAddr, error) {
	h := n.Netlink()
	l, err := h.LinkByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("%s in %s: %w", ifname, n.Name, err)
	}
	if err := h.LinkSetMTU(l, mtu); err != nil {
		return nil, fmt.Errorf("mtu %d on %s in %s: %w", mtu, ifname, n.Name, err)
	}
	if addr.IsValid() {
		a := &netlink.Addr{IPNet: &net.IPNet{IP: addr.Addr().AsSlice(), Mask: net.CIDRMask(addr.Bits(), 32)}}
		if err := h.AddrAdd(l, a); err != nil {
			return nil, fmt.Errorf("address %s on %s in %s: %w", addr, ifname, n.Name, err)
		}
	}
	if err := h.LinkSetUp(l); err != nil {
		return nil, fmt.Errorf("up %s in %s: %w", ifname, n.Name, err)
	}
	return l.Attrs().HardwareAddr, nil
}

// vxlan adds a kernel VXLAN device in n over the interface dev, to the
// remote address, on UDP 4789, with addr on it, and brings it up. Like `ip
// link add NAME type vxlan id VNI dev DEV local L remote R dstport 4789
// nolearning`.
func vxlan(n *sim.Namespace, name string, vni int, dev string, local, remote netip.Addr, addr netip.Prefix) (net.HardwareAddr, error) {
	h := n.Netlink()
	parent, err := h.LinkByName(dev)
	if err != nil {
		return nil, fmt.Errorf("%s in %s: %w", dev, n.Name, err)
	}
	la := netlink.NewLinkAttrs()
	la.Name = name
	la.MTU = parent.Attrs().MTU - 50
	vx := &netlink.Vxlan{LinkAttrs: la, VxlanId: vni, VtepDevIndex: parent.Attrs().Index,
		SrcAddr: local.AsSlice(), Group: remote.AsSlice(), Port: sim.VXLANPort, Learning: false}
	if err := h.LinkAdd(vx); err != nil {
		return nil, fmt.Errorf("add vxlan %s in %s: %w", name, n.Name, err)
	}
	return setup(n, name, addr, la.MTU)
}

// index returns the interface index of ifname in n.
func index(n *sim.Namespace, ifname string) (int, error) {
	l, err := n.Netlink().LinkByName(ifname)
	if err != nil {
		return 0, fmt.Errorf("%s in %s: %w", ifname, n.Name, err)
	}
	return l.Attrs().Index, nil
}

// neigh adds a permanent neighbour entry (like `ip neigh replace IP lladdr
// MAC dev IFNAME nud permanent`), so no ARP runs during a trial.
func neigh(n *sim.Namespace, ifname string, ip netip.Addr, mac net.HardwareAddr) error {
	idx, err := index(n, ifname)
	if err != nil {
		return err
	}
	nb := &netlink.Neigh{LinkIndex: idx, IP: ip.AsSlice(), HardwareAddr: mac, State: netlink.NUD_PERMANENT, Family: netlink.FAMILY_V4}
	if err := n.Netlink().NeighSet(nb); err != nil {
		return fmt.Errorf("neighbour %s on %s in %s: %w", ip, ifname, n.Name, err)
	}
	return nil
}

// run runs argv inside n (like `ip netns exec NAME argv…`) and waits for
// it; the error carries its output.
func run(ctx context.Context, n *sim.Namespace, argv ...string) error {
	var out []byte
	err := n.Run(func() error {
		var err error
		out, err = exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
		return err
	})
	if err != nil {
		return fmt.Errorf("in %s: %s: %w: %s", n.Name, strings.Join(argv, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
