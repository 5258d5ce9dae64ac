package sim

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/mirrorlab/mirrorlab/internal/sim/state"
)

// Shrink removes from the running lab what t lacks (by name), without
// touching the rest: instances (their programs stopped, their ENIs' veth
// pairs and the fabric's entries for them deleted, their namespace
// deleted), transit gateways, peerings, subnets and VPCs, in that order.
// Each removal undoes what its addition did, and the state file forgets a
// namespace once it is gone. A subnet that still has ENIs, or a VPC that
// still has instances, is refused. It returns every error, joined.
func (l *Lab) Shrink(t Topology) error {
	l.changeMu.Lock()
	defer l.changeMu.Unlock()
	if l.isClosing() {
		return errClosed
	}
	var errs []error
	keepInst := map[string]*InstanceSpec{}
	for i := range t.Instances {
		keepInst[t.Instances[i].Name] = &t.Instances[i]
	}
	for _, in := range l.Instances() {
		switch spec := keepInst[in.Name]; {
		case spec == nil:
			errs = append(errs, l.removeInstance(in))
		case len(spec.ENIs) < len(in.ENIs):
			errs = append(errs, l.detachENIs(in, len(spec.ENIs)))
		}
	}
	for _, g := range l.TransitGateways() {
		if t.transit(g.Name) == nil {
			errs = append(errs, l.removeTransitGateway(g))
		}
	}
	keepPeer := map[string]bool{}
	for _, p := range t.Peerings {
		keepPeer[p.Name] = true
	}
	for _, p := range l.Peerings() {
		if !keepPeer[p.Name] {
			errs = append(errs, l.removePeering(p))
		}
	}
	for _, f := range l.Fabrics() {
		v := t.vpc(f.VPC)
		for _, b := range f.bridgesNow() {
			if v == nil || v.subnet(b.Subnet) == nil {
				errs = append(errs, l.removeBridge(f, b))
			}
		}
		if v == nil {
			errs = append(errs, l.removeFabric(f))
		}
	}
	return errors.Join(errs...)
}

// push appends x to *list under mu, never into the array of a copy a
// reader holds (copyOf copies, bridgesNow does not).
func push[T any](mu *sync.RWMutex, list *[]T, x T) {
	mu.Lock()
	*list = append(slices.Clip(*list), x)
	mu.Unlock()
}

// drop removes x from *list under mu, into a new array: the old one may be
// in a copy a reader holds (copyOf copies, bridgesNow does not).
func drop[T comparable](mu *sync.RWMutex, list *[]T, x T) {
	mu.Lock()
	*list = slices.DeleteFunc(slices.Clone(*list), func(o T) bool { return o == x })
	mu.Unlock()
}

func (f *Fabric) bridgesNow() []*Bridge {
	f.lab.topoMu.RLock()
	defer f.lab.topoMu.RUnlock()
	return f.Bridges
}

// removeInstance stops the instance's programs, kills what else runs in
// it, deletes its ENIs (veth pairs, with the fabric's neighbour entries)
// and its namespace, and forgets it.
func (l *Lab) removeInstance(in *Instance) error {
	if in == nil {
		return nil
	}
	errs := []error{l.stopProcs(in.Name)}
	if _, err := state.KillInNamespaces([]string{in.NsName}, StopGrace); err != nil {
		errs = append(errs, err)
	}
	f := l.Fabric(in.VPC)
	for _, e := range in.ENIs {
		errs = append(errs, l.removeENI(f, e))
	}
	l.setTopo(func(t *Topology) {
		t.Instances = slices.DeleteFunc(t.Instances, func(s InstanceSpec) bool { return s.Name == in.Name })
	})
	drop(&l.topoMu, &l.instances, in)
	return l.closeNamespace(in.nl, &in.ns, in.NsName, errs, "instance "+in.Name)
}

// detachENIs removes the ENIs of instance in from the keep-th on (the
// last first), undoing attachENIs: the routing rule of each (its table's
// routes go with its link) and the ENI itself.
func (l *Lab) detachENIs(in *Instance, keep int) error {
	f := l.Fabric(in.VPC)
	var errs []error
	for pos := len(in.ENIs) - 1; pos >= keep; pos-- {
		e := in.ENIs[pos]
		if pos > 0 {
			errs = append(errs, delRule(in.nl, netip.PrefixFrom(e.IP, 32), pos))
			if e.IPv6.IsValid() {
				errs = append(errs, delRule(in.nl, netip.PrefixFrom(e.IPv6, 128), pos))
			}
		}
		errs = append(errs, l.removeENI(f, e))
		l.topoMu.Lock()
		in.ENIs = slices.Clone(in.ENIs[:pos])
		l.topoMu.Unlock()
	}
	l.setTopo(func(t *Topology) {
		for i := range t.Instances {
			if s := &t.Instances[i]; s.Name == in.Name {
				s.ENIs = s.ENIs[:keep]
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("instance %s: detach: %w", in.Name, err)
	}
	return nil
}

// delRule: ip rule del from SRC table 10000+pos priority 1000+pos (as
// configureENI and buildENI6 add it for the pos-th ENI).
func delRule(h *netlink.Handle, src netip.Prefix, pos int) error {
	rule := netlink.NewRule()
	if src.Addr().Is6() {
		rule.Family = unix.AF_INET6
	}
	rule.Src, rule.Table, rule.Priority = ipNet(src), 10000+pos, 1000+pos
	if err := h.RuleDel(rule); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("rule from %s: %w", src, err)
	}
	return nil
}

// removeENI undoes newENI (and buildENI6's fabric side): the fabric's
// neighbour entries for the ENI's addresses and the veth pair (whose fdb
// entry goes with its port).
func (l *Lab) removeENI(f *Fabric, e *ENI) error {
	var errs []error
	if br := f.Bridge(e.Subnet); br != nil {
		ips := []netip.Addr{e.IP}
		if e.IPv6.IsValid() {
			ips = append(ips, e.IPv6)
		}
		for _, ip := range ips {
			fam := unix.AF_INET
			if ip.Is6() {
				fam = unix.AF_INET6
			}
			nb := &netlink.Neigh{LinkIndex: br.Index, Family: fam, IP: ip.AsSlice()}
			if err := f.nl.NeighDel(nb); err != nil && !errors.Is(err, unix.ENOENT) {
				errs = append(errs, fmt.Errorf("fabric neighbour %s on %s: %w", ip, br.Name, err))
			}
		}
	}
	la := netlink.NewLinkAttrs()
	la.Name, la.Index = e.PeerName, e.PeerIndex
	if err := f.nl.LinkDel(&netlink.Veth{LinkAttrs: la}); err != nil && !errors.Is(err, unix.ENODEV) {
		errs = append(errs, fmt.Errorf("delete veth %s: %w", e.PeerName, err))
	}
	drop(&l.topoMu, &f.enis, e)
	f.ports.release(e.port)
	return errors.Join(errs...)
}

// stopProcs stops the programs started in instance name (SIGTERM, SIGKILL
// after StopGrace), concurrently.
func (l *Lab) stopProcs(name string) error {
	l.mu.Lock()
	var procs []*Process
	for p := range l.procs {
		if p.Instance == name {
			procs = append(procs, p)
		}
	}
	l.mu.Unlock()
	return errors.Join(stopAll(procs)...)
}

// stopAll stops procs concurrently (see Process.Stop, with StopGrace)
// and returns each one's error.
func stopAll(procs []*Process) []error {
	errs := make([]error, len(procs))
	var wg sync.WaitGroup
	for i, p := range procs {
		wg.Go(func() { errs[i] = p.Stop(StopGrace) })
	}
	wg.Wait()
	return errs
}

// closeNamespace ends what owns a namespace: closes its netlink handle,
// drops the namespace (dropNamespace) and joins what failed to errs, in
// one error that says what was removed.
func (l *Lab) closeNamespace(nl *netlink.Handle, ns *netns.NsHandle, name string, errs []error, what string) error {
	nl.Close()
	if err := errors.Join(append(errs, l.dropNamespace(ns, name))...); err != nil {
		return fmt.Errorf("remove %s: %w", what, err)
	}
	return nil
}

// dropNamespace closes the handle (none is entered from then on, see
// enter), deletes the namespace and forgets it in the state file.
func (l *Lab) dropNamespace(ns *netns.NsHandle, name string) error {
	l.mu.Lock()
	h := *ns
	*ns = netns.None()
	l.mu.Unlock()
	errs := []error{closeNS(h, name), state.DeleteNamespace(name)}
	drop(&l.topoMu, &l.created, name)
	if err := errors.Join(errs...); err != nil {
		return err // still recorded: a sweep finishes it
	}
	return l.forgetNamespaces(name)
}

// removeTransitGateway deletes its links (from the fabrics' side, so
// their routes go at once) and its namespace.
func (l *Lab) removeTransitGateway(g *TransitGateway) error {
	if g == nil {
		return nil
	}
	var errs []error
	for i, name := range g.Links {
		if f := l.Fabric(g.VPCs[i]); f != nil {
			errs = append(errs, delLink(f.nl, name))
		}
	}
	for _, n := range g.nums {
		l.tgwNums.release(n)
	}
	l.setTopo(func(t *Topology) {
		t.TransitGateways = slices.DeleteFunc(t.TransitGateways, func(s TransitGatewaySpec) bool { return s.Name == g.Name })
	})
	drop(&l.topoMu, &l.transits, g)
	return l.closeNamespace(g.nl, &g.ns, g.NsName, errs, "transit gateway "+g.Name)
}

// transit returns the realised transit gateway named name, or nil.
func (l *Lab) transit(name string) *TransitGateway {
	return find(&l.topoMu, &l.transits, func(g *TransitGateway) bool { return g.Name == name })
}

// removePeering deletes the peering's veth pair (both ends, and the routes
// through them).
func (l *Lab) removePeering(p *Peering) error {
	var err error
	if f := l.Fabric(p.VPCs[0]); f != nil {
		err = delLink(f.nl, p.IfName)
	}
	l.peerNums.release(p.num)
	l.setTopo(func(t *Topology) {
		t.Peerings = slices.DeleteFunc(t.Peerings, func(s PeeringSpec) bool { return s.Name == p.Name })
	})
	drop(&l.topoMu, &l.peerings, p)
	if err != nil {
		return fmt.Errorf("remove peering %s: %w", p.Name, err)
	}
	return nil
}

// delLink: ip link del NAME (gone already: nothing to do).
func delLink(h *netlink.Handle, name string) error {
	link, err := h.LinkByName(name)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return nil
		}
		return fmt.Errorf("find %s: %w", name, err)
	}
	if err := h.LinkDel(link); err != nil && !errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	return nil
}

// removeBridge deletes a subnet's bridge (its address and routes go with
// it); a subnet with ENIs is refused.
func (l *Lab) removeBridge(f *Fabric, b *Bridge) error {
	for _, e := range f.ENIs() {
		if e.Subnet == b.Subnet {
			return fmt.Errorf("remove subnet %s: instance %s still has ENI %s in it", b.Subnet, e.Instance, e.Name)
		}
	}
	if err := delLink(f.nl, b.Name); err != nil {
		return fmt.Errorf("remove subnet %s: %w", b.Subnet, err)
	}
	f.bridges.release(b.num)
	l.setTopo(func(t *Topology) {
		v := t.vpc(f.VPC)
		v.Subnets = slices.DeleteFunc(slices.Clone(v.Subnets), func(s SubnetSpec) bool { return s.Name == b.Subnet })
	})
	drop(&l.topoMu, &f.Bridges, b)
	return nil
}

// removeFabric deletes a VPC's namespace; a VPC with instances, peerings
// or transit gateway attachments is refused.
func (l *Lab) removeFabric(f *Fabric) error {
	for _, in := range l.Instances() {
		if in.VPC == f.VPC {
			return fmt.Errorf("remove vpc %s: instance %s is still in it", f.VPC, in.Name)
		}
	}
	for _, p := range l.Peerings() {
		if slices.Contains(p.VPCs[:], f.VPC) {
			return fmt.Errorf("remove vpc %s: peering %s still joins it", f.VPC, p.Name)
		}
	}
	for _, g := range l.TransitGateways() {
		if slices.Contains(g.VPCs, f.VPC) {
			return fmt.Errorf("remove vpc %s: transit gateway %s is still attached to it", f.VPC, g.Name)
		}
	}
	l.setTopo(func(t *Topology) {
		t.VPCs = slices.DeleteFunc(t.VPCs, func(v VPCSpec) bool { return v.Name == f.VPC })
	})
	drop(&l.topoMu, &l.fabrics, f)
	return l.closeNamespace(f.nl, &f.ns, f.NsName, nil, "vpc "+f.VPC)
}
