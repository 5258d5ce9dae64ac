// Package dataplane runs the mock mirror service on an emulated VPC: it
// captures at the fabric end of every source ENI, asks the cloudmock model
// what to do with each packet, and sends the VXLAN datagrams the model
// prescribes onto the receiver's subnet.
//
// Per source ENI and direction there is one pipeline; the two of an ENI
// share its ring and its capture goroutine:
//
//	AF_PACKET TPACKET_V3 ring on the fabric-side veth, both directions
//	  (tpacket_linux.go: sized in frames of the interface's MTU, read in
//	  place, blocks held until the copies pointing into them are sent;
//	  the capture waits in the Go netpoller, so an idle ring costs no
//	  thread)
//	  classic BPF: drop our SO_MARK; the reader tells the direction by
//	  the frame's packet type (PACKET_OUTGOING at the fabric end =
//	  instance ingress)
//	→ capture goroutine (the ENI's ingress pipeline's, for both):
//	  Model.DecideInto, Model.Deliver (target NACL/SG,
//	  NLB choice), Decision.AppendWireHeader into a preallocated queue
//	  slot that points at the frame in the ring (over IPv4; a GSO segment,
//	  a VLAN-tagged frame or a copy over IPv6 is written whole with
//	  Decision.AppendWire)
//	→ bounded SPSC queue (full: the copy is skipped and counted as the
//	  provider's NetworkSkipMirrorIn/Out; the kernel path never waits;
//	  since queued copies hold ring blocks, a ring of fewer frames than
//	  the queue has slots, jumbo frames, fills first: the kernel drops
//	  and counts them as ring drops, RingDrops, before they are decided);
//	  FIFO, with free slots reused last-in first-out, so copies are
//	  written into buffers that are still in the caches
//	→ sender goroutine: sendmmsg of the whole outer frame, as the model built
//	  it (router MAC → receiver MAC, IPv4 id 0, outer source = the source
//	  ENI's address; the headers and the frame in the ring as two iovecs,
//	  so the kernel copies the frame once, from the ring into the
//	  datagram, and the block goes back once sent; behind a
//	  virtio_net_hdr that has the kernel build it as one linear buffer,
//	  not page by page), on an AF_PACKET socket (qdisc bypass, SO_MARK) in the
//	  fabric namespace holding the receiver's subnet, onto the receiver's
//	  bridge port: what the VPC router would hand the bridge, without the
//	  routing, neighbour and netfilter work. A receiver the lab has no port
//	  for (and every copy with Config.RoutedSend) is sent as an IPv4
//	  datagram on a raw socket (IP_HDRINCL) and routed by the source's
//	  fabric instead; the kernel then numbers its IPv4 id. Optional pcapng
//	  per target (the in-kernel path's copies reach it through a perf
//	  buffer, kernel_pcap_linux.go).
//
// In front of that, an in-kernel path (package kpath; off with
// Config.UserSpaceOnly or RoutedSend) decides the common case
// without leaving the kernel: kpath.PlanModel reads the model's
// SourceRules and compiles, per source ENI and direction, the source
// subnet's network ACL, the ENI's security groups and the filter rules,
// and, per session and outer source port, where the copy goes (an ENI
// target, a load balancer's choice, in another fabric through the link
// to it) or why it is lost, with the model's header; each ENI's flow
// table moves into the kernel's maps (Model.SetFlowTable) before the
// first packet, what the kernel mirrors is counted into the model
// (Model.CountCopies, CountCopiesAs) at every snapshot, and a change of
// target health re-programs the routes before it is published. The rings' socket filters drop what the kernel mirrored, so
// each packet is decided once; everything else reaches the ring as
// before. The receivers' ports have transmit checksum offload switched
// off while the service runs, so a clone whose checksum the instance left
// to the device is completed as it leaves the port.
// TestPrivilegedKernelPathMatchesUserSpace sends the same traffic both
// ways and finds the same bytes and counters. The service falls back to
// user space only when the kernel lacks support (ErrKernelUnsupported);
// any other failure of the in-kernel path (a verifier rejection, EPERM)
// fails Start.
//
// Boundary: dataplane joins the model (cloudmock) and the emulated
// network (sim); it must never import the API server, the lab's
// orchestration (scenarios, bench, cmd) or the agent.
//
// The model decides delivery (NACL, security group, load balancer choice)
// before anything is sent, so routing the copies would add cost, not
// semantics; TestPrivilegedDirectSendMatchesRouted shows that both ways
// put the same bytes on the receiver's wire but for the id.
//
// Load balancer targets are health-checked over TCP from the fabric
// namespace; the results feed Model.SetTargetHealth. Behind a Gateway Load
// Balancer the model's Decision.AppendWire gives the GENEVE datagram the
// GWLB sends its appliance (outer source the GWLB's address, UDP 6081, the
// VXLAN datagram inside); the sender writes it like any other copy, so no
// kernel geneve device is needed.
//
// The two directions of an ENI share one ring and one reader, so its
// packets are decided in the order the kernel saw them at the port: a
// reply is never refused by a stateful security group for want of its
// request's record (with a ring per direction a reply could be read
// first). The kernel does not say which direction a frame it dropped for
// want of room had: the ring's drops count in the ENI's ingress stats.
//
// The kernel keeps an 802.1Q tag in the skb's metadata, out of the frame
// the ring shows; the capture puts it back from the ring's header before
// the packet is decided, so the copy carries the original frame, tag
// included (vlan_linux.go).
//
// The fabric end of a veth sees the instance's GSO aggregates with partial
// checksums; the capture reads the virtio_net_hdr the ring carries and cuts
// them into the wire segments a hypervisor would see (gso.go), so copies
// are MTU-sized with valid checksums.
//
// API:
//
//	Config        plain description: Model, Spec (for NLB health checks), Lab,
//	              ENIs (NetworkInterfaceId → *sim.ENI; default: by address),
//	              AllENIs (capture every ENI, not only the sources),
//	              QueueLen, Batch, Ring, RoutedSend, Mark, PcapDir,
//	              UserSpaceOnly, HealthCheck, Logger
//	Start         opens the rings and sockets in the fabric namespaces and
//	              starts mirroring (ctx bounds the start only)
//	Service.Apply replaces the configuration while it runs: a new model
//	              (carrying the old one's counters and state over) is
//	              published atomically; each packet is handled with the old
//	              or the new one whole; health checks follow the new targets
//	Service.Close stops captures, drains the queues, stops health checks,
//	              closes every socket and file; returns the joined errors
//	Service.Snapshot  JSON-able counters: the model's (provider metric names,
//	              per session) and the data plane's (captured, sent, dropped
//	              by reason, queue depth, ring drops, per target, health)
//	Service.Handler   the same as Prometheus metrics, from an own registry
//
// All kernel state the service holds is sockets, eBPF programs and maps,
// and the in-kernel path's cls_bpf filters on clsact qdiscs of the source
// and receiver ports, inside the lab's namespaces (no link, route or
// rule). The kernel releases the sockets, programs and maps with the
// process; Close removes the filters (they are not TCX links, which cost
// an RCU grace period each under the RTNL lock: see tcattach_linux.go). So
// a crash leaves behind the filters and the receivers' ports' checksum
// offload switched off, both on the lab's own ports: the lab's removal
// takes them with it, and a new service on the lab replaces the filters.
// The per-packet path does not allocate.
package dataplane
