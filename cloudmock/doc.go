// Package cloudmock is a pure-Go model of a cloud provider's VPC Traffic
// Mirroring (AWS and Alibaba Cloud semantics): resources, validation, the
// decision for a packet seen at a source ENI, VXLAN encapsulation, delivery
// checks at the target, and the provider's counters. It makes no syscalls;
// the Linux data plane is internal/dataplane, the API servers are under
// internal/apiserver, and a user builds a running lab with package lab.
//
// Boundary: cloudmock imports only the standard library and three leaf
// packages of this module: internal/codes (the providers' error codes),
// internal/encap (header sizes, ports, EtherTypes) and internal/subnetaddr
// (a subnet's address rules). It must never
// import dataplane (or its kpath), sim, the agent, the API server or any
// lab package, and knows nothing of kernels. A data plane that decides some
// packets elsewhere (the in-kernel path) reads what decides a source's
// packets through SourceRules, shares an ENI's stateful flow table through
// SetFlowTable, and reports what it mirrored through CountCopies; Decide
// stays the reference that its differential tests compare against.
//
// A Spec is plain data with the EC2 API's field names; Spec.Validate reports
// every problem at once (errors.Join of *ValidationError naming resource,
// field and provider error code); Diff(prev, next).Validate answers the
// same for a Spec made from a valid one, checking only what changed (the
// API server's path for each change). New resolves a Spec into a Model
// whose packet path does not allocate:
//
//	m, err := cloudmock.New(spec)
//	ref, _ := m.ENI("eni-web")
//	d := m.Decide(ref, cloudmock.Ingress, frame)   // mirrored? why not?
//	dl := m.Deliver(&d)                             // target NACL/SG, NLB choice
//	buf = d.AppendWire(buf[:0], cloudmock.FrameHeader{}, &dl, frame) // VXLAN, or GENEVE behind a GWLB
//	m.CountMirrored(&d, len(frame))
//
// The decision follows DESIGN.md section 3: never-mirrored classes (ARP
// and its IPv6 counterpart, ICMPv6 neighbour and multicast listener
// discovery; DHCP and DHCPv6; the metadata service at 169.254.169.254 and
// fd00:ec2::254; the time service at 169.254.169.123 and fd00:ec2::123;
// Windows activation at 169.254.169.250/251:1688; Amazon DNS at the VPC
// base + 2, 169.254.169.253 and fd00:ec2::253 unless the filter has
// amazon-dns; IPv6 on Alibaba), then
// the source's network ACL and security groups, then the ENI's sessions in
// ascending session number, each filter's rules of the direction in
// ascending rule number, first match decides (reject-stops by default,
// reject-falls-through as a profile option).
//
// Choices where the providers' documents leave room, made explicit:
//   - The outer frame copies what the public AWS capture shows: IPv4 TTL
//     255, id 0, no DF, UDP checksum 0, source port 0xFF80 plus 7 bits of a
//     symmetric hash of the inner 5-tuple (3-tuple without ports).
//   - A copy travels over IPv6 when its source ENI and its target ENI both
//     have a primary IPv6 address (EnablePrimaryIpv6): outer IPv6 between
//     those addresses, hop limit 255, UDP checksum computed (mandatory over
//     IPv6). The same rule holds for a load balancer target (a Network Load
//     Balancer or a Gateway Load Balancer endpoint) with an Ipv6Address
//     (dual-stack), its one IPv6 address taking the part of the target's
//     primary one; a dual-stack NLB forwards such copies to its targets'
//     IPv6 addresses. Otherwise over IPv4, whatever the mirrored packet's
//     family.
//   - MTU truncation keeps MTU - reserve bytes of the inner IP packet plus
//     its 14-byte Ethernet header (AWS: an instance target's MTU, 54 bytes
//     reserved for a copy carried over IPv4 and 74 over IPv6; a Gateway Load
//     Balancer endpoint uses 8500; a Network Load Balancer applies no MTU
//     rule beyond PacketLength <= 8500. Alibaba: the source ENI's MTU, 50).
//   - Security groups are stateful through a fixed table of the flows each
//     ENI's groups allowed (see SetFlowTable); an ENI without groups is not
//     filtered; a subnet without an associated network ACL allows all, and
//     an ACL applies only to traffic that crosses the subnet's boundary.
//   - Delivery checks the receiving ENI (for a load balancer, the healthy
//     registered target chosen by rendezvous hashing of the outer 5-tuple):
//     its subnet's network ACL inbound and its groups' inbound rules for UDP
//     4789 from the source ENI's address.
//   - A Gateway Load Balancer endpoint target: the copy (VXLAN to the
//     endpoint's address) goes to one healthy appliance of the GWLB, chosen
//     by rendezvous hashing of a symmetric hash of the copy's outer UDP
//     5-tuple (so an inner flow sticks to one appliance), wrapped in GENEVE
//     (UDP 6081, RFC 8926) from the GWLB's address with AWS's TLVs (class
//     0x0108: endpoint id, attachment id, flow cookie); the endpoint
//     subnet's ACL must allow UDP 4789 from the source, the appliance's ACL
//     and groups UDP 6081 from the GWLB (Decision.AppendWire
//     writes those bytes). The copy is cut to 8500 - 54 = 8446 bytes of
//     inner packet over IPv4, 8500 - 74 = 8426 when it reaches a dual-stack
//     endpoint over IPv6, so the VXLAN datagram fits the GWLB's 8500-byte
//     MTU; the GENEVE leg to the appliance stays IPv4 (protocol type 0x0800,
//     or 0x86DD carrying the IPv6 datagram), at most 8564 bytes.
package cloudmock
