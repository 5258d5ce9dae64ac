package sim

import (
	"net"
	"net/netip"
	"sync"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/mirrorlab/mirrorlab/internal/sim/state"
)

// Options tune Realize.
type Options struct {
	// RunID names every kernel object of the lab ("ml<RunID>-..."): 1 to 6
	// lower-case letters or digits. Empty: a random 6-hex-digit id.
	RunID string
	// StateDir holds the run's state file, read by Sweep. Empty:
	// state.DefaultDir (/run/mirrorlab).
	StateDir string
}

// Lab is a realised Topology: namespaces, bridges, veth pairs, addresses and
// routes on the local kernel. Close removes all of it. A Lab's methods are
// safe for concurrent use.
type Lab struct {
	runID    string
	stateDir string
	topo     Topology
	rec      *state.Run

	fabrics   []*Fabric
	peerings  []*Peering
	transits  []*TransitGateway
	instances []*Instance
	created   []string // namespaces this lab created, in order
	peerNums  numbers  // peering links, ml<id>-x<n>
	tgwNums   numbers  // transit gateway attachments, ml<id>-t<n>

	// changeMu serialises Grow, Shrink and Close; topoMu guards the
	// slices above (and each fabric's bridges and ENIs) against readers
	// while a change replaces them (copy on write); recMu, the state file.
	changeMu sync.Mutex
	topoMu   sync.RWMutex
	recMu    sync.Mutex

	mu        sync.Mutex
	procs     map[*Process]struct{}
	closing   bool
	closeOnce sync.Once
	closeErr  error
}

// RunID returns the lab's run id.
func (l *Lab) RunID() string { return l.runID }

// StateDir returns the directory that holds the lab's state file.
func (l *Lab) StateDir() string { return l.stateDir }

// copyOf returns a copy of *list, read under mu.
func copyOf[T any](mu *sync.RWMutex, list *[]T) []T {
	mu.RLock()
	defer mu.RUnlock()
	return append([]T(nil), *list...)
}

// find returns the first item of *list that match accepts, read under
// mu; the zero value for none.
func find[T any](mu *sync.RWMutex, list *[]T, match func(T) bool) T {
	mu.RLock()
	defer mu.RUnlock()
	for _, x := range *list {
		if match(x) {
			return x
		}
	}
	var none T
	return none
}

// Topology returns the resolved topology the lab realises: every ENI has its
// IP and MTU filled in. The caller may keep and change the copy.
func (l *Lab) Topology() Topology {
	l.topoMu.RLock()
	defer l.topoMu.RUnlock()
	return l.topo.clone()
}

// Fabrics returns the fabric of every VPC, in topology order.
func (l *Lab) Fabrics() []*Fabric {
	return copyOf(&l.topoMu, &l.fabrics)
}

// Peerings returns every realised peering, in topology order.
func (l *Lab) Peerings() []*Peering {
	return copyOf(&l.topoMu, &l.peerings)
}

// Peering is a realised VPC peering connection: a veth pair whose ends,
// both named IfName, sit in the two VPCs' fabric namespaces, with a route
// for the other VPC's CIDR through it in each.
type Peering struct {
	Name   string
	VPCs   [2]string
	IfName string

	num int // the n of IfName
}

// TransitGateways returns every realised transit gateway, in topology
// order.
func (l *Lab) TransitGateways() []*TransitGateway {
	return copyOf(&l.topoMu, &l.transits)
}

// TransitGateway is a realised transit gateway: a namespace routing
// between the VPCs attached to it, joined to each one's fabric by a veth
// pair whose ends are both named Links[i] (for VPCs[i]).
type TransitGateway struct {
	Name   string
	NsName string
	VPCs   []string
	Links  []string

	nums []int // the n of each Links[i]
	ns   netns.NsHandle
	nl   *netlink.Handle
}

// Instances returns every instance, in topology order.
func (l *Lab) Instances() []*Instance {
	return copyOf(&l.topoMu, &l.instances)
}

// Fabric returns the fabric of the VPC named vpc, or nil.
func (l *Lab) Fabric(vpc string) *Fabric {
	return find(&l.topoMu, &l.fabrics, func(f *Fabric) bool { return f.VPC == vpc })
}

// Instance returns the instance named name, or nil.
func (l *Lab) Instance(name string) *Instance {
	return find(&l.topoMu, &l.instances, func(in *Instance) bool { return in.Name == name })
}

// ENIs returns every ENI of the lab, in topology order.
func (l *Lab) ENIs() []*ENI {
	l.topoMu.RLock()
	defer l.topoMu.RUnlock()
	var out []*ENI
	for _, in := range l.instances {
		out = append(out, in.ENIs...)
	}
	return out
}

// ENIByIP returns the ENI whose primary address is ip, or nil. When VPCs
// overlap, the first in topology order wins; use Fabric.ENIByIP to choose.
func (l *Lab) ENIByIP(ip netip.Addr) *ENI {
	for _, f := range l.Fabrics() {
		if e := f.ENIByIP(ip); e != nil {
			return e
		}
	}
	return nil
}

// Fabric is the namespace of one VPC: a bridge per subnet, whose address is
// the subnet's gateway, and IPv4 forwarding between them (the VPC router).
// The fabric end of every ENI of the VPC is a port of its subnet's bridge.
type Fabric struct {
	VPC    string
	CIDR   netip.Prefix
	NsName string // name under /run/netns
	// Bridges, one per subnet, in topology order.
	Bridges []*Bridge

	lab  *Lab
	ns   netns.NsHandle
	nl   *netlink.Handle
	enis []*ENI
	// ports and bridges number the fabric's links (ml<id>-p<n>, -b<n>).
	ports, bridges numbers
}

// NS returns the fabric's namespace handle, valid until the lab is closed.
// Do not close it.
func (f *Fabric) NS() netns.NsHandle { return f.ns }

// Bridge returns the bridge of the subnet named subnet, or nil.
func (f *Fabric) Bridge(subnet string) *Bridge {
	return find(&f.lab.topoMu, &f.Bridges, func(b *Bridge) bool { return b.Subnet == subnet })
}

// ENIs returns the ENIs of the VPC, in topology order.
func (f *Fabric) ENIs() []*ENI {
	return copyOf(&f.lab.topoMu, &f.enis)
}

// ENIByIP returns the VPC's ENI whose primary (or IPv6) address is ip, or
// nil.
func (f *Fabric) ENIByIP(ip netip.Addr) *ENI {
	return find(&f.lab.topoMu, &f.enis, func(e *ENI) bool { return e.IP == ip || e.IPv6.IsValid() && e.IPv6 == ip })
}

// Bridge is one subnet in the fabric namespace.
type Bridge struct {
	Subnet  string
	CIDR    netip.Prefix
	Name    string // interface name in the fabric namespace
	Index   int    // interface index in the fabric namespace
	Gateway netip.Addr
	MAC     net.HardwareAddr // the router's MAC in this subnet
	// CIDR6 and Gateway6: the subnet's IPv6 /64 and the router's IPv6
	// address in it (zero when the subnet is IPv4 only).
	CIDR6    netip.Prefix
	Gateway6 netip.Addr

	num int // the n of Name
}

// Instance is one emulated host: a network namespace holding its ENIs.
type Instance struct {
	Name      string
	VPC       string
	Appliance bool
	NsName    string // name under /run/netns
	// ENIs in topology order; the first carries the default route.
	ENIs []*ENI

	lab *Lab
	ns  netns.NsHandle
	nl  *netlink.Handle
}

// NS returns the instance's namespace handle, valid until the lab is closed.
// Do not close it.
func (in *Instance) NS() netns.NsHandle { return in.ns }

// ENI returns the instance's ENI named name (its interface name), or nil.
func (in *Instance) ENI(name string) *ENI {
	for _, e := range in.ENIs {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// ENI is one realised elastic network interface: a veth pair whose instance
// end (IfName, inside the instance namespace) carries the address and whose
// peer (PeerName, inside the fabric namespace) is a port of the subnet's
// bridge. Capture "at the ENI" as a hypervisor would on the peer.
type ENI struct {
	Name     string // as in the spec
	Instance string
	VPC      string
	Subnet   string

	IfName  string // interface name inside the instance namespace (= Name)
	Index   int    // its index inside the instance namespace
	MAC     net.HardwareAddr
	IP      netip.Addr
	Prefix  netip.Prefix // IP with the subnet's prefix length
	Gateway netip.Addr
	MTU     int
	// IPv6, Prefix6 and Gateway6 are set on an ENI with an IPv6 address.
	IPv6     netip.Addr
	Prefix6  netip.Prefix
	Gateway6 netip.Addr

	PeerName  string // fabric-side interface name
	PeerIndex int    // its index inside the fabric namespace
	PeerMAC   net.HardwareAddr
	Bridge    string // the bridge PeerName is a port of

	port int // the n of PeerName
}
