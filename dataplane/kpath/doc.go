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
// and says so with MarkAttached). A port's tc hooks
// decide plain IPv4 packets of the ENI (bpf/kpath.c decide: the network
// ACL, the security groups, the filter rules in decision order) and
// bpf_clone_redirect an accepted one to the receiver's port, whose
// program cuts it and wraps it in VXLAN byte for byte as cloudmock's
// Decision.AppendWire does. The capture rings take SocketFilter(dir),
// which drops what the kernel mirrored, so each packet is decided once.
// Everything else (ARP, IPv6, VLAN, IP options, fragments, offloads,
// never-mirrored services, rejects, no match) is punted to user space and
// counted by reason (Punts). The caller adds Counters to the model's
// (Model.CountCopies).
//
// The programs are compiled from bpf/ by bpf2go and committed
// (kpath_bpfel.go, kpath_bpfel.o); `make generate` rebuilds them (clang,
// libbpf-dev) byte for byte. The probe program, never attached, runs
// decide for tests (BPF_PROG_TEST_RUN).
package kpath
