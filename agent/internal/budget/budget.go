package budget

import (
	"sync/atomic"
)

// MinReserve is the smallest in-flight reserve: room for one largest
// packet buffer.
const MinReserve = 64 << 10

// Budget is a limit on bytes held, shared by every holder. Safe for
// concurrent use.
type Budget struct {
	limit   int64
	reserve int64
	used    atomic.Int64
	peak    atomic.Int64
	refused atomic.Uint64
}

// New returns a budget of limit bytes, of which limit/8 (at least
// MinReserve, at most limit) is kept for packets in flight.
func New(limit int64) *Budget {
	if limit < 0 {
		limit = 0
	}
	reserve := min(max(limit/8, MinReserve), limit)
	return &Budget{limit: limit, reserve: reserve}
}

// Limit returns the limit in bytes (0 for a nil budget).
func (b *Budget) Limit() int64 {
	if b == nil {
		return 0
	}
	return b.limit
}

// Used returns the bytes charged now.
func (b *Budget) Used() int64 {
	if b == nil {
		return 0
	}
	return b.used.Load()
}

// Peak returns the most bytes charged at once so far.
func (b *Budget) Peak() int64 {
	if b == nil {
		return 0
	}
	return b.peak.Load()
}

// Refused returns how many charges were refused.
func (b *Budget) Refused() uint64 {
	if b == nil {
		return 0
	}
	return b.refused.Load()
}

// TryCharge charges n bytes of state if the total stays within the limit
// less the in-flight reserve; it reports whether it did.
func (b *Budget) TryCharge(n int64) bool {
	if b == nil {
		return true
	}
	return b.charge(n, b.limit-b.reserve)
}

// TryChargeInFlight charges n bytes of packets in flight if the total
// stays within the limit; it reports whether it did.
func (b *Budget) TryChargeInFlight(n int64) bool {
	if b == nil {
		return true
	}
	return b.charge(n, b.limit)
}

func (b *Budget) charge(n, ceiling int64) bool {
	for {
		u := b.used.Load()
		if n > 0 && u+n > ceiling {
			b.refused.Add(1)
			return false
		}
		if b.used.CompareAndSwap(u, u+n) {
			if p := b.peak.Load(); u+n > p {
				// A lost race only leaves the peak a little low.
				b.peak.CompareAndSwap(p, u+n)
			}
			return true
		}
	}
}

// Release gives back n bytes charged before.
func (b *Budget) Release(n int64) {
	if b == nil || n == 0 {
		return
	}
	b.used.Add(-n)
}

// Account is one holder's charge (a stream's parser, a pending exchange):
// Set moves it to what the holder holds now. Not safe for concurrent use.
type Account struct {
	b    *Budget
	held int64
}

// NewAccount returns an empty account on b.
func NewAccount(b *Budget) Account { return Account{b: b} }

// Held returns the bytes charged to the account.
func (a *Account) Held() int64 { return a.held }

// Set charges or releases the difference between n and what the account
// holds. Growth is refused (and the account unchanged) when the budget
// cannot take it; shrinking always succeeds.
func (a *Account) Set(n int64) bool {
	switch d := n - a.held; {
	case d > 0:
		if !a.b.TryCharge(d) {
			return false
		}
	case d < 0:
		a.b.Release(-d)
	}
	a.held = n
	return true
}

// Release gives back everything the account holds.
func (a *Account) Release() { a.Set(0) }
