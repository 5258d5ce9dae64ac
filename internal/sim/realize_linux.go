package sim

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/subnetaddr"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/mirrorlab/mirrorlab/internal/sim/state"
)

const bridgeAgeing = 30000 // centiseconds (300 s), the usual switch default

// Realize builds the topology on the local kernel and returns the running
// lab. It validates and resolves the topology first (see Resolve), records
// the run in Options.StateDir before creating anything, and on any failure
// removes what it created and returns the failure joined with any clean-up
// error. Nothing is created in the caller's network namespace. It is an
// empty lab that Grow then brings to topo: a lab changed while it runs
// and one built at once are built by the same code.
func Realize(ctx context.Context, topo Topology, opts Options) (*Lab, error) {
	topo, err := topo.Resolve()
	if err != nil {
		return nil, fmt.Errorf("invalid topology: %w", err)
	}
	dir := cmp.Or(opts.StateDir, state.DefaultDir)
	l := &Lab{stateDir: dir, procs: map[*Process]struct{}{}}
	if err := l.record(opts.RunID, topo); err != nil {
		return nil, err
	}
	if err := l.Grow(ctx, topo); err != nil {
		return nil, errors.Join(err, l.Close())
	}
	return l, nil
}

// record picks the run id and writes the state file, listing every
// namespace of topo, which Grow is about to create: a reader of the file
// sees the whole lab from the start.
func (l *Lab) record(runID string, topo Topology) error {
	r, err := recordRun(l.stateDir, runID, func(id string) []string {
		g := &growth{vpcs: topo.VPCs, transits: topo.TransitGateways, instances: topo.Instances}
		return g.namespaces(id)
	})
	if err != nil {
		return err
	}
	l.runID, l.rec = r.RunID, r
	return nil
}

// recordRun picks a run id (runID, or a random free one when empty) and
// writes its state file under dir listing the namespaces names(id), before
// any of them exists, so Sweep removes what a killed run left.
func recordRun(dir, runID string, names func(id string) []string) (*state.Run, error) {
	pid, start, err := state.Self()
	if err != nil {
		return nil, fmt.Errorf("identify owner process: %w", err)
	}
	for try := 0; ; try++ {
		id := runID
		if id == "" {
			id = state.NewRunID()
		}
		if err := state.CheckRunID(id); err != nil {
			return nil, fmt.Errorf("options: %w", err)
		}
		r := &state.Run{RunID: id, PID: pid, StartTime: start, Created: time.Now().UTC(),
			Namespaces: names(id)}
		err := prefixFree(id)
		if err == nil {
			err = state.Create(dir, r)
		}
		if err == nil {
			return r, nil
		}
		if runID != "" || try == 4 {
			return nil, fmt.Errorf("start run %s: %w", id, err)
		}
	}
}

// prefixFree fails if some namespace already carries the run's prefix.
func prefixFree(id string) error {
	ents, err := os.ReadDir(state.NetnsDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("list namespaces: %w", err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), state.Prefix(id)) {
			return fmt.Errorf("namespace %s exists: run id %s is in use", e.Name(), id)
		}
	}
	return nil
}

func fabricNsName(id, vpc string) string    { return state.Prefix(id) + "fabric." + vpc }
func instanceNsName(id, inst string) string { return state.Prefix(id) + inst }

// macFor derives a locally administered unicast MAC from an IPv4 address:
// kind distinguishes the instance end (0x00), the fabric end (0x01) and the
// router (0xfe). Within one fabric every address is unique, so are the MACs.
func macFor(kind byte, ip netip.Addr) net.HardwareAddr {
	b := ip.As4()
	return net.HardwareAddr{0x02, kind, b[0], b[1], b[2], b[3]}
}

// buildFabric creates the VPC's namespace with a bridge per subnet; the
// bridge holds the subnet's gateway address.
// (l.topo holds v already.)
func (l *Lab) buildFabric(v VPCSpec) error {
	name := fabricNsName(l.runID, v.Name)
	ns, h, err := createNamespace(name, commonSysctls, fabricSysctls, l.ipv6Sysctls(v.Name, fabric6Sysctls))
	if err != nil {
		return err
	}
	f := &Fabric{VPC: v.Name, CIDR: v.CIDR, NsName: name, lab: l, ns: ns, nl: h}
	l.topoMu.Lock()
	l.created = append(l.created, name)
	l.fabrics = append(slices.Clip(l.fabrics), f)
	l.topoMu.Unlock()
	for _, s := range v.Subnets {
		if err := l.addBridge(f, s); err != nil {
			return fmt.Errorf("vpc %s: %w", v.Name, err)
		}
	}
	return nil
}

// addBridge adds subnet s's bridge to fabric f.
func (l *Lab) addBridge(f *Fabric, s SubnetSpec) error {
	n := f.bridges.take()
	b, err := buildBridge(f.nl, state.Prefix(l.runID)+"b"+strconv.Itoa(n), s)
	if err != nil {
		f.bridges.release(n)
		return fmt.Errorf("subnet %s: %w", s.Name, err)
	}
	b.num = n
	push(&l.topoMu, &f.Bridges, b)
	return nil
}

// buildBridge: ip link add NAME address MAC type bridge mcast_snooping 0
// ageing_time 30000; ip addr add GW/LEN dev NAME; ip link set NAME up.
func buildBridge(h *netlink.Handle, name string, s SubnetSpec) (*Bridge, error) {
	gw := subnetaddr.Gateway(s.CIDR)
	off, ageing := false, uint32(bridgeAgeing)
	la := netlink.NewLinkAttrs()
	la.Name, la.HardwareAddr = name, macFor(0xfe, gw)
	br := &netlink.Bridge{LinkAttrs: la, MulticastSnooping: &off, AgeingTime: &ageing}
	if err := h.LinkAdd(br); err != nil {
		return nil, fmt.Errorf("add bridge %s: %w", name, err)
	}
	link, err := h.LinkByName(name)
	if err != nil {
		return nil, fmt.Errorf("bridge %s: %w", name, err)
	}
	addr := &netlink.Addr{IPNet: ipNet(netip.PrefixFrom(gw, s.CIDR.Bits()))}
	if err := h.AddrAdd(link, addr); err != nil {
		return nil, fmt.Errorf("bridge %s: add address %s: %w", name, gw, err)
	}
	var gw6 netip.Addr
	if s.IPv6CIDR.IsValid() {
		gw6 = subnetaddr.Gateway(s.IPv6CIDR)
		if err := addAddr6(h, link, netip.PrefixFrom(gw6, s.IPv6CIDR.Bits())); err != nil {
			return nil, fmt.Errorf("bridge %s: %w", name, err)
		}
	}
	if err := h.LinkSetUp(link); err != nil {
		return nil, fmt.Errorf("bridge %s: up: %w", name, err)
	}
	return &Bridge{Subnet: s.Name, CIDR: s.CIDR, Name: name, Index: link.Attrs().Index,
		Gateway: gw, MAC: la.HardwareAddr, CIDR6: s.IPv6CIDR, Gateway6: gw6}, nil
}

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// buildENI creates the ENI's veth pair from the fabric namespace, the
// instance end directly inside the instance namespace:
//
//	ip -n FABRIC link add PEER mtu MTU address FMAC up master BRIDGE type veth \
//	    peer name ENI mtu MTU address IMAC netns INSTANCE
//	bridge -n FABRIC fdb replace IMAC dev PEER master static
//	ip -n FABRIC neigh replace IP lladdr IMAC dev BRIDGE nud permanent
//	ip -n INSTANCE link set ENI up; ip -n INSTANCE addr add IP/LEN dev ENI
//	ip -n INSTANCE neigh replace GW lladdr RMAC dev ENI nud permanent
//	ip -n INSTANCE route add default via GW dev ENI            (first ENI)
//
// A later ENI gets its own routing table (10000 + its position) with the
// subnet and a default route, selected by a rule for its source address, the
// way cloud images configure secondary interfaces.
func (l *Lab) buildENI(f *Fabric, in *Instance, es ENISpec, pos, port int) (*ENI, error) {
	e, err := l.newENI(f, in, es, port)
	if err != nil {
		return e, err
	}
	return e, l.configureENI(f, in, e, pos)
}

// newENI creates the veth pair and the fabric's entries for it.
func (l *Lab) newENI(f *Fabric, in *Instance, es ENISpec, port int) (*ENI, error) {
	br := f.Bridge(es.Subnet)
	sub := l.topo.vpc(f.VPC).subnet(es.Subnet)
	e := &ENI{Name: es.Name, Instance: in.Name, VPC: f.VPC, Subnet: es.Subnet,
		IfName: es.Name, MAC: macFor(0x00, es.IP), IP: es.IP,
		Prefix: netip.PrefixFrom(es.IP, sub.CIDR.Bits()), Gateway: br.Gateway, MTU: es.MTU,
		PeerName: state.Prefix(l.runID) + "p" + strconv.Itoa(port), PeerMAC: macFor(0x01, es.IP),
		Bridge: br.Name, port: port}
	if es.IPv6.IsValid() {
		e.IPv6, e.Prefix6, e.Gateway6 = es.IPv6, netip.PrefixFrom(es.IPv6, sub.IPv6CIDR.Bits()), br.Gateway6
	}

	la := netlink.NewLinkAttrs()
	la.Name, la.MTU, la.HardwareAddr, la.MasterIndex, la.Flags = e.PeerName, e.MTU, e.PeerMAC, br.Index, net.FlagUp
	veth := &netlink.Veth{LinkAttrs: la, PeerName: e.IfName, PeerHardwareAddr: e.MAC,
		PeerNamespace: netlink.NsFd(int(in.ns)), PeerTxQLen: -1}
	if err := f.nl.LinkAdd(veth); err != nil {
		return nil, fmt.Errorf("add veth %s (peer %s in %s): %w", e.PeerName, e.IfName, in.NsName, err)
	}
	e.PeerIndex = veth.Attrs().Index
	fdb := &netlink.Neigh{LinkIndex: e.PeerIndex, Family: unix.AF_BRIDGE, Flags: netlink.NTF_MASTER,
		State: netlink.NUD_NOARP, HardwareAddr: e.MAC}
	if err := f.nl.NeighSet(fdb); err != nil {
		return e, fmt.Errorf("fdb entry %s on %s: %w", e.MAC, e.PeerName, err)
	}
	if err := setNeigh(f.nl, br.Index, e.IP, e.MAC); err != nil {
		return e, fmt.Errorf("fabric neighbour %s on %s: %w", e.IP, br.Name, err)
	}
	return e, nil
}

// configureENI configures the instance end of e, the instance's pos-th
// ENI.
func (l *Lab) configureENI(f *Fabric, in *Instance, e *ENI, pos int) error {
	br := f.Bridge(e.Subnet)
	sub := l.topo.vpc(f.VPC).subnet(e.Subnet)
	link, err := in.nl.LinkByName(e.IfName)
	if err != nil {
		return fmt.Errorf("find %s in %s: %w", e.IfName, in.NsName, err)
	}
	e.Index = link.Attrs().Index
	if err := in.nl.LinkSetUp(link); err != nil {
		return fmt.Errorf("up %s: %w", e.IfName, err)
	}
	if err := in.nl.AddrAdd(link, &netlink.Addr{IPNet: ipNet(e.Prefix)}); err != nil {
		return fmt.Errorf("add address %s: %w", e.Prefix, err)
	}
	if err := setNeigh(in.nl, e.Index, e.Gateway, br.MAC); err != nil {
		return fmt.Errorf("gateway neighbour %s: %w", e.Gateway, err)
	}
	if e.IPv6.IsValid() {
		if err := l.buildENI6(f, in, e, br, pos); err != nil {
			return err
		}
	}
	return routeENI(in.nl, e.Index, pos, e.Gateway, e.IP, &netlink.Route{Dst: ipNet(sub.CIDR), Src: e.IP.AsSlice(), Scope: netlink.SCOPE_LINK})
}

// routeENI routes through the instance's pos-th ENI (link index) for the
// family of gw: the first ENI holds the default route via gw; a later one
// its subnet route (subnet, its link and table set here) and a default
// route in table 10000+pos, chosen by a rule for its address src.
func routeENI(nl *netlink.Handle, index, pos int, gw, src netip.Addr, subnet *netlink.Route) error {
	family := 0 // IPv4: netlink's default
	if gw.Is6() {
		family = unix.AF_INET6
	}
	if pos == 0 {
		if err := nl.RouteAdd(&netlink.Route{LinkIndex: index, Gw: gw.AsSlice(), Family: family}); err != nil {
			return fmt.Errorf("default route via %s: %w", gw, err)
		}
		return nil
	}
	table := 10000 + pos
	subnet.LinkIndex, subnet.Table, subnet.Family = index, table, family
	for _, r := range []*netlink.Route{subnet, {LinkIndex: index, Gw: gw.AsSlice(), Table: table, Family: family}} {
		if err := nl.RouteAdd(r); err != nil {
			return fmt.Errorf("route %v in table %d: %w", r, table, err)
		}
	}
	rule := netlink.NewRule()
	rule.Family = family
	rule.Src, rule.Table, rule.Priority = ipNet(netip.PrefixFrom(src, src.BitLen())), table, 1000+pos
	if err := nl.RuleAdd(rule); err != nil {
		return fmt.Errorf("rule from %s table %d: %w", src, table, err)
	}
	return nil
}
