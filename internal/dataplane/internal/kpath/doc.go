// Package kpath is the in-kernel mirror path: eBPF programs that decide
// the common case of mirroring in the kernel and encapsulate the copy
// there, beside the user-space data plane (package dataplane), which gets
// every packet the kernel leaves to it.
//
// Boundary: kpath reads the model (cloudmock) only through its
// kernel-agnostic API: PlanModel compiles Model.SourceRules into the
// kernel's Port and Session, with the kernel's own limits, and says why a
// direction must stay in user space; ConnTable hands out memory for
// Model.SetFlowTable, so the kernel and the model share each ENI's
// stateful security group flows. It must never import dataplane, sim or
// any lab package: the caller supplies MACs, interface indexes and slots.
// What crosses into C (limits, flags, directions, marks, punt reasons)
// is defined once, in bpf/kpath.h, and reaches Go through bpf2go's -type
// (TestConstantsMatchObject fails on drift).
//
// One Path (programs and maps) is loaded per fabric namespace (the maps
// are keyed by interface index); its programs attach to fabric-side veth
// ports with TCX links, which vanish with the process (the data plane
// attaches TCPrograms itself as cls_bpf filters, cheaper in a large lab,
// and says so with MarkAttached). A port's tc hooks decide plain IPv4
// packets of the ENI and, when the profile mirrors IPv6 (Port.IPv6), IPv6
// packets without extension headers, each family by the port's tables of
// its own (rules, security group peers, network ACL entries; an IPv6
// prefix is matched on 128 bits) (bpf/kpath.c decide: the network
// ACL, the security groups, the filter rules in decision order; Amazon
// DNS, the VPC resolver and 169.254.169.253, only by the rules of
// sessions whose filter has the amazon-dns network service). What
// becomes of a copy on its way depends on the packet only through its
// outer source port (7 bits of flow hash), so each session holds one route
// per port, which PlanModel takes from the model's CopyDecision, Deliver
// and AppendWire: the receiver (an ENI target's, or the one a Network or
// Gateway Load Balancer chooses among its healthy targets) and the header
// the model writes (VXLAN over IPv4 or IPv6, or VXLAN in a GWLB's GENEVE),
// or why the copy is lost (the target's network ACL or security groups, no
// listener, no healthy target: counted, nothing sent). An accepted packet
// is bpf_clone_redirect-ed to its route's receiver port, whose program
// cuts it, puts the route's header in front and completes its lengths,
// IPv4 checksums and, over IPv6, the UDP checksum (a partial inner
// checksum summed as the value the port will complete it to): the model's
// bytes. A receiver in a peered VPC's fabric (or behind a transit gateway)
// is reached through the link between the namespaces, whose far end's
// forward program hands the copy on to the receiver's port
// (forward_linux.go). The capture rings take SocketFilter(dir) (one ring
// per direction) or SocketFilterBoth (one ring for both), which
// drops what the kernel mirrored, so each packet is decided once.
// Everything else (ARP, VLAN, IPv4 options, IPv6 extension headers,
// fragments, offloads, never-mirrored services, rejects, no match) is
// punted to user space and counted by reason (Punts). The caller adds
// Counters to the model's (Model.CountCopies).
//
// With Config.StreamCopies the receiver port's program also writes each
// copy it wraps, whole, to the copies perf buffer, after a copy_event
// (its counting slot, length, time and, if still partial, where its
// inner checksum lies); StreamCopies/CopyStream read it (copies_linux.go)
// for the per-target pcapng files.
//
// The programs are compiled from bpf/ by bpf2go and committed
// (kpath_bpfel.go, kpath_bpfel.o); `make generate` rebuilds them (clang,
// libbpf-dev) byte for byte. The probe program, never attached, runs
// decide for tests (BPF_PROG_TEST_RUN).
package kpath
