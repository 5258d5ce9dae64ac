package sim

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"

	"github.com/mirrorlab/mirrorlab/internal/subnetaddr"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/mirrorlab/mirrorlab/internal/sim/state"
)

func transitNsName(id, tgw string) string { return state.Prefix(id) + "tgw." + tgw }

// buildTransitGateway creates the transit gateway's namespace and, per
// attached VPC (n counts the lab's attachments, from first):
//
//	ip -n FABRIC link add ml<id>-tN mtu 9001 up type veth peer name ml<id>-tN mtu 9001 netns TGW
//	ip -n TGW neigh replace GW_V lladdr MAC_FABRIC_END dev ml<id>-tN nud permanent
//	ip -n TGW route add CIDR_V via GW_V dev ml<id>-tN onlink
//	ip -n FABRIC neigh replace GW_W lladdr MAC_TGW_END dev ml<id>-tN nud permanent   # every other attached W
//	ip -n FABRIC route add CIDR_W via GW_W dev ml<id>-tN onlink
//
// (GW_x: the VPC's base + 1, as for peerings: no address is added.) The
// IPv6 CIDRs of dual-stack VPCs are routed the same way between them.
func (l *Lab) buildTransitGateway(g TransitGatewaySpec) (*TransitGateway, error) {
	name := transitNsName(l.runID, g.Name)
	var v6 []sysctl
	for _, vpc := range g.VPCs {
		if l.topo.vpc(vpc).DualStack() {
			v6 = append(append([]sysctl(nil), ipv6OnSysctls...), fabric6Sysctls...)
		}
	}
	ns, h, err := createNamespace(name, commonSysctls, fabricSysctls, v6)
	if err != nil {
		return nil, err
	}
	tg := &TransitGateway{Name: g.Name, NsName: name, VPCs: append([]string(nil), g.VPCs...), ns: ns, nl: h}
	l.topoMu.Lock()
	l.created = append(l.created, name)
	l.transits = append(slices.Clip(l.transits), tg)
	l.topoMu.Unlock()
	type att struct {
		f       *Fabric
		fab, tg netlink.Link
	}
	var atts []att
	for _, vpc := range g.VPCs {
		f := l.Fabric(vpc)
		num := l.tgwNums.take()
		tg.nums = append(tg.nums, num)
		ifname := state.Prefix(l.runID) + "t" + strconv.Itoa(num)
		la := netlink.NewLinkAttrs()
		la.Name, la.MTU, la.Flags = ifname, MaxMTU, net.FlagUp
		veth := &netlink.Veth{LinkAttrs: la, PeerName: ifname, PeerNamespace: netlink.NsFd(int(ns)), PeerMTU: MaxMTU, PeerTxQLen: -1}
		if err := f.nl.LinkAdd(veth); err != nil {
			return nil, fmt.Errorf("attach %s: add veth %s (peer in %s): %w", vpc, ifname, name, err)
		}
		a := att{f: f}
		if a.fab, err = f.nl.LinkByName(ifname); err == nil {
			a.tg, err = h.LinkByName(ifname)
		}
		if err == nil {
			err = h.LinkSetUp(a.tg)
		}
		if err != nil {
			return nil, fmt.Errorf("attach %s: %s: %w", vpc, ifname, err)
		}
		tg.Links = append(tg.Links, ifname)
		atts = append(atts, a)
	}
	// The IPv4 CIDR of each attached VPC, and the IPv6 one of each
	// dual-stack VPC to the other dual-stack ones.
	cidrs := func(vpc string) (out []netip.Prefix) {
		v := l.topo.vpc(vpc)
		if out = append(out, v.CIDR); v.DualStack() {
			out = append(out, v.IPv6CIDR)
		}
		return out
	}
	for i, a := range atts {
		for _, c := range cidrs(a.f.VPC) {
			if err := onlinkRoute(h, a.tg, c, a.fab.Attrs().HardwareAddr); err != nil {
				return nil, fmt.Errorf("in %s: %w", name, err)
			}
		}
		for j, o := range atts {
			if i == j {
				continue
			}
			for _, c := range cidrs(o.f.VPC) {
				if c.Addr().Is6() && !l.topo.vpc(a.f.VPC).DualStack() {
					continue
				}
				if err := onlinkRoute(a.f.nl, a.fab, c, a.tg.Attrs().HardwareAddr); err != nil {
					return nil, fmt.Errorf("in %s: %w", a.f.NsName, err)
				}
			}
		}
	}
	return tg, nil
}

// setNeigh: ip neigh replace IP lladdr MAC dev LINK nud permanent (IPv4 or
// IPv6), in h.
func setNeigh(h *netlink.Handle, link int, ip netip.Addr, mac net.HardwareAddr) error {
	fam := unix.AF_INET
	if ip.Is6() {
		fam = unix.AF_INET6
	}
	return h.NeighSet(&netlink.Neigh{LinkIndex: link, Family: fam, State: netlink.NUD_PERMANENT, IP: ip.AsSlice(), HardwareAddr: mac})
}

// onlinkRoute: ip neigh replace GW lladdr MAC dev LINK nud permanent; ip
// route add CIDR via GW dev LINK onlink (GW: CIDR's base + 1; IPv4 or
// IPv6).
func onlinkRoute(h *netlink.Handle, link netlink.Link, cidr netip.Prefix, mac net.HardwareAddr) error {
	gw, idx := subnetaddr.Gateway(cidr), link.Attrs().Index
	if err := setNeigh(h, idx, gw, mac); err != nil {
		return fmt.Errorf("neighbour %s on %s: %w", gw, link.Attrs().Name, err)
	}
	r := &netlink.Route{LinkIndex: idx, Dst: ipNet(cidr), Gw: gw.AsSlice(), Flags: int(netlink.FLAG_ONLINK)}
	if err := h.RouteAdd(r); err != nil {
		return fmt.Errorf("route %s via %s dev %s: %w", cidr, gw, link.Attrs().Name, err)
	}
	return nil
}
