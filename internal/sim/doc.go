// Package sim realises an emulated VPC on the local Linux kernel: a network
// namespace per instance, a fabric namespace per VPC with a bridge per subnet
// and the VPC router, a veth pair per ENI. It knows nothing of mirroring, and
// never changes the host's own network namespace.
//
// # Spec and realisation
//
// A Topology is plain data (VPCs, subnets, instances, ENIs). Validate reports
// every problem at once, each a *ValidationError naming its field
// ("Instances[2].ENIs[0].IP"); Resolve also assigns missing addresses the AWS
// way (the lowest free one of the subnet; the first four and the last are
// reserved) and defaults the MTU to 9001. Realize turns it into a *Lab;
// Lab.Close removes everything and returns every error, joined.
//
// A running lab changes piece by piece: Lab.Grow adds what a new Topology
// has and the lab lacks (VPCs, subnets, instances, peerings, transit
// gateways; an instance or transit gateway described otherwise is
// rebuilt), Lab.Shrink removes what it lacks, each undoing exactly what
// its addition did and touching nothing else. Realize is an empty lab
// that Grow brings to the topology. Link numbers (mlID-pN, -bN, -xN, -tN)
// freed by a removal are reused, so names stay within 15 bytes.
//
// For run id ID, the lab is, in ip(8) terms:
//
//	ip netns add mlID-fabric.VPC                  # per VPC; ip_forward=1
//	ip -n mlID-fabric.VPC link add mlID-bN type bridge mcast_snooping 0   # per subnet
//	ip -n mlID-fabric.VPC addr add GATEWAY/LEN dev mlID-bN                 # base + 1
//	ip netns add mlID-INSTANCE                    # per instance
//	ip -n mlID-fabric.VPC link add mlID-pN mtu MTU master mlID-bM type veth \
//	    peer name ENI mtu MTU netns mlID-INSTANCE # per ENI, nothing in the host
//	ip -n mlID-INSTANCE addr add IP/LEN dev ENI
//	ip -n mlID-INSTANCE route add default via GATEWAY   # first ENI; later ones
//	                                                    # get a table and a rule
//	ip -n mlID-fabric.A link add mlID-xN mtu 9001 type veth \
//	    peer name mlID-xN mtu 9001 netns mlID-fabric.B    # per peering of A and B
//	ip -n mlID-fabric.A route add CIDR_B via GW_B dev mlID-xN onlink   # and B to A
//
// A peering (Topology.Peerings) joins two VPCs of distinct CIDRs; a VPC
// reaches only the VPCs it is peered with. Its link lives in the two fabric
// namespaces, so it goes with them. A transit gateway
// (Topology.TransitGateways) is a namespace of its own, mlID-tgw.NAME,
// listed in the state file, with a link mlID-tN to each attached VPC's
// fabric and a route for each attached CIDR; each attached fabric routes
// the other attached CIDRs to it.
//
// Every namespace of an IPv4-only VPC has IPv6 disabled (so captures hold
// only what a scenario sends) and rp_filter off. A dual-stack VPC (an
// IPv6CIDR, a /64 per subnet, IPv6 addresses on ENIs) has IPv6 on in its
// namespaces, quietly: no router solicitations or advertisements, no
// autoconfiguration, no link-local addresses, no duplicate address
// detection; the router's IPv6 address in a subnet is its base + 1, routes
// and neighbour entries are set as for IPv4, and the fabric forwards IPv6.
// Instances answer ARP only on the asking
// interface. MACs are derived from the addresses (02:00:IP instance end,
// 02:01:IP fabric end, 02:fe:GATEWAY router), the fabric has permanent
// neighbour and static FDB entries for every ENI and each instance one for
// its gateway, so the bridge never floods unicast to other ports. Realize
// returns once every ENI answers an ICMP echo from its router (a fresh veth
// carries nothing until the kernel's link-watch work has run): those two
// packets per ENI are in the interface counters, before anyone captures.
//
// # Handles
//
// Lab.Instance(name) and Lab.Fabric(vpc) give the namespaces (NsName, NS(),
// Run(fn) to create sockets inside on a throwaway OS thread); Instance.ENI
// gives the instance end (IfName, Index, MAC, IP, Prefix, Gateway, MTU) and
// the fabric end (PeerName, PeerIndex, PeerMAC, Bridge), where a hypervisor
// would capture. Instance.Exec starts a program inside the instance (output
// kept in bounded buffers, process group killed on context end and on
// Close) under an init of ours in a PID namespace of its own: the init
// carries the parent-death signal, so when this process dies, even by
// SIGKILL, the program and everything it started die with it, whatever
// user they switched to. Instance.AddVXLAN adds a
// kernel VXLAN device like the walk-through's adapter.
//
// # Clean-up after a crash
//
// Before creating anything, Realize writes a state file (package internal/sim/state)
// in Options.StateDir (default /run/mirrorlab) naming the run id, the owner
// PID and its start time, and the namespaces; Grow adds each namespace to
// it before creating it, Shrink drops it once deleted (Lab.UpdateRecord
// is the file's one writer while the lab runs). Sweep (`mirrorlab clean`)
// removes the runs whose owner is dead, killing what still runs in their
// namespaces, and touches nothing else. CloseOnSignal closes a lab on SIGINT
// or SIGTERM; a command that cancels a context on those signals and closes
// its lab on return needs no more.
package sim
