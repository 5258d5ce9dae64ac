package spec

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/workload"
	"github.com/mirrorlab/mirrorlab/internal/subnetaddr"
)

// IfName is the interface name, inside its instance, of the instance's
// index-th network interface.
func IfName(index int) string { return "eth" + strconv.Itoa(index) }

// resolveAddrs gives every network interface and load balancer its address:
// the one in the file, or, in file order (instances first, then load
// balancers), the lowest free address of its subnet that AWS would hand out.
// Addresses are keyed by "instance/ifname" (load balancers: "lb/eth0").
// The map holds every address it could give, also when it reports problems.
// It costs time in proportion to the interfaces and the addresses skipped
// (one allocator with a cursor per subnet), and stops when ctx is done.
func (s *Scenario) resolveAddrs(ctx context.Context) (map[string]netip.Addr, error) {
	c := &problems{s: s}
	slots := s.addrSlots()
	out := make(map[string]netip.Addr, len(slots))
	taken := map[netip.Addr]int{} // address -> index of its holder in slots
	for i, sl := range slots {
		if i%checkEvery == 0 && ctx.Err() != nil {
			return out, interrupted(ctx, s.File)
		}
		if !sl.given.IsValid() {
			continue
		}
		sn, ok := s.refs.subnets[sl.subnet]
		if ok && sl.given.Is4() && subnetaddr.Reserved(sn.cidr, sl.given) {
			c.at(sl.path()+".PrivateIpAddress", "%s is reserved in subnet %q (the first four addresses and the last)", sl.given, sl.subnet)
		}
		if prev, dup := taken[sl.given]; dup {
			l, _ := s.pos.lookup(slots[prev].path())
			c.at(sl.path()+".PrivateIpAddress", "%s is already the address of the interface at line %d", sl.given, l)
		}
		taken[sl.given] = i
		out[sl.key()] = sl.given
	}
	isTaken := func(a netip.Addr) bool { _, ok := taken[a]; return ok }
	allocs := map[string]*subnetaddr.Allocator{} // subnet name -> its allocator
	for i, sl := range slots {
		if i%checkEvery == 0 && ctx.Err() != nil {
			return out, interrupted(ctx, s.File)
		}
		if sl.given.IsValid() {
			continue
		}
		sn, ok := s.refs.subnets[sl.subnet]
		if !ok || !sn.cidr.IsValid() {
			continue // reported by Check
		}
		al := allocs[sl.subnet]
		if al == nil {
			al = subnetaddr.NewAllocator(sn.cidr)
			allocs[sl.subnet] = al
		}
		a, ok := al.Next(isTaken)
		if !ok {
			c.at(sl.path(), "subnet %q (%s) has no free address left", sl.subnet, sn.cidr.Masked())
			continue
		}
		taken[a] = i
		out[sl.key()] = a
	}
	return out, c.err()
}

// addrSlot is one holder of an address: an instance's interface (lb < 0)
// or a load balancer.
type addrSlot struct {
	name          string // instance or load balancer
	inst, eni, lb int
	subnet        string
	given         netip.Addr
}

// addrSlots lists the holders of addresses in file order, instances first.
func (s *Scenario) addrSlots() []addrSlot {
	var slots []addrSlot
	for i, in := range s.Network.Instances.List {
		for j, e := range in.NetworkInterfaces {
			given, _ := netip.ParseAddr(e.PrivateIpAddress) // valid or empty: decoded
			slots = append(slots, addrSlot{name: in.Name, inst: i, eni: j, lb: -1, subnet: e.SubnetId, given: given})
		}
	}
	for i, lb := range s.Network.LoadBalancers.List {
		given, _ := netip.ParseAddr(lb.PrivateIpAddress) // valid or empty: decoded
		slots = append(slots, addrSlot{name: lb.LoadBalancerArn, lb: i, subnet: lb.SubnetId, given: given})
	}
	return slots
}

// key is the slot's key in the map of addresses.
func (sl *addrSlot) key() string {
	if sl.lb >= 0 {
		return sl.name + "/" + IfName(0)
	}
	return sl.name + "/" + IfName(sl.eni)
}

// path is the slot's document path (built only when needed).
func (sl *addrSlot) path() string {
	if sl.lb >= 0 {
		return "network.loadBalancers[" + strconv.Itoa(sl.lb) + "]"
	}
	return "network.instances[" + strconv.Itoa(sl.inst) + "].networkInterfaces[" + strconv.Itoa(sl.eni) + "]"
}

// Addr returns the address of a network interface or load balancer by name,
// of an instance's first interface, or the IP address name itself.
func (s *Scenario) Addr(name string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(name); err == nil {
		return a, true
	}
	key := name + "/" + IfName(0)
	if r, ok := s.refs.enis[name]; ok {
		key = r.inst.Name + "/" + IfName(r.index)
	}
	a, ok := s.addrs[key]
	return a, ok
}

// Addr6 returns the IPv6 address (Ipv6Address) of an instance's first
// network interface, or of a named network interface; an IPv6 address is
// itself.
func (s *Scenario) Addr6(name string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(name); err == nil && a.Is6() {
		return a, true
	}
	if r, ok := s.refs.enis[name]; ok {
		a, err := netip.ParseAddr(r.eni.Ipv6Address)
		return a, err == nil
	}
	for _, in := range s.Network.Instances.List {
		if in.Name == name && len(in.NetworkInterfaces) > 0 {
			a, err := netip.ParseAddr(in.NetworkInterfaces[0].Ipv6Address)
			return a, err == nil
		}
	}
	return netip.Addr{}, false
}

// ServerURL returns the base URL of built-in http-server program name:
// "http://" its instance's address and its -port.
func (s *Scenario) ServerURL(name string) (string, error) {
	for _, p := range s.Programs {
		if p.Name != name {
			continue
		}
		if p.Builtin != BuiltinHTTPServer {
			return "", fmt.Errorf("program %q is not the built-in http-server", name)
		}
		cfg, err := workload.ParseServerArgs(p.Args)
		if err != nil {
			return "", fmt.Errorf("program %q: %w", name, err)
		}
		a, ok := s.Addr(p.Instance)
		if !ok {
			return "", fmt.Errorf("program %q: instance %q has no address", name, p.Instance)
		}
		return "http://" + net.JoinHostPort(a.String(), strconv.Itoa(cfg.Port)), nil
	}
	return "", fmt.Errorf("no program %q", name)
}

// ENILocation returns the instance and interface name (eth<i>) of a network
// interface.
func (s *Scenario) ENILocation(name string) (instance, ifname string, ok bool) {
	r, ok := s.refs.enis[name]
	if !ok {
		return "", "", false
	}
	return r.inst.Name, IfName(r.index), true
}

// FirstENI returns the name of an instance's first network interface ("" if
// none).
func (s *Scenario) FirstENI(instance string) string {
	if in, ok := s.refs.instances[instance]; ok && len(in.NetworkInterfaces) > 0 {
		return in.NetworkInterfaces[0].NetworkInterfaceId
	}
	return ""
}

// Seed is the seed of the random VNIs the provider model assigns to the
// scenario's sessions that give none: derived from the scenario's name, so
// explain and every run agree on them.
func (s *Scenario) Seed() uint64 {
	h := uint64(14695981039346656037) // FNV-1a
	for i := 0; i < len(s.Name); i++ {
		h ^= uint64(s.Name[i])
		h *= 1099511628211
	}
	return h
}
