package subnetaddr

import (
	"math"
	"net/netip"
)

// ReservedAtStart and ReservedAtEnd count the addresses AWS keeps at each
// end of every subnet: network, router, DNS and future use; broadcast.
const (
	ReservedAtStart = 4
	ReservedAtEnd   = 1
)

// Base is the subnet's first (network) address.
func Base(p netip.Prefix) netip.Addr { return p.Masked().Addr() }

// Last is the subnet's last address (the broadcast address of an IPv4
// subnet).
func Last(p netip.Prefix) netip.Addr {
	p = p.Masked()
	b := p.Addr().As16()
	bits := p.Bits()
	if p.Addr().Is4() {
		bits += 96 // As16 puts an IPv4 address in the last four bytes
	}
	for i := range b {
		switch {
		case bits >= 8*(i+1):
		case bits <= 8*i:
			b[i] = 0xff
		default:
			b[i] |= 0xff >> (bits - 8*i)
		}
	}
	a := netip.AddrFrom16(b)
	if p.Addr().Is4() {
		a = a.Unmap()
	}
	return a
}

// Gateway is the VPC router's address in the subnet: base + 1.
func Gateway(p netip.Prefix) netip.Addr { return add(Base(p), 1) }

// Resolver is the Amazon DNS address of a VPC (or subnet): base + 2.
func Resolver(p netip.Prefix) netip.Addr { return add(Base(p), 2) }

// FirstUsable is the lowest address AWS hands out in the subnet: base + 4.
func FirstUsable(p netip.Prefix) netip.Addr { return add(Base(p), ReservedAtStart) }

// LastUsable is the highest address AWS hands out: the one before the last.
func LastUsable(p netip.Prefix) netip.Addr { return Last(p).Prev() }

// Reserved reports whether a is one of the addresses AWS keeps in subnet
// p: the first four or the last. An address outside p is not reserved.
func Reserved(p netip.Prefix, a netip.Addr) bool {
	p = p.Masked()
	if !p.IsValid() || !p.Contains(a) {
		return false
	}
	return a.Less(FirstUsable(p)) || a == Last(p)
}

// Assignable is how many addresses of the subnet AWS can hand out: its
// size less the five it keeps (0 for a subnet too small to hold any;
// math.MaxUint64 when the count does not fit, as for an IPv6 /64).
func Assignable(p netip.Prefix) uint64 {
	if !p.IsValid() {
		return 0
	}
	host := p.Addr().BitLen() - p.Bits()
	if host >= 64 {
		return math.MaxUint64
	}
	size := uint64(1) << host
	if size <= ReservedAtStart+ReservedAtEnd {
		return 0
	}
	return size - ReservedAtStart - ReservedAtEnd
}

// add returns a + n, or the zero Addr when that leaves the address family.
func add(a netip.Addr, n int) netip.Addr {
	for range n {
		a = a.Next()
	}
	return a
}

// Allocator hands out the free addresses of one subnet the way AWS does,
// lowest first, each once, in time proportional to the addresses it passes
// over: a cursor remembers where the last search stopped. Mark every
// address given explicitly as taken before the first Next, since the cursor
// never goes back.
type Allocator struct {
	next, last netip.Addr // next candidate; last usable address
	full       bool
}

// NewAllocator starts at the subnet's first usable address.
func NewAllocator(p netip.Prefix) *Allocator {
	a := &Allocator{next: FirstUsable(p), last: LastUsable(p)}
	a.full = !p.IsValid() || !a.next.IsValid() || !a.last.IsValid() || a.last.Less(a.next)
	return a
}

// Next returns the lowest address at or after the cursor for which taken
// (nil: none is) reports false, and moves the cursor past it; false when
// the subnet has no free address left.
func (al *Allocator) Next(taken func(netip.Addr) bool) (netip.Addr, bool) {
	for !al.full {
		a := al.next
		if a == al.last {
			al.full = true
		} else {
			al.next = a.Next()
		}
		if taken == nil || !taken(a) {
			return a, true
		}
	}
	return netip.Addr{}, false
}
