package sim

import (
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// The namespaces of a dual-stack VPC turn IPv6 back on, quietly: no router
// solicitations, no autoconfiguration from advertisements, no duplicate
// address detection (addresses are also added with nodad), and no
// link-local addresses, so an interface sends only what a program asks it
// to, its neighbour discovery and its multicast listener reports. Every
// address and route is set by the lab, as for IPv4.
var ipv6OnSysctls = []sysctl{
	{"net/ipv6/conf/default/accept_ra", "0"},
	{"net/ipv6/conf/default/autoconf", "0"},
	{"net/ipv6/conf/default/router_solicitations", "0"},
	{"net/ipv6/conf/default/dad_transmits", "0"},
	{"net/ipv6/conf/default/addr_gen_mode", "1"},
	{"net/ipv6/conf/all/accept_ra", "0"},
	{"net/ipv6/conf/all/autoconf", "0"},
	{"net/ipv6/conf/all/disable_ipv6", "0"},
	{"net/ipv6/conf/default/disable_ipv6", "0"},
}

// The dual-stack VPC router forwards IPv6 too.
var fabric6Sysctls = []sysctl{
	{"net/ipv6/conf/all/forwarding", "1"},
}

// ipv6Sysctls returns the settings that enable IPv6 in a namespace of VPC
// vpc (with extra), or nothing when the VPC is IPv4 only.
func (l *Lab) ipv6Sysctls(vpc string, extra []sysctl) []sysctl {
	v := l.topo.vpc(vpc)
	if v == nil || !v.DualStack() {
		return nil
	}
	return append(append([]sysctl(nil), ipv6OnSysctls...), extra...)
}

// addAddr6: ip addr add P dev LINK nodad.
func addAddr6(h *netlink.Handle, link netlink.Link, p netip.Prefix) error {
	if err := h.AddrAdd(link, &netlink.Addr{IPNet: ipNet(p), Flags: unix.IFA_F_NODAD}); err != nil {
		return fmt.Errorf("add address %s: %w", p, err)
	}
	return nil
}

// buildENI6 gives an ENI its IPv6 address and routes, as buildENI does for
// IPv4:
//
//	ip -n FABRIC -6 neigh replace IP6 lladdr IMAC dev BRIDGE nud permanent
//	ip -n INSTANCE addr add IP6/64 dev ENI nodad
//	ip -n INSTANCE -6 neigh replace GW6 lladdr RMAC dev ENI nud permanent
//	ip -n INSTANCE -6 route add default via GW6 dev ENI            (first ENI)
//
// and, for a later ENI, its subnet and default route in its own table with
// a rule for its source address.
func (l *Lab) buildENI6(f *Fabric, in *Instance, e *ENI, br *Bridge, pos int) error {
	if err := setNeigh(f.nl, br.Index, e.IPv6, e.MAC); err != nil {
		return fmt.Errorf("fabric neighbour %s on %s: %w", e.IPv6, br.Name, err)
	}
	link, err := in.nl.LinkByIndex(e.Index)
	if err != nil {
		return fmt.Errorf("find %s in %s: %w", e.IfName, in.NsName, err)
	}
	if err := addAddr6(in.nl, link, e.Prefix6); err != nil {
		return err
	}
	if err := setNeigh(in.nl, e.Index, e.Gateway6, br.MAC); err != nil {
		return fmt.Errorf("gateway neighbour %s: %w", e.Gateway6, err)
	}
	return routeENI(in.nl, e.Index, pos, e.Gateway6, e.IPv6, &netlink.Route{Dst: ipNet(e.Prefix6.Masked())})
}
