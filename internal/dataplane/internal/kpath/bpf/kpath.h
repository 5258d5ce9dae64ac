/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * kpath.h: the structures and constants shared by the in-kernel mirror
 * path's programs (kpath.c) and, through bpf2go, its Go loader. Every
 * integer in the maps is in host byte order (IPv4 addresses as the
 * big-endian reading of their 4 bytes, as cloudmock keeps them); MACs are
 * bytes on the wire.
 */
#ifndef KPATH_H
#define KPATH_H

#include <linux/types.h>

/*
 * The constants the Go loader shares. Each enum is exported to Go through
 * bpf2go's -type (kpath_bpfel.go: kpathLimitKPATH_MAX_RULES, ...), and
 * types.go takes its names from there; TestConstantsMatchObject fails if
 * this header, the compiled object's BTF and the Go constants disagree.
 * (kpath_btf_anchor in kpath.c puts the enums into the BTF.)
 */
enum limit {
	KPATH_MAX_RULES = 40,        /* rules per port and direction */
	KPATH_MAX_SLOTS = 4096,      /* session slots 0..4095 */
	KPATH_MAX_PORTS = 4096,      /* entries of ports (ifindex, direction) */
	KPATH_MAX_ALLOW = 32,        /* security group entries per port and direction */
	KPATH_MAX_ACL = 20,          /* network ACL entries per port and direction */
	KPATH_CONN_SLOTS = 4096,     /* slots of one ENI's table of allowed flows */
	KPATH_MAX_CONN_TABLES = 64,  /* tables of allowed flows per path */
	KPATH_OUTER_PORTS = 128,     /* routes per session: one per outer source port */
	KPATH_MAX_HEADER = 160,      /* bytes of a route's header */
	KPATH_MAX_FIXES = 4,         /* length fields of a route's header */
	KPATH_LOST_REASONS = 8,      /* why a copy is lost on the way (cloudmock.DeliveryReason) */
	KPATH_MAX_FORWARDS = 4096,   /* receivers reached from another fabric */
};
#define KPATH_GLOBAL_SLOT KPATH_MAX_SLOTS /* counters index of errors without a slot */

/* Directions, as cloudmock.Direction. */
enum dir {
	KPATH_DIR_INGRESS = 0, /* toward the instance: the port's egress hook */
	KPATH_DIR_EGRESS = 1,  /* from the instance: the port's ingress hook */
};

/* Bits of rule.flags, settings.flags, port.flags, allow.flags, acl.flags. */
enum flag {
	KPATH_RULE_ACCEPT = 1,
	KPATH_RULE_HAS_SPORT = 2,
	KPATH_RULE_HAS_DPORT = 4,
	/* The rule's session mirrors Amazon DNS (its filter has the
	 * amazon-dns network service): the VPC resolver's and
	 * 169.254.169.253's packets skip every rule without it. */
	KPATH_RULE_AMAZON_DNS = 8,
	KPATH_REJECT_STOPS = 1,
	/* Every receiver's port completes checksums in software (transmit
	 * checksum offload off): a packet whose checksum the instance left to
	 * the device (CHECKSUM_PARTIAL) may be mirrored whole, its clone's
	 * inner checksum completed as it leaves the receiver's port. */
	KPATH_RECEIVERS_COMPLETE_CSUM = 2,
	/* Every copy the kernel wraps is also written, whole, to the copies
	 * perf buffer with a struct copy_event (per-target pcapng files). */
	KPATH_STREAM_COPIES = 4,
	KPATH_PORT_STATEFUL = 1, /* the ENI has security groups: see decide */
	KPATH_PORT_ACL = 2,      /* the subnet has a network ACL: see decide */
	/* The port decides IPv6 packets too (the profile mirrors IPv6), by
	 * rules6, allow6 and acl6. */
	KPATH_PORT_IPV6 = 4,
	KPATH_PORT_SUBNET6 = 8,  /* subnet6 holds the ENI's IPv6 subnet */
	KPATH_ALLOW_ALL = 1,
	KPATH_ACL_ALLOW = 1,
	KPATH_ACL_ALL = 2,
	KPATH_ACL_PORTS = 4,
	/* route.flags: the route's port is a link to the fabric of the
	 * receiver, whose kpath_tc_forward hands the copy on (forwards). */
	KPATH_ROUTE_FORWARD = 1,
};

/* The mark of a clone on its way to the receiver's port:
 * KPATH_CLONE_TAG << 24 | hash7 << 16 | slot; the copies' default mark;
 * the skb hash of a copy on its way to another fabric (a veth clears the
 * mark and the priority of a packet that crosses network namespaces, not
 * its hash). */
enum mark {
	KPATH_CLONE_TAG = 0xB7,
	KPATH_DEFAULT_COPY_MARK = 0x6d6c6d72,
	KPATH_FORWARD_HASH = 0x6b706677,
};

/* Why a packet is left to user space (index of punts). */
enum punt {
	KPATH_PUNT_NOT_IP = 0,    /* not an untagged IPv4 (or, with KPATH_PORT_IPV6, IPv6) Ethernet frame */
	KPATH_PUNT_NOT_OURS = 1,  /* not the ENI's frame, or a group address */
	KPATH_PUNT_IP_HEADER = 2, /* IPv4 options, over 4 IPv6 extension headers, a header cut short */
	KPATH_PUNT_FRAGMENT = 3,  /* MF or a fragment offset; an IPv6 fragment header */
	KPATH_PUNT_OFFLOAD = 4,   /* GSO aggregate or CHECKSUM_PARTIAL */
	KPATH_PUNT_NEVER = 5,     /* DHCP, metadata, time, activation, Amazon DNS no rule may mirror */
	KPATH_PUNT_REJECT = 6,    /* a reject rule matched, reject stops */
	KPATH_PUNT_NO_MATCH = 7,  /* no accept rule matched */
	KPATH_PUNT_NO_SESSION = 8, /* the accepting rule's slot has no session */
	KPATH_PUNT_SECURITY_GROUP = 9, /* no group entry allows it, its flow is not recorded */
	KPATH_PUNT_NETWORK_ACL = 10, /* the source subnet's network ACL denies it */
	KPATH_PUNT_CUT = 11,     /* its session cuts it within its headers (IPv6 extension headers, a partial checksum) */
	KPATH_PUNT_REASONS = 12,
};

struct rule {
	__u32 src, smask, dst, dmask;
	__u16 sport_lo, sport_hi, dport_lo, dport_hi;
	__u8 proto; /* 0: all */
	__u8 flags; /* KPATH_RULE_* */
	__u16 group; /* the rules of one session share a group */
	__u32 slot;  /* session slot used when this rule accepts */
};

/* An IPv6 prefix: an address a is in it when (a & mask) == addr, each
 * 128-bit value as two 64-bit words read from its bytes in memory order
 * (the comparison needs no byte order). */
struct prefix6 {
	__u64 addr[2], mask[2];
};

/* An IPv6 rule: r's IPv4 fields unused (0). */
struct rule6 {
	struct prefix6 src, dst;
	struct rule r;
};

struct port_key {
	__u32 ifindex;
	__u32 dir; /* KPATH_DIR_* */
};

/* One IPv4 peer of a security group rule: the packet's peer (source at
 * ingress, destination at egress) & mask == addr, and unless
 * KPATH_ALLOW_ALL, the protocol and for TCP/UDP the destination port in
 * from..to, for ICMP the type from and code to (-1: any). */
struct allow {
	__u32 addr, mask;
	__s32 from, to;
	__u8 proto;
	__u8 flags; /* KPATH_ALLOW_ALL */
	__u16 pad;
};

/* One IPv4 entry of a network ACL, in order: it matches a packet whose
 * peer & mask == addr, of protocol proto unless KPATH_ACL_ALL, and with
 * KPATH_ACL_PORTS a TCP/UDP destination port in port_lo..port_hi. */
struct acl {
	__u32 addr, mask;
	__u16 port_lo, port_hi;
	__u8 proto;
	__u8 flags; /* KPATH_ACL_* */
	__u16 pad;
};

/* An IPv6 peer of a security group rule: a's addr and mask unused. */
struct allow6 {
	struct prefix6 peer;
	struct allow a;
};

/* An IPv6 entry of a network ACL: a's addr and mask unused. */
struct acl6 {
	struct prefix6 peer;
	struct acl a;
};

struct port {
	__u8 mac[6]; /* the instance end's MAC */
	__u16 flags; /* KPATH_PORT_* */
	__u32 resolver; /* the VPC resolver's IPv4 address (Amazon DNS), 0: none */
	__u32 nrules;
	__u32 nallow;
	__u32 conn_table; /* index of the ENI's table of allowed flows (conns) */
	__u32 subnet, subnet_mask; /* the ENI's IPv4 subnet: inside, no ACL */
	__u32 nacl;
	struct rule rules[KPATH_MAX_RULES];
	struct allow allow[KPATH_MAX_ALLOW];
	struct acl acl[KPATH_MAX_ACL];
	/* IPv6 packets (KPATH_PORT_IPV6) are decided by these, as IPv4 ones
	 * by the above: a rule or entry matches packets of its own family. */
	__u32 nrules6, nallow6, nacl6, pad6;
	struct prefix6 subnet6; /* KPATH_PORT_SUBNET6: inside, no ACL */
	struct rule6 rules6[KPATH_MAX_RULES];
	struct allow6 allow6[KPATH_MAX_ALLOW];
	struct acl6 acl6[KPATH_MAX_ACL];
};

/* A length field of a route's header: the 16-bit big-endian field at
 * offset at holds skb->len - base once the copy is built; csum, when not
 * 0, is the offset of the IPv4 header checksum that covers the field
 * (updated from the header's value of the field to the copy's). */
struct fix {
	__u8 at, base, csum, pad;
};

/* Where the copies of a session that carry one outer source port go, and
 * how they are wrapped: cloudmock's Deliver and Decision.AppendWire for
 * such a copy. ifindex 0: the copy is lost on the way (lost says why). */
struct route {
	__u32 ifindex; /* the receiver's bridge port */
	__u32 count_in; /* the slot whose counters count these copies */
	__u8 lost;     /* cloudmock.DeliveryReason, < KPATH_LOST_REASONS */
	__u8 hlen;     /* bytes of hdr: the frame before the inner frame */
	__u8 nfix;     /* entries of fix */
	__u8 flags;    /* KPATH_ROUTE_FORWARD */
	/* udp6, when not 0, is the offset of a UDP header over IPv6, whose
	 * checksum (0 in hdr) covers the copy from there to its end; pseudo
	 * is the sum of its pseudo-header's addresses and next header, as
	 * 16-bit words read in host order. */
	__u32 pseudo;
	__u8 udp6;
	__u8 pad[3];
	struct fix fix[KPATH_MAX_FIXES];
	__u8 hdr[KPATH_MAX_HEADER]; /* Ethernet, IPv4, UDP, VXLAN (or GENEVE ...) */
};

/* A session: its copies by outer source port (0xff80 | the flow hash's
 * low 7 bits, the clone mark's hash7). */
struct session {
	__u32 max_inner; /* inner frame bytes kept, 0: all */
	__u32 pad;
	struct route routes[KPATH_OUTER_PORTS];
};

/* The key of forwards: a copy's outer destination, an IPv4 one as
 * ::ffff:a.b.c.d. */
struct forward_key {
	__u8 addr[16];
};

/* Where a copy that arrives from another fabric goes: the receiver's
 * bridge port (forwards, by the copy's outer destination). */
struct forward {
	__u32 ifindex;
};

/* What precedes a copy's frame in the copies perf buffer: the slot that
 * counts it (its route's count_in), its length (the perf record is padded),
 * when it was wrapped (bpf_ktime_get_ns) and, for a copy whose inner
 * checksum the port completes later (CHECKSUM_PARTIAL, partial = 1),
 * where that checksum starts and its field lies, from the frame's start. */
struct copy_event {
	__u32 slot;
	__u32 len;
	__u64 ns;
	__u32 partial;
	__u16 csum_start, csum_at;
};

struct settings {
	__u32 copy_mark;
	__u32 flags; /* KPATH_REJECT_STOPS, KPATH_RECEIVERS_COMPLETE_CSUM, KPATH_STREAM_COPIES */
};

/* Copies counted by what became of them. */
struct tally {
	__u64 packets, bytes, truncated;
};

struct stats {
	__u64 packets, bytes, truncated, errors; /* delivered copies */
	__u64 wire; /* IPv4 bytes of the copies (outer header included) */
	struct tally lost[KPATH_LOST_REASONS]; /* by why they were lost */
};

#endif
