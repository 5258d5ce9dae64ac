package dataplane

import (
	"net/netip"
	"sync/atomic"
)

// slot is one preallocated datagram buffer in a queue. buf holds the whole
// outer Ethernet frame (for the pcapng writer); the datagram handed to the
// kernel is buf[ipOff:n].
type slot struct {
	buf    []byte
	n      int         // bytes used in buf
	ipOff  int         // where the outer IPv4 header starts in buf
	dst    netip.Addr  // outer destination (the target or the NLB's chosen agent)
	target *targetAddr // the receiving address (pcap writer, per-target counters)
	stamp  int64       // capture time, unix nanoseconds (pcapng timestamp)
}

// queue is a bounded single-producer single-consumer ring of preallocated
// slots between one capture goroutine and its sender. The producer never
// blocks: when the ring is full, reserve fails and the caller counts the copy
// as skipped. Nothing is allocated after newQueue.
type queue struct {
	slots    []slot
	mask     uint64
	slotSize int

	// head is the next slot to consume (written by the consumer only);
	// tail the next slot to fill (written by the producer only).
	head atomic.Uint64
	_    [56]byte // keep head and tail on separate cache lines
	tail atomic.Uint64
	_    [56]byte

	// sleeping is 1 while the consumer waits on wake; the producer sends a
	// token only then, so the common case costs one atomic load.
	sleeping atomic.Uint32
	wake     chan struct{}
}

// newQueue returns a queue of at least n slots (rounded up to a power of
// two) of slotSize bytes each.
func newQueue(n, slotSize int) *queue {
	size := 1
	for size < n {
		size <<= 1
	}
	q := &queue{
		slots:    make([]slot, size),
		mask:     uint64(size - 1),
		slotSize: slotSize,
		wake:     make(chan struct{}, 1),
	}
	backing := make([]byte, size*slotSize)
	for i := range q.slots {
		q.slots[i].buf = backing[i*slotSize : (i+1)*slotSize : (i+1)*slotSize]
	}
	return q
}

// capacity is the number of slots.
func (q *queue) capacity() int { return len(q.slots) }

// depth is the number of filled slots not yet consumed.
func (q *queue) depth() int { return int(q.tail.Load() - q.head.Load()) }

// reserve returns the next free slot, or nil when the queue is full. The
// slot is invisible to the consumer until commit.
func (q *queue) reserve() *slot {
	t := q.tail.Load()
	if t-q.head.Load() >= uint64(len(q.slots)) {
		return nil
	}
	return &q.slots[t&q.mask]
}

// commit publishes the slot returned by the last reserve.
func (q *queue) commit() {
	q.tail.Add(1)
	if q.sleeping.Load() == 1 && q.sleeping.CompareAndSwap(1, 0) {
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
}

// peek returns up to max filled slots, oldest first, as indexes from head;
// the consumer calls at(i) for each and then release(n).
func (q *queue) peek(max int) (first uint64, n int) {
	h := q.head.Load()
	avail := q.tail.Load() - h
	if avail > uint64(max) {
		avail = uint64(max)
	}
	return h, int(avail)
}

// at returns the slot at absolute index i.
func (q *queue) at(i uint64) *slot { return &q.slots[i&q.mask] }

// release frees n slots from head.
func (q *queue) release(n int) { q.head.Add(uint64(n)) }

// wait blocks until the queue is not empty or done is closed; it reports
// false when done is closed.
func (q *queue) wait(done <-chan struct{}) bool {
	for {
		if q.depth() > 0 {
			return true
		}
		q.sleeping.Store(1)
		if q.depth() > 0 { // a commit raced with the store above
			q.sleeping.Store(0)
			return true
		}
		select {
		case <-q.wake:
		case <-done:
			q.sleeping.Store(0)
			return false
		}
	}
}
