// Package kpath is the in-kernel mirror path: eBPF programs that decide
// the common case of mirroring in the kernel and encapsulate the copy
// there, beside the user-space data plane (dataplane), which
// keeps everything the kernel leaves to it.
//
// One Path (programs and maps) is loaded per fabric namespace, since the
// maps are keyed by interface index. Its programs are attached with TCX
// links to fabric-side veth ports (Attach, run inside the fabric
// namespace); the links vanish with the process, so a killed run leaves
// no kernel object, and no netlink object (device, qdisc) is created.
//
// The path of a mirrored packet:
//
//	source port hook (tc ingress: what the instance sends, direction
//	Egress; tc egress: what it receives, Ingress)
//	  decide (below) → KERNEL(slot, hash7): count packets, bytes (inner,
//	  before any cut) and wire bytes (the copy's IPv4 length) in the
//	  slot, mark = 0xB7<<24 | hash7<<16 | slot,
//	  bpf_clone_redirect to the egress of the session's receiver port,
//	  restore the mark; production always goes on unchanged (TCX_NEXT)
//	receiver port, tc egress, a mark with top byte 0xB7
//	  cut the clone to max_inner, grow 50 bytes after its Ethernet header,
//	  write Ethernet (router MAC → receiver MAC), IPv4 (TTL 255, id 0,
//	  checksum), UDP (0xFF80|hash7 → 4789, checksum 0), VXLAN (the VNI):
//	  byte for byte cloudmock's Decision.AppendWire; mark = the copy mark
//
// The capture rings of the user-space path take SocketFilter(dir)
// (SO_ATTACH_BPF) instead of their classic BPF: it drops the copies (the
// copy mark), the other direction (PACKET_OUTGOING at the fabric end is
// instance ingress), and every packet that decide gives to the kernel, so
// each packet is handled exactly once. At a port's ingress the packet
// taps run before tc, at its egress after; both run the same decide over
// the same maps, so they agree unless a map changes between the two (a
// packet of that instant may then be mirrored twice or not at all).
//
// Maps:
//
//	ports     (ifindex, direction) → the instance end's MAC, the VPC
//	          resolver, up to MaxRules rules in decision order (sessions
//	          by number, each session's rules by number, one group per
//	          session), and, when set, the source subnet's network ACL
//	          (MaxACL entries) and the ENI's security groups (MaxAllow
//	          entries and the index of its connection table); hash
//	          without preallocation, so SetPort replaces an entry
//	          atomically for concurrent readers
//	conns     the ENIs' tables of allowed flows, ConnSlots each (array,
//	          mmapable: ConnTable maps one for the model to share)
//	sessions  slot → VNI, outer addresses, MACs, max inner bytes, the
//	          receiver's port
//	config    the copy mark and the reject profile
//	counters  per slot (per CPU): packets, bytes, truncated, errors; one
//	          more entry counts clones whose slot vanished (GlobalErrors)
//	punts     per reason (per CPU): packets the tc programs left to user
//	          space
//
// The punt rule: decide gives a packet to the kernel only when it is an
// untagged IPv4 Ethernet frame (no VLAN tag in the data nor in the
// skb's metadata) of the ENI in that direction (source MAC for Egress;
// destination MAC, never a group address, for Ingress) with a plain
// header (IHL 5, total length within the frame, TCP with 14 and UDP with
// 8 header bytes, not a fragment), not a GSO aggregate, not
// CHECKSUM_PARTIAL (read from the kernel's sk_buff through the
// bpf_cast_to_kern_ctx kfunc and CO-RE, in tc programs and socket
// filters alike) unless Config.ReceiversCompleteChecksums says every
// receiver's port completes checksums in software and the copy is not
// cut (the cut would change what the checksum covers), not DHCP, not to
// or from 169.254.0.0/16 or the resolver, passed by the source subnet's
// network ACL (when its peer is outside the subnet: the first matching
// entry decides) and by the ENI's security groups (an entry allows it and
// its flow is recorded in the ENI's connection table, or its flow is
// recorded already: cloudmock's stateful connTable, shared), and an
// accept rule decides it: the first matching rule of a
// group decides that group; an accept mirrors into its slot; a reject
// punts when rejects stop, and otherwise skips the rest of its group.
// Everything else (ARP, IPv6, VLAN, options, fragments, offloads, rejects,
// no match, a slot without a session) goes to user space, which decides
// and counts it as before. The hash bits are cloudmock's flowHash (IPv4,
// symmetric 5-tuple, ports 0 without TCP/UDP), so both paths give a flow
// the same outer source port.
//
// What the kernel does not know, the caller must keep out of its rules:
// load balancer targets, IPv6 copies, GENEVE, packet lengths below
// MinMaxInner, targets that drop some copies. The connection tables must
// be the model's (Model.ShareConnTable), or a flow recorded on one side
// is unknown on the other. The model does not count what the kernel
// mirrors: read Counters and add them to the model's metrics.
//
// The checks are global BPF functions (the ACL, the security groups, the
// rule walk), so the verifier checks each once rather than every path
// through all three: a Path loads in about 100 ms.
//
// RulesFromPlan, SessionFromPlan, SecurityGroupsFromPlan and
// NetworkACLFromPlan turn a cloudmock.KernelPlan into the maps' contents; one slot per (session, direction) keeps the directions'
// counts apart for Model.CountKernel.
//
// The programs are compiled from bpf/ by bpf2go and committed
// (kpath_bpfel.go, kpath_bpfel.o); `make generate` rebuilds them (clang,
// libbpf-dev). The probe program, never attached, runs decide for tests
// (BPF_PROG_TEST_RUN).
package kpath
