package spec

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
)

// IfName is the interface name, inside its instance, of the instance's
// index-th network interface.
func IfName(index int) string { return "eth" + strconv.Itoa(index) }

// reservedAtStart: the first four addresses of a subnet are AWS's (network,
// router, DNS, future use), and so is the last (broadcast).
const reservedAtStart = 4

// resolveAddrs gives every network interface and load balancer its address:
// the one in the file, or, in file order (instances first, then load
// balancers), the lowest free address of its subnet that AWS would hand out.
// Addresses are keyed by "instance/ifname" (load balancers: "lb/eth0").
// The map holds every address it could give, also when it reports problems.
func (s *Scenario) resolveAddrs() (map[string]netip.Addr, error) {
	c := &problems{s: s}
	out := map[string]netip.Addr{}
	taken := map[netip.Addr]string{} // address -> path of its holder
	type slot struct {
		key, path, subnet string
		given             netip.Addr
	}
	var slots []slot
	for i, in := range s.Network.Instances {
		for j, e := range in.NetworkInterfaces {
			slots = append(slots, slot{in.Name + "/" + IfName(j), fmt.Sprintf("network.instances[%d].networkInterfaces[%d]", i, j), e.SubnetId, e.PrivateIpAddress.Addr})
		}
	}
	for i, lb := range s.Network.LoadBalancers {
		slots = append(slots, slot{lb.Name + "/" + IfName(0), fmt.Sprintf("network.loadBalancers[%d]", i), lb.SubnetId, lb.PrivateIpAddress.Addr})
	}
	for _, sl := range slots {
		if !sl.given.IsValid() {
			continue
		}
		sn, ok := s.refs.subnets[sl.subnet]
		if ok && reserved(sn.sub.CidrBlock.Prefix, sl.given) {
			c.at(sl.path+".PrivateIpAddress", "%s is reserved in subnet %q (the first four addresses and the last)", sl.given, sl.subnet)
		}
		if prev, dup := taken[sl.given]; dup {
			l, _ := s.pos.lookup(prev)
			c.at(sl.path+".PrivateIpAddress", "%s is already the address of the interface at line %d", sl.given, l)
		}
		taken[sl.given] = sl.path
		out[sl.key] = sl.given
	}
	for _, sl := range slots {
		if sl.given.IsValid() {
			continue
		}
		sn, ok := s.refs.subnets[sl.subnet]
		if !ok || !sn.sub.CidrBlock.IsValid() {
			continue // reported by Check
		}
		p := sn.sub.CidrBlock.Prefix.Masked()
		a := p.Addr()
		for range reservedAtStart {
			a = a.Next()
		}
		for ; p.Contains(a) && (taken[a] != "" || reserved(p, a)); a = a.Next() {
		}
		if !p.Contains(a) || reserved(p, a) {
			c.at(sl.path, "subnet %q (%s) has no free address left", sl.subnet, p)
			continue
		}
		taken[a] = sl.path
		out[sl.key] = a
	}
	return out, c.err()
}

// reserved reports whether a is one of the addresses AWS keeps in subnet p.
func reserved(p netip.Prefix, a netip.Addr) bool {
	p = p.Masked()
	if !p.Contains(a) || !a.Is4() {
		return false
	}
	first := p.Addr()
	for range reservedAtStart {
		if a == first {
			return true
		}
		first = first.Next()
	}
	return !p.Contains(a.Next()) // the last address
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
		return r.eni.Ipv6Address.Addr, r.eni.Ipv6Address.IsValid()
	}
	for _, in := range s.Network.Instances {
		if in.Name == name && len(in.NetworkInterfaces) > 0 {
			a := in.NetworkInterfaces[0].Ipv6Address
			return a.Addr, a.IsValid()
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
		cfg, err := ParseHTTPServerArgs(p.Args)
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

// ENIMTU returns the MTU of a network interface (default 9001).
func (s *Scenario) ENIMTU(name string) int {
	if r, ok := s.refs.enis[name]; ok && r.eni.MTU != 0 {
		return r.eni.MTU
	}
	return 9001
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
		return in.NetworkInterfaces[0].Name
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
