// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The in-kernel mirror path: tc (TCX) programs on the fabric-side veth
 * ports decide the common case and clone the packet to the receiver's
 * port, where the clone is encapsulated in VXLAN; socket filters on the
 * user-space capture rings drop exactly what the tc programs mirrored.
 * See ../doc.go.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>

#include "kpath.h"

char __license[] SEC("license") = "Dual BSD/GPL";

#define TCX_NEXT -1
#define TCX_DROP 2

#define CHECKSUM_PARTIAL 3
#define PROTO_TCP 6
#define PROTO_UDP 17

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, KPATH_MAX_PORTS);
	__type(key, struct port_key);
	__type(value, struct port);
} ports SEC(".maps");

/* The ENIs' tables of allowed flows, KPATH_CONN_SLOTS each: slot
 * hash % KPATH_CONN_SLOTS holds the flow hash with its lowest bit set
 * (cloudmock's flow table). User space maps it (SetFlowTable). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, KPATH_MAX_CONN_TABLES * KPATH_CONN_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} conns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, KPATH_MAX_SLOTS);
	__type(key, __u32);
	__type(value, struct session);
} sessions SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct settings);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, KPATH_MAX_FORWARDS);
	__type(key, struct forward_key);
	__type(value, struct forward);
} forwards SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KPATH_MAX_SLOTS + 1);
	__type(key, __u32);
	__type(value, struct stats);
} counters SEC(".maps");

/* The copies, whole, when KPATH_STREAM_COPIES is set (one ring per CPU;
 * the loader sizes it to the CPUs). */
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} copies SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KPATH_PUNT_REASONS);
	__type(key, __u32);
	__type(value, __u64);
} punts SEC(".maps");

/*
 * kpath_btf_anchor is never called (no program links it, so it is never
 * loaded): its signature puts kpath.h's enums into the object's BTF,
 * where bpf2go's -type finds them. An enum whose constants alone are used
 * leaves no type behind, and a global variable would cost a map.
 */
__noinline int kpath_btf_anchor(enum limit l, enum dir d, enum flag f, enum mark m, enum punt p)
{
	return l + d + f + m + p;
}

/* The kernel's sk_buff, only what we read (CO-RE relocated). */
struct sk_buff {
	__u8 ip_summed : 2;
	__u16 csum_start, csum_offset; /* CHECKSUM_PARTIAL: from head */
	unsigned char *head, *data;
} __attribute__((preserve_access_index));

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

/* A decision is the clone's mark (top byte KPATH_CLONE_TAG) when the
 * kernel mirrors, else a punt reason (< 256). */
#define KERNEL(slot, hash7) ((__u32)KPATH_CLONE_TAG << 24 | (__u32)(hash7) << 16 | (slot))
#define IS_KERNEL(v) ((v) >> 24 == KPATH_CLONE_TAG)

static __always_inline __u64 mix(__u64 h, __u64 x)
{
	h ^= x;
	h *= 0x9e3779b97f4a7c15ULL;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return h;
}

/* cloudmock's flowHash, IPv4 branch: symmetric 5-tuple (ports 0 when the
 * flow has none). */
static __always_inline __u64 flow_hash(__u32 a, __u32 b, __u16 pa, __u16 pb, __u8 proto)
{
	if (a > b || (a == b && pa > pb)) {
		__u32 t = a;
		__u16 tp = pa;
		a = b;
		b = t;
		pa = pb;
		pb = tp;
	}
	__u64 h = mix(0x6d6972726f726c61ULL ^ (__u64)proto, (__u64)a << 32 | (__u64)b);
	return mix(h, (__u64)pa << 16 | (__u64)pb);
}

/* cloudmock's flowHash, IPv6 branch: the addresses as words read from
 * their bytes in memory order (little-endian: the model's
 * binary.LittleEndian), ordered as big-endian numbers (netip's Compare). */
static __always_inline __u64 flow_hash6(const __u64 *a, const __u64 *b, __u16 pa, __u16 pb, __u8 proto)
{
	__u64 a0 = bpf_be64_to_cpu(a[0]), a1 = bpf_be64_to_cpu(a[1]);
	__u64 b0 = bpf_be64_to_cpu(b[0]), b1 = bpf_be64_to_cpu(b[1]);
	if (a0 > b0 || (a0 == b0 && (a1 > b1 || (a1 == b1 && pa > pb)))) {
		const __u64 *t = a;
		__u16 tp = pa;
		a = b;
		b = t;
		pa = pb;
		pb = tp;
	}
	__u64 h = 0x6d6972726f726c61ULL ^ (__u64)proto;
	h = mix(h, a[0]);
	h = mix(h, a[1]);
	h = mix(h, b[0]);
	h = mix(h, b[1]);
	return mix(h, (__u64)pa << 16 | (__u64)pb);
}

static __always_inline int in6(const struct prefix6 *p, const __u64 *a)
{
	return (a[0] & p->mask[0]) == p->addr[0] && (a[1] & p->mask[1]) == p->addr[1];
}

static __always_inline int checksum_partial(struct __sk_buff *ctx)
{
	struct sk_buff *skb = bpf_cast_to_kern_ctx(ctx);
	return BPF_CORE_READ_BITFIELD(skb, ip_summed) == CHECKSUM_PARTIAL;
}

static __always_inline int mac_eq(const __u8 *a, const __u8 *b)
{
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3] && a[4] == b[4] &&
	       a[5] == b[5];
}

/* The link-local services of cloudmock's neverMirrored and isAmazonDNS. */
#define ADDR_METADATA 0xa9fea9fe   /* 169.254.169.254 */
#define ADDR_TIME 0xa9fea97b       /* 169.254.169.123 */
#define ADDR_AMAZON_DNS 0xa9fea9fd /* 169.254.169.253 */
#define ADDR_KMS1 0xa9fea9fa       /* 169.254.169.250 */
#define ADDR_KMS2 0xa9fea9fb       /* 169.254.169.251 */
#define KMS_PORT 1688

static __always_inline int kms(__u32 a, __u16 port)
{
	return (a == ADDR_KMS1 || a == ADDR_KMS2) && port == KMS_PORT;
}

/* amazon_dns: a is Amazon DNS, the VPC resolver (cloudmock's isAmazonDNS). */
static __always_inline int amazon_dns(const struct port *port, __u32 a)
{
	return a == ADDR_AMAZON_DNS || (port->resolver != 0 && a == port->resolver);
}

#define PROTO_ICMP 1
#define PROTO_ICMPV6 58

/* fd00:ec2::254, ::123, ::253 (cloudmock's addrMetadata6, addrTime6,
 * addrDNS6): their first word, and each one's last. */
#define ADDR6_EC2_HI 0xfd000ec200000000ULL
#define ADDR6_METADATA_LO 0x254ULL
#define ADDR6_TIME_LO 0x123ULL
#define ADDR6_AMAZON_DNS_LO 0x253ULL

static __always_inline int ec2_service6(const __u64 *a, __u64 lo)
{
	return a[0] == bpf_cpu_to_be64(ADDR6_EC2_HI) && a[1] == bpf_cpu_to_be64(lo);
}

/* What decide read of a packet, for the checks below. */
struct facts {
	__u64 hash; /* cloudmock's flowHash */
	__u64 src6[2], dst6[2], peer6[2]; /* v6: the addresses (prefix6's words) */
	__u32 src, dst, peer, len; /* v4 */
	__u16 sport, dport;
	__u8 proto, has_ports, partial, icmp, itype, icode;
	__u8 dns;       /* to or from Amazon DNS (cloudmock's isAmazonDNS) */
	__u8 dns_reply; /* from Amazon DNS: the copy's hash bits are 0 */
	__u8 v6;        /* an IPv6 packet: decided by the port's IPv6 tables */
};

/*
 * The checks are global functions (not inlined): the verifier checks each
 * once, not once per path through the others' loops, which kept every
 * program's load (and so a mirror service's start) near a second.
 */

/*
 * An IPv4 packet is checked against each entry inline, as it always was
 * (the common case pays no call); an IPv6 packet by a global function per
 * entry (kpath_acl6_entry, kpath_allow6_entry, kpath_rule6_matches),
 * which the verifier checks once: the 128-bit compares add a few
 * instructions a step to the loops' walk, not a second walk.
 */

/* acl_fields: network ACL entry a matches the packet's protocol and
 * destination port. */
static __always_inline int acl_fields(const struct acl *a, const struct facts *f)
{
	if (!(a->flags & KPATH_ACL_ALL) && a->proto != f->proto)
		return 0;
	return !(a->flags & KPATH_ACL_PORTS) || (f->has_ports && f->dport >= a->port_lo && f->dport <= a->port_hi);
}

/* kpath_acl6_entry: IPv6 network ACL entry i matches the packet. */
__noinline int kpath_acl6_entry(const struct port *port, __u32 i, const struct facts *f)
{
	if (!port || !f || i >= KPATH_MAX_ACL)
		return 0;
	return acl_fields(&port->acl6[i].a, f) && in6(&port->acl6[i].peer, f->peer6);
}

/*
 * kpath_network_acl applies the source subnet's network ACL (cloudmock's
 * nacl.eval) to a packet that crosses the subnet's boundary: the first
 * entry of its family that matches decides; none: denied. 1: the packet
 * passes.
 */
__noinline int kpath_network_acl(const struct port *port, const struct facts *f)
{
	if (!port || !f)
		return 0;
	if (f->v6) {
		if ((port->flags & KPATH_PORT_SUBNET6) && in6(&port->subnet6, f->peer6))
			return 1;
	} else if ((f->peer & port->subnet_mask) == port->subnet) {
		return 1;
	}
	__u32 n = f->v6 ? port->nacl6 : port->nacl;
	for (__u32 i = 0; i < KPATH_MAX_ACL; i++) {
		if (i >= n)
			break;
		if (f->v6) {
			if (kpath_acl6_entry(port, i, f))
				return port->acl6[i].a.flags & KPATH_ACL_ALLOW;
			continue;
		}
		const struct acl *a = &port->acl[i];
		if (acl_fields(a, f) && (f->peer & a->mask) == a->addr)
			return a->flags & KPATH_ACL_ALLOW;
	}
	return 0;
}

/* allow_fields: security group entry a lets the packet's protocol, port
 * or ICMP type and code through. */
static __always_inline int allow_fields(const struct allow *a, const struct facts *f)
{
	if (a->flags & KPATH_ALLOW_ALL)
		return 1;
	if (a->proto != f->proto)
		return 0;
	if (f->proto == PROTO_TCP || f->proto == PROTO_UDP)
		return f->has_ports && (__s32)f->dport >= a->from && (__s32)f->dport <= a->to;
	if (f->proto == PROTO_ICMP || f->proto == PROTO_ICMPV6) {
		if (a->from != -1 && (!f->icmp || (__s32)f->itype != a->from))
			return 0;
		if (a->to != -1 && (!f->icmp || (__s32)f->icode != a->to))
			return 0;
	}
	return 1;
}

/* kpath_allow6_entry: IPv6 security group entry i allows the packet. */
__noinline int kpath_allow6_entry(const struct port *port, __u32 i, const struct facts *f)
{
	if (!port || !f || i >= KPATH_MAX_ALLOW)
		return 0;
	return allow_fields(&port->allow6[i].a, f) && in6(&port->allow6[i].peer, f->peer6);
}

/*
 * kpath_security_groups applies the source ENI's security groups
 * (cloudmock's sourceDrops): an entry that allows the packet records its
 * flow in the ENI's table of allowed flows, a recorded flow passes,
 * anything else is left to user space (which drops and counts it). 1: the
 * packet passes.
 */
__noinline int kpath_security_groups(const struct port *port, const struct facts *f)
{
	if (!port || !f)
		return 0;
	int ok = 0;
	__u32 na = f->v6 ? port->nallow6 : port->nallow;
	for (__u32 i = 0; i < KPATH_MAX_ALLOW; i++) {
		if (i >= na)
			break;
		if (f->v6) {
			if (kpath_allow6_entry(port, i, f)) {
				ok = 1;
				break;
			}
			continue;
		}
		const struct allow *a = &port->allow[i];
		if (allow_fields(a, f) && (f->peer & a->mask) == a->addr) {
			ok = 1;
			break;
		}
	}
	__u64 h = f->hash | 1;
	__u32 key = port->conn_table * KPATH_CONN_SLOTS + (__u32)(h % KPATH_CONN_SLOTS);
	__u64 *slot = bpf_map_lookup_elem(&conns, &key);
	if (!slot)
		return 0;
	if (ok) {
		if (*slot != h)
			*slot = h;
		return 1;
	}
	return *slot == h;
}

/* rule_fields: rule r matches the packet's protocol and ports. */
static __always_inline int rule_fields(const struct rule *r, const struct facts *f)
{
	if (r->proto != 0 && r->proto != f->proto)
		return 0;
	if ((r->flags & KPATH_RULE_HAS_DPORT) && (!f->has_ports || f->dport < r->dport_lo || f->dport > r->dport_hi))
		return 0;
	return !(r->flags & KPATH_RULE_HAS_SPORT) || (f->has_ports && f->sport >= r->sport_lo && f->sport <= r->sport_hi);
}

/* kpath_rule6_matches: IPv6 rule i matches the packet. */
__noinline int kpath_rule6_matches(const struct port *port, __u32 i, const struct facts *f)
{
	if (!port || !f || i >= KPATH_MAX_RULES)
		return 0;
	const struct rule6 *r = &port->rules6[i];
	return rule_fields(&r->r, f) && in6(&r->src, f->src6) && in6(&r->dst, f->dst6);
}

/*
 * kpath_rules walks the filter rules (cloudmock's decide and filter.match):
 * KERNEL(slot, hash7) for an accept the kernel can mirror, else the punt
 * reason. Amazon DNS skips the rules of sessions without the amazon-dns
 * network service; when no rule mirrors or rejects it and some were
 * skipped, it is never mirrored (cloudmock's ReasonAmazonDNS). A reply
 * from Amazon DNS carries hash7 0 (isResolverReply).
 */
__noinline __u32 kpath_rules(const struct port *port, const struct facts *f, __u32 flags)
{
	if (!port || !f)
		return KPATH_PUNT_NO_MATCH;
	__u32 n = f->v6 ? port->nrules6 : port->nrules;
	__u32 skip = 0xffffffff; /* the group a reject decided */
	int dns_skipped = 0;
	for (__u32 i = 0; i < KPATH_MAX_RULES; i++) {
		if (i >= n)
			break;
		const struct rule *r = f->v6 ? &port->rules6[i].r : &port->rules[i];
		if (r->group == skip)
			continue;
		if (f->dns && !(r->flags & KPATH_RULE_AMAZON_DNS)) {
			dns_skipped = 1;
			continue;
		}
		if (f->v6 ? !kpath_rule6_matches(port, i, f)
			  : !rule_fields(r, f) || (f->src & r->smask) != r->src || (f->dst & r->dmask) != r->dst)
			continue;
		if (r->flags & KPATH_RULE_ACCEPT) {
			__u32 slot = r->slot;
			if (slot >= KPATH_MAX_SLOTS)
				return KPATH_PUNT_NO_SESSION;
			const struct session *s = bpf_map_lookup_elem(&sessions, &slot);
			if (!s)
				return KPATH_PUNT_NO_SESSION;
			return KERNEL(slot, f->dns_reply ? 0 : f->hash & 0x7f);
		}
		if (flags & KPATH_REJECT_STOPS)
			return KPATH_PUNT_REJECT;
		skip = r->group;
	}
	if (dns_skipped && skip == 0xffffffff)
		return KPATH_PUNT_NEVER;
	return KPATH_PUNT_NO_MATCH;
}

/* partial_field returns where a CHECKSUM_PARTIAL packet's checksum
 * starts and its field lies, from the packet's start. */
static __always_inline void partial_field(struct __sk_buff *skb, __u32 *start, __u32 *at)
{
	struct sk_buff *k = bpf_cast_to_kern_ctx(skb);
	*start = BPF_CORE_READ(k, csum_start) - (__u32)(BPF_CORE_READ(k, data) - BPF_CORE_READ(k, head));
	*at = *start + BPF_CORE_READ(k, csum_offset);
}

/* parse4 reads a plain IPv4 header (after Ethernet) into f: 0, or the
 * punt reason; *tot is the packet's length from its header, *hl its
 * header's (20). */
static __always_inline __u32 parse4(struct __sk_buff *skb, struct facts *f, __u32 *tot, __u32 *hl)
{
	__u8 ip[20];
	if (bpf_skb_load_bytes(skb, 14, ip, sizeof(ip)) < 0 || ip[0] != 0x45)
		return KPATH_PUNT_IP_HEADER;
	*tot = (__u32)ip[2] << 8 | ip[3];
	if (*tot < 20 || *tot + 14 > f->len)
		return KPATH_PUNT_IP_HEADER;
	if ((ip[6] & 0x3f) != 0 || ip[7] != 0) /* MF or an offset */
		return KPATH_PUNT_FRAGMENT;
	*hl = 20;
	f->proto = ip[9];
	f->src = (__u32)ip[12] << 24 | (__u32)ip[13] << 16 | (__u32)ip[14] << 8 | ip[15];
	f->dst = (__u32)ip[16] << 24 | (__u32)ip[17] << 16 | (__u32)ip[18] << 8 | ip[19];
	return 0;
}

/* parse6 reads an IPv6 header (after Ethernet) into f: 0, or the punt
 * reason; *tot is the packet's length from its header, *hl the length
 * of its headers. Up to KPATH_MAX_EXT hop-by-hop, routing and destination
 * options headers are skipped as cloudmock walks them; more, a fragment
 * header or a jumbogram are left to user space. Any other next header is
 * the protocol, as cloudmock reads it. */
#define KPATH_MAX_EXT 4
static __always_inline __u32 parse6(struct __sk_buff *skb, struct facts *f, __u32 *tot, __u32 *hl)
{
	__u8 ip[40];
	if (bpf_skb_load_bytes(skb, 14, ip, sizeof(ip)) < 0 || ip[0] >> 4 != 6)
		return KPATH_PUNT_IP_HEADER;
	*tot = 40 + ((__u32)ip[4] << 8 | ip[5]);
	if (*tot == 40 || *tot + 14 > f->len)
		return KPATH_PUNT_IP_HEADER;
	__u8 next = ip[6];
	__u32 off = 40;
	for (int i = 0; i < KPATH_MAX_EXT && (next == 0 || next == 43 || next == 60); i++) {
		__u8 e[2];
		if (off + 8 > *tot || bpf_skb_load_bytes(skb, 14 + off, e, sizeof(e)) < 0)
			return KPATH_PUNT_IP_HEADER;
		next = e[0];
		off += 8 * ((__u32)e[1] + 1);
	}
	if (next == 44)
		return KPATH_PUNT_FRAGMENT;
	if (next == 0 || next == 43 || next == 60 || off > *tot)
		return KPATH_PUNT_IP_HEADER;
	f->v6 = 1;
	f->proto = next;
	*hl = off;
	__builtin_memcpy(f->src6, &ip[8], 16);
	__builtin_memcpy(f->dst6, &ip[24], 16);
	return 0;
}

/* never_mirrored: the packet is of a class no session mirrors (cloudmock's
 * neverMirrored, whatever the family it checks): DHCP, DHCPv6, neighbour
 * and multicast listener discovery, the metadata and time services,
 * Windows activation. */
static __always_inline int never_mirrored(const struct facts *f)
{
	__u16 sp = f->sport, dp = f->dport;
	if (f->proto == PROTO_UDP && (((sp == 67 || sp == 68) && (dp == 67 || dp == 68)) ||
				      ((sp == 546 || sp == 547) && (dp == 546 || dp == 547))))
		return 1;
	if (f->proto == PROTO_ICMPV6 && f->icmp && ((f->itype >= 130 && f->itype <= 137) || f->itype == 143))
		return 1;
	if (f->v6)
		return ec2_service6(f->src6, ADDR6_METADATA_LO) || ec2_service6(f->dst6, ADDR6_METADATA_LO) ||
		       ec2_service6(f->src6, ADDR6_TIME_LO) || ec2_service6(f->dst6, ADDR6_TIME_LO);
	if (f->src == ADDR_METADATA || f->dst == ADDR_METADATA || f->src == ADDR_TIME || f->dst == ADDR_TIME)
		return 1;
	return f->proto == PROTO_TCP && (kms(f->dst, f->dport) || kms(f->src, f->sport)); /* Windows activation */
}

/*
 * decide: KERNEL(slot, hash7) when the rule walk accepts a packet that the
 * kernel can mirror exactly as cloudmock would, else the punt reason;
 * *need is how short the packet may be cut (bpf_skb_change_tail keeps
 * its transport header's start, and a partial checksum's field).
 * Offset 0 is the Ethernet header in both program types (tc; a packet
 * socket pushes the MAC header back before its filter runs).
 */
static __always_inline __u32 decide(struct __sk_buff *skb, const struct port *port, __u32 dir, __u32 flags,
				    __u32 *need)
{
	__u8 h[14]; /* Ethernet */
	struct facts f = {};
	__u32 len = skb->len, tot = 0, l4;

	if (len < 34 || bpf_skb_load_bytes(skb, 0, h, sizeof(h)) < 0)
		return KPATH_PUNT_NOT_IP;
	/* a VLAN tag may ride in the skb's metadata (veth offloads it) */
	int v4 = h[12] == 0x08 && h[13] == 0x00;
	int v6 = h[12] == 0x86 && h[13] == 0xdd && (port->flags & KPATH_PORT_IPV6);
	if ((!v4 && !v6) || skb->vlan_present)
		return KPATH_PUNT_NOT_IP;
	if (dir == KPATH_DIR_EGRESS) {
		if (!mac_eq(&h[6], port->mac))
			return KPATH_PUNT_NOT_OURS;
	} else if (!mac_eq(&h[0], port->mac)) {
		/* a group address too: user space keeps it simple */
		return KPATH_PUNT_NOT_OURS;
	}
	f.len = len;
	__u32 iphl = 0;
	__u32 v = v4 ? parse4(skb, &f, &tot, &iphl) : parse6(skb, &f, &tot, &iphl);
	if (v)
		return v;
	l4 = 14 + iphl;
	if (skb->gso_segs > 1 || skb->gso_size != 0)
		return KPATH_PUNT_OFFLOAD;
	/* A partial checksum is completed on the receiver's port, over the
	 * whole packet: without that, or when the copy is cut, user space. */
	f.partial = checksum_partial(skb);
	if (f.partial && !(flags & KPATH_RECEIVERS_COMPLETE_CSUM))
		return KPATH_PUNT_OFFLOAD;
	*need = l4;
	if (f.partial) {
		__u32 start = 0, at = 0;
		partial_field(skb, &start, &at);
		if (at + 2 > *need)
			*need = at + 2;
	}

	if (f.proto == PROTO_TCP || f.proto == PROTO_UDP) {
		/* cloudmock reads TCP ports with 14 bytes of header (for the
		 * flags), UDP ports with 8; anything shorter: user space. */
		__u32 need = f.proto == PROTO_TCP ? 14 : 8;
		__u8 p[4];
		if (tot < iphl + need || bpf_skb_load_bytes(skb, l4, p, 4) < 0)
			return KPATH_PUNT_IP_HEADER;
		f.sport = (__u16)p[0] << 8 | p[1];
		f.dport = (__u16)p[2] << 8 | p[3];
		f.has_ports = 1;
	} else if ((f.proto == PROTO_ICMP || f.proto == PROTO_ICMPV6) && len >= l4 + 2) {
		/* cloudmock reads the ICMP type and code when the frame holds them */
		__u8 ic[2];
		if (bpf_skb_load_bytes(skb, l4, ic, 2) == 0)
			f.icmp = 1, f.itype = ic[0], f.icode = ic[1];
	}
	if (never_mirrored(&f))
		return KPATH_PUNT_NEVER;
	if (f.v6) {
		__builtin_memcpy(f.peer6, dir == KPATH_DIR_EGRESS ? f.dst6 : f.src6, 16);
		f.dns_reply = ec2_service6(f.src6, ADDR6_AMAZON_DNS_LO);
		f.dns = f.dns_reply || ec2_service6(f.dst6, ADDR6_AMAZON_DNS_LO);
		f.hash = flow_hash6(f.src6, f.dst6, f.sport, f.dport, f.proto);
	} else {
		f.peer = dir == KPATH_DIR_EGRESS ? f.dst : f.src;
		f.dns_reply = amazon_dns(port, f.src);
		f.dns = f.dns_reply || amazon_dns(port, f.dst);
		f.hash = flow_hash(f.src, f.dst, f.sport, f.dport, f.proto);
	}
	if ((port->flags & KPATH_PORT_ACL) && !kpath_network_acl(port, &f))
		return KPATH_PUNT_NETWORK_ACL;
	if ((port->flags & KPATH_PORT_STATEFUL) && !kpath_security_groups(port, &f))
		return KPATH_PUNT_SECURITY_GROUP;
	return kpath_rules(port, &f, flags);
}

/* verdict is decide's, but a packet its session cuts shorter than the
 * kernel can (see decide's need: IPv6 extension headers, a partial
 * checksum's field past the cut) is left to user space. */
static __always_inline __u32 verdict(struct __sk_buff *skb, const struct port *port, __u32 dir, __u32 flags)
{
	__u32 need = 0;
	__u32 v = decide(skb, port, dir, flags, &need);
	if (!IS_KERNEL(v))
		return v;
	__u32 slot = v & 0xffff;
	const struct session *s = bpf_map_lookup_elem(&sessions, &slot);
	if (s && s->max_inner > 0 && skb->len > s->max_inner && need > s->max_inner)
		return KPATH_PUNT_CUT;
	return v;
}

static __always_inline void count_punt(__u32 reason)
{
	__u64 *c = bpf_map_lookup_elem(&punts, &reason);
	if (c)
		*c += 1;
}

static __always_inline void count_error(__u32 slot)
{
	struct stats *c = bpf_map_lookup_elem(&counters, &slot);
	if (c)
		c->errors += 1;
}

/* route returns the route of a clone or decision mark (slot, hash7). */
static __always_inline struct route *route_of(__u32 mark, struct session **sp)
{
	__u32 slot = mark & 0xffff;
	struct session *s = bpf_map_lookup_elem(&sessions, &slot);
	if (!s)
		return 0;
	*sp = s;
	return &s->routes[(mark >> 16) & (KPATH_OUTER_PORTS - 1)];
}

/* csum_chunk adds n bytes of the (linear) packet at off to sum; -1: out
 * of the packet. */
static __always_inline int csum_chunk(struct __sk_buff *skb, __u32 off, __u32 n, __u32 *sum)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	if (off > 0x7fff)
		return -1;
	/* masked where the verifier sees it (the compiler would drop the
	 * mask after the test above): a bounded offset, or p gets no range */
	__u64 o = off;
	asm volatile("" : "+r"(o));
	o &= 0x7fff;
	void *p = data + o;
	if (p + n > end)
		return -1;
	__s64 r = bpf_csum_diff(0, 0, p, n, *sum);
	if (r < 0)
		return -1;
	*sum = (__u32)r;
	return 0;
}

/* kpath_csum_range adds the packet's bytes from off to to (off even) to
 * sum; the packet must be linear. -1: out of the packet. A global
 * function: the verifier checks its loop once, not per caller and path. */
__noinline int kpath_csum_range(struct __sk_buff *skb, __u32 off, __u32 to, __u32 *sum)
{
	if (!skb || !sum)
		return -1;
	for (int i = 0; i < 64; i++) { /* 64 * 256 bytes: any copy */
		if (off + 256 > to)
			break;
		if (csum_chunk(skb, off, 256, sum) < 0)
			return -1;
		off += 256;
	}
#define KPATH_CSUM_STEP(n)                                                                         \
	if (to - off >= (n)) {                                                                     \
		if (csum_chunk(skb, off, (n), sum) < 0)                                            \
			return -1;                                                                 \
		off += (n);                                                                        \
	}
	KPATH_CSUM_STEP(128)
	KPATH_CSUM_STEP(64)
	KPATH_CSUM_STEP(32)
	KPATH_CSUM_STEP(16)
	KPATH_CSUM_STEP(8)
	KPATH_CSUM_STEP(4)
#undef KPATH_CSUM_STEP
	__u32 rest = (to - off) & 3;
	if (rest) {
		__u8 t[4] = {};
		if (bpf_skb_load_bytes(skb, off, t, rest) < 0)
			return -1;
		__s64 r = bpf_csum_diff(0, 0, (__be32 *)t, 4, *sum);
		if (r < 0)
			return -1;
		*sum = (__u32)r;
	}
	return 0;
}

static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}


/* udp6_csum completes the checksum of the UDP datagram over IPv6 at
 * offset udp, which runs to the end of the packet (its checksum field
 * 0), as cloudmock's udp6Checksum: one's complement sums in host order
 * fold to the same bits as in network order. A partial inner checksum
 * (CHECKSUM_PARTIAL, completed as the copy leaves the receiver's port)
 * is summed as the value it will have: skb_checksum_help's. */
static __always_inline int udp6_csum(struct __sk_buff *skb, __u32 udp, __u32 pseudo, int partial)
{
	__u32 len = skb->len;
	if (udp + 8 > len || len > 0xffff || bpf_skb_pull_data(skb, len) < 0)
		return -1;
	__u64 acc = (__u64)pseudo + bpf_htons((__u16)(len - udp));
	acc = (acc & 0xffffffff) + (acc >> 32);
	__u32 sum = (__u32)acc, end = len;
	if (partial) {
		__u32 start, at;
		partial_field(skb, &start, &at);
		__u16 seed;
		__u32 inner = 0;
		if (start < udp + 8 || (start & 1) || at + 2 > len || bpf_skb_load_bytes(skb, at, &seed, 2) < 0 ||
		    kpath_csum_range(skb, start, len, &inner) < 0)
			return -1;
		__u16 done = ~csum_fold(inner);
		if (done == 0)
			done = 0xffff;
		/* the field will hold done instead of seed */
		acc = (__u64)sum + inner + (__u16)~seed + done;
		acc = (acc & 0xffffffff) + (acc >> 32);
		sum = (__u32)acc + (__u32)(acc >> 32);
		end = start;
	}
	if (kpath_csum_range(skb, udp, end, &sum) < 0)
		return -1;
	__u16 c = ~csum_fold(sum);
	if (c == 0)
		c = 0xffff;
	return bpf_skb_store_bytes(skb, udp + 6, &c, sizeof(c), 0);
}

/* carry_cut readies a CHECKSUM_PARTIAL packet to be cut at cut: the
 * bytes cut off are added to the seed in its checksum field, so that the
 * checksum the receiver's port completes over what is left is the whole
 * packet's (what user space completes before it cuts). */
static __always_inline int carry_cut(struct __sk_buff *skb, __u32 cut)
{
	__u32 start, at, len = skb->len, tail = 0;
	__u16 seed;
	partial_field(skb, &start, &at);
	if (start >= cut || at + 2 > cut || len > 0xffff || bpf_skb_pull_data(skb, len) < 0 ||
	    bpf_skb_load_bytes(skb, at, &seed, 2) < 0 || kpath_csum_range(skb, cut, len, &tail) < 0)
		return -1;
	__u32 t = csum_fold(tail);
	if ((cut - start) & 1) /* paired the other way in the checksum */
		t = ((t & 0xff) << 8) | (t >> 8);
	__u16 v = csum_fold((__u32)seed + t);
	return bpf_skb_store_bytes(skb, at, &v, sizeof(v), 0);
}

/* encap turns one of our clones into the frame cloudmock's
 * Decision.AppendWire writes for it: the route's header, its length
 * fields and IPv4 checksums completed, then the inner frame (cut to
 * max_inner). */
static __always_inline int encap(struct __sk_buff *skb, __u32 mark, const struct settings *cfg)
{
	struct session *s = 0;
	struct route *r = route_of(mark, &s);
	if (!r || !s) {
		count_error(KPATH_GLOBAL_SLOT);
		return TCX_DROP;
	}
	__u32 slot = r->count_in;
	__u32 hlen = r->hlen;
	if (!r->ifindex || hlen < 14 || hlen > KPATH_MAX_HEADER)
		goto fail;
	__u8 eth[14];
	if (bpf_skb_load_bytes(skb, 0, eth, sizeof(eth)) < 0)
		goto fail;
	if (s->max_inner > 0 && skb->len > s->max_inner) {
		if (checksum_partial(skb) && carry_cut(skb, s->max_inner) < 0)
			goto fail;
		if (bpf_skb_change_tail(skb, s->max_inner, 0) < 0)
			goto fail;
	}
	if (bpf_skb_adjust_room(skb, hlen, BPF_ADJ_ROOM_MAC, 0) < 0)
		goto fail;
	if (bpf_skb_store_bytes(skb, 0, r->hdr, hlen, BPF_F_RECOMPUTE_CSUM) < 0 ||
	    bpf_skb_store_bytes(skb, hlen, eth, sizeof(eth), BPF_F_RECOMPUTE_CSUM) < 0)
		goto fail;
	__u32 n = r->nfix;
	for (__u32 i = 0; i < KPATH_MAX_FIXES; i++) {
		if (i >= n)
			break;
		const struct fix *f = &r->fix[i];
		__u32 at = f->at;
		if (at > KPATH_MAX_HEADER - 2)
			goto fail;
		__u16 was, v = bpf_htons((__u16)(skb->len - f->base));
		__builtin_memcpy(&was, &r->hdr[at], sizeof(was));
		if (bpf_skb_store_bytes(skb, at, &v, sizeof(v), BPF_F_RECOMPUTE_CSUM) < 0)
			goto fail;
		if (f->csum && bpf_l3_csum_replace(skb, f->csum, was, v, sizeof(v)) < 0)
			goto fail;
	}
	if (r->udp6 && udp6_csum(skb, r->udp6, r->pseudo, checksum_partial(skb)) < 0)
		goto fail;
	skb->mark = cfg->copy_mark;
	if (cfg->flags & KPATH_STREAM_COPIES) {
		/* a full perf ring loses the record, not the copy; the reader
		 * counts what it lost */
		struct copy_event ev = {.slot = slot, .len = skb->len, .ns = bpf_ktime_get_ns()};
		if (checksum_partial(skb)) {
			__u32 start = 0, at = 0;
			partial_field(skb, &start, &at);
			ev.partial = 1;
			ev.csum_start = start;
			ev.csum_at = at;
		}
		bpf_perf_event_output(skb, &copies, BPF_F_CURRENT_CPU | ((__u64)ev.len << 32), &ev, sizeof(ev));
	}
	if (r->flags & KPATH_ROUTE_FORWARD)
		bpf_set_hash(skb, KPATH_FORWARD_HASH); /* see kpath_tc_forward */
	return TCX_NEXT;
fail:
	count_error(slot);
	return TCX_DROP;
}

/* mirror is the tc program of one hook of a port: dir is the direction
 * of the packets that pass it (KPATH_DIR_*). */
static __always_inline int mirror(struct __sk_buff *skb, __u32 dir)
{
	__u32 zero = 0;
	struct settings *cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg)
		return TCX_NEXT;
	__u32 mark = skb->mark;
	if (dir == KPATH_DIR_INGRESS && mark >> 24 == KPATH_CLONE_TAG)
		return encap(skb, mark, cfg);
	if (mark == cfg->copy_mark)
		return TCX_NEXT;
	struct port_key key = {.ifindex = skb->ifindex, .dir = dir};
	struct port *port = bpf_map_lookup_elem(&ports, &key);
	if (!port)
		return TCX_NEXT;
	__u32 v = verdict(skb, port, dir, cfg->flags);
	if (!IS_KERNEL(v)) {
		count_punt(v);
		return TCX_NEXT;
	}
	struct session *s = 0;
	struct route *r = route_of(v, &s);
	if (!r || !s) {
		count_punt(KPATH_PUNT_NO_SESSION);
		return TCX_NEXT;
	}
	__u32 slot = r->count_in;
	struct stats *c = bpf_map_lookup_elem(&counters, &slot);
	__u32 inner = skb->len, cut = 0;
	if (s->max_inner > 0 && inner > s->max_inner)
		cut = 1;
	if (!r->ifindex) {
		/* lost on the way (the target's ACL or groups, no listener,
		 * no healthy target): mirrored all the same, and counted */
		if (c) {
			struct tally *t = &c->lost[r->lost & (KPATH_LOST_REASONS - 1)];
			t->packets += 1;
			t->bytes += inner;
			t->truncated += cut;
		}
		return TCX_NEXT;
	}
	if (c) {
		c->packets += 1;
		c->bytes += inner;
		c->truncated += cut;
		if (cut)
			inner = s->max_inner;
		c->wire += r->hlen - 14 + inner; /* the outer headers but Ethernet */
	}
	skb->mark = v;
	long err = bpf_clone_redirect(skb, r->ifindex, 0);
	skb->mark = mark;
	if (err != 0 && c)
		c->errors += 1;
	return TCX_NEXT;
}

SEC("tcx/ingress")
int kpath_tc_ingress(struct __sk_buff *skb)
{
	return mirror(skb, KPATH_DIR_EGRESS);
}

SEC("tcx/egress")
int kpath_tc_egress(struct __sk_buff *skb)
{
	return mirror(skb, KPATH_DIR_INGRESS);
}

/*
 * kpath_tc_forward sits on the end of a link from another fabric (a
 * peering's) and hands the copies that fabric's kernel path sent over it
 * (tagged by their hash: VXLAN or GENEVE datagrams to a receiver it
 * forwards to) to the receiver's port, as the user-space path writes them
 * there, with the copy mark; anything else passes.
 */
SEC("tcx/ingress")
int kpath_tc_forward(struct __sk_buff *skb)
{
	if (skb->hash != KPATH_FORWARD_HASH)
		return TCX_NEXT;
	__u32 zero = 0;
	struct settings *cfg = bpf_map_lookup_elem(&config, &zero);
	__u8 h[58]; /* Ethernet, IPv4 (or IPv6), the UDP ports */
	struct forward_key key = {};
	__u16 dport;
	if (!cfg || bpf_skb_load_bytes(skb, 0, h, 14) < 0)
		return TCX_NEXT;
	if (h[12] == 0x08 && h[13] == 0x00) {
		if (bpf_skb_load_bytes(skb, 14, &h[14], 24) < 0 || h[14] != 0x45 || h[23] != PROTO_UDP)
			return TCX_NEXT;
		dport = (__u16)h[36] << 8 | h[37];
		key.addr[10] = key.addr[11] = 0xff;
		__builtin_memcpy(&key.addr[12], &h[30], 4);
	} else if (h[12] == 0x86 && h[13] == 0xdd) {
		if (bpf_skb_load_bytes(skb, 14, &h[14], 44) < 0 || h[14] >> 4 != 6 || h[20] != PROTO_UDP)
			return TCX_NEXT;
		dport = (__u16)h[56] << 8 | h[57];
		__builtin_memcpy(key.addr, &h[38], 16);
	} else {
		return TCX_NEXT;
	}
	if (dport != 4789 && dport != 6081)
		return TCX_NEXT;
	struct forward *f = bpf_map_lookup_elem(&forwards, &key);
	if (!f) {
		count_error(KPATH_GLOBAL_SLOT);
		return TCX_NEXT;
	}
	skb->mark = cfg->copy_mark;
	return bpf_redirect(f->ifindex, 0);
}

/* filter is the socket filter of one direction's capture ring. */
static __always_inline int filter(struct __sk_buff *skb, __u32 dir)
{
	__u32 zero = 0;
	struct settings *cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg || skb->mark == cfg->copy_mark)
		return 0;
	int outgoing = skb->pkt_type == PACKET_OUTGOING;
	if (outgoing != (dir == KPATH_DIR_INGRESS))
		return 0;
	struct port_key key = {.ifindex = skb->ifindex, .dir = dir};
	struct port *port = bpf_map_lookup_elem(&ports, &key);
	if (!port)
		return skb->len;
	if (IS_KERNEL(verdict(skb, port, dir, cfg->flags)))
		return 0;
	return skb->len;
}

SEC("socket")
int kpath_sock_ingress(struct __sk_buff *skb)
{
	return filter(skb, KPATH_DIR_INGRESS);
}

SEC("socket")
int kpath_sock_egress(struct __sk_buff *skb)
{
	return filter(skb, KPATH_DIR_EGRESS);
}

/*
 * kpath_sock_both is the socket filter of a ring that captures both
 * directions of a port: the direction is the packet type's (PACKET_OUTGOING
 * at the fabric end is instance ingress, as the reader tells it too).
 */
SEC("socket")
int kpath_sock_both(struct __sk_buff *skb)
{
	return filter(skb, skb->pkt_type == PACKET_OUTGOING ? KPATH_DIR_INGRESS : KPATH_DIR_EGRESS);
}

/* kpath_probe runs decide for the direction in cb[0] and returns its
 * verdict (the clone's mark, or the punt reason); when the kernel
 * mirrors, cb[1] is the receiver's port the clone goes to (0: the copy is
 * lost on the way) and cb[2] why it is lost. It is never attached: tests
 * and debugging run it with BPF_PROG_TEST_RUN. */
SEC("tc")
int kpath_probe(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct settings *cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg)
		return -1;
	__u32 dir = skb->cb[0];
	struct port_key key = {.ifindex = skb->ifindex, .dir = dir};
	struct port *port = bpf_map_lookup_elem(&ports, &key);
	if (!port)
		return -1;
	__u32 v = verdict(skb, port, dir, cfg->flags);
	struct session *s = 0;
	struct route *r = IS_KERNEL(v) ? route_of(v, &s) : 0;
	if (r) {
		skb->cb[1] = r->ifindex;
		skb->cb[2] = r->lost;
	}
	return v;
}
