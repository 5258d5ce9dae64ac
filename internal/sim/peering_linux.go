package sim

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"github.com/vishvananda/netlink"

	"github.com/mirrorlab/mirrorlab/internal/sim/state"
)

// buildPeering joins the fabrics of the peering's two VPCs with a veth
// pair (both ends named ml<id>-x<n>, one in each fabric namespace) and
// routes each VPC's CIDR through it from the other:
//
//	ip -n FABRIC_A link add ml<id>-xN mtu 9001 up type veth peer name ml<id>-xN mtu 9001 netns FABRIC_B
//	ip -n FABRIC_B link set ml<id>-xN up
//	ip -n FABRIC_A neigh replace GW_B lladdr MAC_B dev ml<id>-xN nud permanent
//	ip -n FABRIC_A route add CIDR_B via GW_B dev ml<id>-xN onlink
//	(and the same from B to A)
//
// When both VPCs are dual-stack, their IPv6 CIDRs are routed the same way.
// GW_x is the first address after the VPC's base (a subnet gateway's
// place): no address is added to either end, so the link adds no range
// that could collide with the VPCs'. A packet is routed by the source
// VPC's router, crosses the link, and is routed again by the peer's.
func (l *Lab) buildPeering(n int, p PeeringSpec) (*Peering, error) {
	fs := [2]*Fabric{l.Fabric(p.VPCs[0]), l.Fabric(p.VPCs[1])}
	name := state.Prefix(l.runID) + "x" + strconv.Itoa(n)
	la := netlink.NewLinkAttrs()
	la.Name, la.MTU, la.Flags = name, MaxMTU, net.FlagUp
	veth := &netlink.Veth{LinkAttrs: la, PeerName: name, PeerNamespace: netlink.NsFd(int(fs[1].ns)),
		PeerMTU: MaxMTU, PeerTxQLen: -1}
	if err := fs[0].nl.LinkAdd(veth); err != nil {
		return nil, fmt.Errorf("add veth %s (peer in %s): %w", name, fs[1].NsName, err)
	}
	var links [2]netlink.Link
	for k, f := range fs {
		link, err := f.nl.LinkByName(name)
		if err != nil {
			return nil, fmt.Errorf("find %s in %s: %w", name, f.NsName, err)
		}
		if err := f.nl.LinkSetUp(link); err != nil {
			return nil, fmt.Errorf("up %s in %s: %w", name, f.NsName, err)
		}
		links[k] = link
	}
	v6 := l.topo.vpc(p.VPCs[0]).DualStack() && l.topo.vpc(p.VPCs[1]).DualStack()
	for k, f := range fs {
		peer := l.topo.vpc(fs[1-k].VPC)
		cidrs := []netip.Prefix{peer.CIDR}
		if v6 {
			cidrs = append(cidrs, peer.IPv6CIDR)
		}
		for _, c := range cidrs {
			if err := onlinkRoute(f.nl, links[k], c, links[1-k].Attrs().HardwareAddr); err != nil {
				return nil, fmt.Errorf("in %s: %w", f.NsName, err)
			}
		}
	}
	return &Peering{Name: p.Name, VPCs: p.VPCs, IfName: name}, nil
}
