package sim

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// Grow brings what t has and the running lab lacks into the lab, without
// touching the rest: VPCs (a fabric namespace each), subnets (a bridge
// each), instances (a namespace each, with its ENIs), peerings and transit
// gateways. An instance or a transit gateway that t describes otherwise
// than the lab has it (other ENIs, other attachments) is rebuilt. Every
// namespace is recorded in the run's state file before it is created.
// Grow returns once the new ENIs and links carry traffic. What t lacks is
// left to Shrink, so a caller can move the users of the old parts over in
// between. On failure, what was built stays in the lab (Close removes
// it).
func (l *Lab) Grow(ctx context.Context, t Topology) error {
	if len(t.VPCs) == 0 && len(t.Instances) == 0 {
		return nil // nothing to add; Validate wants a VPC
	}
	t, err := t.Resolve()
	if err != nil {
		return fmt.Errorf("invalid topology: %w", err)
	}
	l.changeMu.Lock()
	defer l.changeMu.Unlock()
	if l.isClosing() {
		return errClosed
	}
	g := l.growPlan(t)
	if err := l.checkVPCs(t); err != nil {
		return err
	}
	for _, name := range g.rebuildInstances {
		if err := l.removeInstance(l.Instance(name)); err != nil {
			return err
		}
	}
	for _, name := range g.rebuildTransits {
		if err := l.removeTransitGateway(l.transit(name)); err != nil {
			return err
		}
	}
	if err := l.recordNamespaces(g.namespaces(l.runID)); err != nil {
		return err
	}
	return l.grow(ctx, g)
}

// checkVPCs refuses a VPC or subnet that t describes with other addresses
// than the lab has: a VPC's and a subnet's CIDRs never change.
func (l *Lab) checkVPCs(t Topology) error {
	for _, v := range t.VPCs {
		old := l.topo.vpc(v.Name)
		if old == nil {
			continue
		}
		if old.CIDR != v.CIDR || old.IPv6CIDR != v.IPv6CIDR {
			return fmt.Errorf("vpc %s: its CIDRs changed (%s %s to %s %s): a running lab cannot renumber a VPC", v.Name, old.CIDR, old.IPv6CIDR, v.CIDR, v.IPv6CIDR)
		}
		for _, s := range v.Subnets {
			if o := old.subnet(s.Name); o != nil && *o != s {
				return fmt.Errorf("vpc %s: subnet %s: its CIDRs changed: a running lab cannot renumber a subnet", v.Name, s.Name)
			}
		}
	}
	return nil
}

// growth is what Grow adds.
type growth struct {
	vpcs             []VPCSpec
	subnets          map[string][]SubnetSpec // of VPCs the lab has, by VPC
	peerings         []PeeringSpec
	transits         []TransitGatewaySpec
	instances        []InstanceSpec
	attach           []attachment
	rebuildInstances []string
	rebuildTransits  []string
}

func (g *growth) namespaces(id string) []string {
	var out []string
	for _, v := range g.vpcs {
		out = append(out, fabricNsName(id, v.Name))
	}
	for _, t := range g.transits {
		out = append(out, transitNsName(id, t.Name))
	}
	for _, in := range g.instances {
		out = append(out, instanceNsName(id, in.Name))
	}
	return out
}

// growPlan compares t with the lab. It costs a map lookup per resource of
// t, plus a comparison of the specs that both have.
func (l *Lab) growPlan(t Topology) *growth {
	g := &growth{subnets: map[string][]SubnetSpec{}}
	for _, v := range t.VPCs {
		old := l.topo.vpc(v.Name)
		if old == nil {
			g.vpcs = append(g.vpcs, v)
			continue
		}
		for _, s := range v.Subnets {
			if old.subnet(s.Name) == nil {
				g.subnets[v.Name] = append(g.subnets[v.Name], s)
			}
		}
	}
	peerings := map[string]PeeringSpec{}
	for _, p := range l.topo.Peerings {
		peerings[p.Name] = p
	}
	for _, p := range t.Peerings {
		if _, ok := peerings[p.Name]; !ok {
			g.peerings = append(g.peerings, p)
		}
	}
	for _, tg := range t.TransitGateways {
		old := l.topo.transit(tg.Name)
		if old == nil || !slices.Equal(old.VPCs, tg.VPCs) {
			g.transits = append(g.transits, tg)
		}
		if old != nil && !slices.Equal(old.VPCs, tg.VPCs) {
			g.rebuildTransits = append(g.rebuildTransits, tg.Name)
		}
	}
	instances := make(map[string]*InstanceSpec, len(l.topo.Instances))
	for i := range l.topo.Instances {
		instances[l.topo.Instances[i].Name] = &l.topo.Instances[i]
	}
	for _, in := range t.Instances {
		old := instances[in.Name]
		switch {
		case old == nil:
			g.instances = append(g.instances, in)
		case old.VPC != in.VPC || old.Appliance != in.Appliance:
			g.rebuildInstances = append(g.rebuildInstances, in.Name)
			g.instances = append(g.instances, in)
		case isPrefix(in.ENIs, old.ENIs):
			// The same, or ENIs detached at the end: Shrink's.
		case isPrefix(old.ENIs, in.ENIs):
			g.attach = append(g.attach, attachment{in.Name, in.ENIs[len(old.ENIs):]})
		default:
			g.rebuildInstances = append(g.rebuildInstances, in.Name)
			g.instances = append(g.instances, in)
		}
	}
	return g
}

// isPrefix says whether a is b or its beginning.
func isPrefix(a, b []ENISpec) bool {
	return len(a) <= len(b) && slices.Equal(a, b[:len(a)])
}

// attachment is ENIs added at the end of an instance's (an interface
// attached to a running instance): they are added to it, the rest of it
// untouched.
type attachment struct {
	instance string
	enis     []ENISpec
}

// transit returns the transit gateway spec named name, or nil.
func (t *Topology) transit(name string) *TransitGatewaySpec {
	for i := range t.TransitGateways {
		if t.TransitGateways[i].Name == name {
			return &t.TransitGateways[i]
		}
	}
	return nil
}

// grow builds g, in dependency order, then waits for its ENIs and links
// to carry traffic. The lab's topology takes all of g at once (one copy,
// however many instances a lab is built with).
func (l *Lab) grow(ctx context.Context, g *growth) error {
	l.setTopo(func(t *Topology) { g.addTo(t) })
	for _, v := range g.vpcs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := l.buildFabric(v); err != nil {
			return err
		}
	}
	if err := l.growSubnets(g.subnets); err != nil {
		return err
	}
	for _, p := range g.peerings {
		if err := l.addPeering(p); err != nil {
			return err
		}
	}
	for _, tg := range g.transits {
		if _, err := l.buildTransitGateway(tg); err != nil {
			return fmt.Errorf("transit gateway %s: %w", tg.Name, err)
		}
	}
	enis, err := l.addInstances(ctx, g.instances)
	if err != nil {
		return err
	}
	for _, a := range g.attach {
		added, err := l.attachENIs(l.Instance(a.instance), a.enis, nil)
		enis = append(enis, added...)
		if err != nil {
			return err
		}
	}
	return l.awaitNew(ctx, enis, g)
}

// addTo adds g's specs to t (a copy: see setTopo).
func (g *growth) addTo(t *Topology) {
	for _, v := range g.vpcs {
		t.VPCs = append(t.VPCs, cloneVPC(v))
	}
	for i := range t.VPCs {
		t.VPCs[i].Subnets = append(t.VPCs[i].Subnets, g.subnets[t.VPCs[i].Name]...)
	}
	t.Peerings = append(t.Peerings, g.peerings...)
	for _, tg := range g.transits {
		t.TransitGateways = append(t.TransitGateways, TransitGatewaySpec{Name: tg.Name, VPCs: slices.Clone(tg.VPCs)})
	}
	for _, in := range g.instances {
		in.ENIs = slices.Clone(in.ENIs)
		t.Instances = append(t.Instances, in)
	}
	for _, a := range g.attach {
		for i := range t.Instances {
			if in := &t.Instances[i]; in.Name == a.instance {
				in.ENIs = append(in.ENIs, a.enis...)
			}
		}
	}
}

func cloneVPC(v VPCSpec) VPCSpec {
	v.Subnets = slices.Clone(v.Subnets)
	return v
}

// setTopo changes the lab's topology under its lock, on a copy of the
// slices it changes (readers may hold the old ones).
func (l *Lab) setTopo(f func(*Topology)) {
	l.topoMu.Lock()
	defer l.topoMu.Unlock()
	l.topo = l.topo.clone()
	f(&l.topo)
}

func (l *Lab) growSubnets(subnets map[string][]SubnetSpec) error {
	for _, v := range l.topo.VPCs {
		for _, s := range subnets[v.Name] {
			if err := l.addBridge(l.Fabric(v.Name), s); err != nil {
				return fmt.Errorf("vpc %s: %w", v.Name, err)
			}
		}
	}
	return nil
}

func (l *Lab) addPeering(p PeeringSpec) error {
	n := l.peerNums.take()
	pe, err := l.buildPeering(n, p)
	if err != nil {
		l.peerNums.release(n)
		l.setTopo(func(t *Topology) {
			t.Peerings = slices.DeleteFunc(t.Peerings, func(o PeeringSpec) bool { return o.Name == p.Name })
		})
		return fmt.Errorf("peering %s: %w", p.Name, err)
	}
	pe.num = n
	push(&l.topoMu, &l.peerings, pe)
	return nil
}

// addInstance creates the instance's namespace (recorded already) and its
// ENIs (the lab's topology has the instance already).
func (l *Lab) addInstance(spec InstanceSpec, configure *configurer) (*Instance, error) {
	name := instanceNsName(l.runID, spec.Name)
	ns, h, err := createNamespace(name, commonSysctls, instanceSysctls, l.ipv6Sysctls(spec.VPC, nil))
	if err != nil {
		return nil, err
	}
	in := &Instance{Name: spec.Name, VPC: spec.VPC, Appliance: spec.Appliance, NsName: name, lab: l, ns: ns, nl: h}
	l.topoMu.Lock()
	l.created = append(l.created, name)
	l.instances = append(slices.Clip(l.instances), in)
	l.topoMu.Unlock()
	if _, err := l.attachENIs(in, spec.ENIs, configure); err != nil {
		return in, err
	}
	return in, nil
}

// undoInstances takes back the instances whose addition failed or never
// came (specs: the lab's topology and record have them; in: what exists
// of the first, or nil), so that the next Grow tries them again rather
// than keep half of them.
func (l *Lab) undoInstances(in *Instance, specs []InstanceSpec) error {
	var errs []error
	if in != nil {
		errs = append(errs, l.removeInstance(in))
		specs = specs[1:]
	}
	gone := map[string]bool{}
	var names []string
	for _, s := range specs {
		gone[s.Name] = true
		names = append(names, instanceNsName(l.runID, s.Name))
	}
	errs = append(errs, l.forgetNamespaces(names...)) // recorded, never created
	l.setTopo(func(t *Topology) {
		t.Instances = slices.DeleteFunc(t.Instances, func(s InstanceSpec) bool { return gone[s.Name] })
	})
	return errors.Join(errs...)
}

// attachENIs adds enis to instance in, after those it has, and returns
// those it added. With a configurer, their instance ends are configured
// by it (see addInstances), else at once.
func (l *Lab) attachENIs(in *Instance, enis []ENISpec, configure *configurer) ([]*ENI, error) {
	f := l.Fabric(in.VPC)
	var added []*ENI
	for _, es := range enis {
		port := f.ports.take()
		var e *ENI
		var err error
		if configure == nil {
			e, err = l.buildENI(f, in, es, len(in.ENIs), port)
		} else if e, err = l.newENI(f, in, es, port); err == nil {
			pos := len(in.ENIs)
			configure.do(func() error {
				if err := l.configureENI(f, in, e, pos); err != nil {
					return fmt.Errorf("instance %s: eni %s: %w", in.Name, es.Name, err)
				}
				return nil
			})
		}
		if e == nil {
			f.ports.release(port)
		} else {
			l.topoMu.Lock()
			in.ENIs = append(slices.Clip(in.ENIs), e)
			f.enis = append(slices.Clip(f.enis), e)
			l.topoMu.Unlock()
			added = append(added, e)
		}
		if err != nil {
			return added, fmt.Errorf("instance %s: eni %s: %w", in.Name, es.Name, err)
		}
	}
	return added, nil
}
