package dataplane

import (
	"net/netip"
	"sync/atomic"
)

// slot is one preallocated datagram buffer in a queue. buf holds the whole
// outer Ethernet frame, or its headers with ext (for the pcapng writer);
// the datagram handed to the kernel is buf[ipOff:n] followed by ext.
//
// buf is head, room for the headers (the common case: the frame stays
// in the ring), or whole, room for the largest copy, allocated the first
// time the slot carries a copy written whole (see queue.whole).
type slot struct {
	buf         []byte
	head, whole []byte
	n           int // bytes used in buf
	// ext, when not nil, is the rest of the frame after buf[:n]: the
	// inner frame where it lies in the capture ring, whose block (block)
	// is held until the copy is sent.
	ext    []byte
	block  int
	ipOff  int         // where the outer IPv4 header starts in buf
	dst    netip.Addr  // outer destination (the target or the NLB's chosen agent)
	target *targetAddr // the receiving address (pcap writer, per-target counters)
	stamp  int64       // capture time, unix nanoseconds (pcapng timestamp)
}

// queue is a bounded single-producer single-consumer queue of preallocated
// slots between one capture goroutine and its sender. The producer never
// blocks: when every slot is in use, reserve fails and the caller counts
// the copy as skipped. Nothing is allocated after newQueue except a chunk
// of head buffers the first time the queue gets that deep, and a slot's
// whole buffer the first time it carries a copy written whole.
//
// Committed slots travel in FIFO order (ready, a ring of slot indexes);
// free slots are reused last-in first-out: the sender returns each batch
// it sent onto a stack, which the producer takes whole when its own runs
// out. So the buffer a copy is written into is one that was sent moments
// ago and is still in the caches: a ring of slots would walk every copy
// through all QueueLen buffers (37 MiB at MTU 9001, a cache and TLB miss
// per copy), where the working set here is what the queue really holds.
type queue struct {
	slots    []slot
	slotSize int
	ready    []uint32 // committed slot indexes, ring of len(slots)
	mask     uint64

	// head is the next ready entry to consume (written by the consumer
	// only); tail the next to fill (written by the producer only).
	head atomic.Uint64
	_    [56]byte // keep head and tail on separate cache lines
	tail atomic.Uint64
	_    [56]byte

	// own is the producer's stack of free slots (top last); returned is
	// the stack of slots the consumer released (index+1 of its top, 0:
	// empty; next[i] is the index+1 of the one below slot i). The
	// producer only ever takes returned whole (Swap), so the one CAS of
	// the consumer's push cannot meet the ABA problem.
	own      []uint32
	returned atomic.Uint64
	_        [56]byte
	next     []uint32

	// sleeping is 1 while the consumer waits on wake; the producer sends a
	// token only then, so the common case costs one atomic load.
	sleeping atomic.Uint32
	wake     chan struct{}
}

// queueChunk is how many slot buffers are allocated at once.
const queueChunk = 16

// slotHeadSize is the room for a copy's headers in every slot: the
// largest written apart from the frame (Ethernet, a GWLB's IPv4, UDP and
// GENEVE with its options, then IPv4, UDP and VXLAN) are 118 bytes.
const slotHeadSize = 256

// newQueue returns a queue of at least n slots (rounded up to a power of
// two) of slotSize bytes each. Only the first queueChunk buffers are
// allocated here; the others in chunks, the first time the queue holds
// that many copies (slots are first used in index order, see reserve), so
// that an idle ENI's queue costs one chunk, not n buffers: 4096 buffers
// at MTU 9001 are 37 MiB of heap per ENI and direction, 7 GB for a lab of
// 100 sources even untouched.
func newQueue(n, slotSize int) *queue {
	size := 1
	for size < n {
		size <<= 1
	}
	q := &queue{
		slots:    make([]slot, size),
		slotSize: slotSize,
		ready:    make([]uint32, size),
		mask:     uint64(size - 1),
		own:      make([]uint32, size),
		next:     make([]uint32, size),
		wake:     make(chan struct{}, 1),
	}
	for i := range q.slots {
		q.own[i] = uint32(size - 1 - i) // slot 0 on top
	}
	q.grow(0)
	return q
}

// grow allocates the head buffers of the chunk holding slot i (whole
// ones too when a copy fits in a head).
func (q *queue) grow(i uint32) {
	first := int(i) / queueChunk * queueChunk
	last := min(first+queueChunk, len(q.slots))
	hs := q.headSize()
	backing := make([]byte, (last-first)*hs)
	for j := first; j < last; j++ {
		k := j - first
		s := &q.slots[j]
		s.head = backing[k*hs : (k+1)*hs : (k+1)*hs]
		s.buf = s.head
		if hs == q.slotSize {
			s.whole = s.head
		}
	}
}

func (q *queue) headSize() int { return min(slotHeadSize, q.slotSize) }

// whole returns s's buffer for a copy written whole (slotSize bytes),
// allocated the first time s needs one, and makes it s.buf.
func (q *queue) whole(s *slot) []byte {
	if s.whole == nil {
		s.whole = make([]byte, q.slotSize)
	}
	s.buf = s.whole
	return s.buf
}

// capacity is the number of slots.
func (q *queue) capacity() int { return len(q.slots) }

// depth is the number of committed slots not yet consumed.
func (q *queue) depth() int { return int(q.tail.Load() - q.head.Load()) }

// reserve returns a free slot, or nil when every slot is in use. The slot
// is invisible to the consumer until commit, which must follow.
func (q *queue) reserve() *slot {
	if q.returned.Load() != 0 {
		q.takeReturned()
	}
	if len(q.own) == 0 {
		return nil
	}
	i := q.own[len(q.own)-1]
	if q.slots[i].head == nil {
		q.grow(i) // the queue never held this many copies before
	}
	s := &q.slots[i]
	s.buf = s.head
	return s
}

// takeReturned moves every slot the consumer returned onto own, the last
// one sent on top: it is reused first.
func (q *queue) takeReturned() {
	top := q.returned.Swap(0)
	n := 0
	for i := top; i != 0; i = uint64(q.next[i-1]) {
		n++
	}
	base := len(q.own)
	q.own = q.own[:base+n]
	for i := top; i != 0; i = uint64(q.next[i-1]) {
		n--
		q.own[base+n] = uint32(i - 1)
	}
}

// commit publishes the slot returned by the last reserve.
func (q *queue) commit() {
	i := q.own[len(q.own)-1]
	q.own = q.own[:len(q.own)-1]
	t := q.tail.Load()
	q.ready[t&q.mask] = i
	q.tail.Store(t + 1)
	if q.sleeping.Load() == 1 && q.sleeping.CompareAndSwap(1, 0) {
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
}

// peek returns up to max committed slots, oldest first, as indexes from
// head; the consumer calls at(i) for each and then release(n).
func (q *queue) peek(max int) (first uint64, n int) {
	h := q.head.Load()
	avail := q.tail.Load() - h
	if avail > uint64(max) {
		avail = uint64(max)
	}
	return h, int(avail)
}

// at returns the slot at absolute index i.
func (q *queue) at(i uint64) *slot { return &q.slots[q.ready[i&q.mask]] }

// release frees n slots from head: they go onto the returned stack in one
// push, the last one on top.
func (q *queue) release(n int) {
	if n <= 0 {
		return
	}
	h := q.head.Load()
	bottom := q.ready[h&q.mask]
	for k := uint64(1); k < uint64(n); k++ {
		q.next[q.ready[(h+k)&q.mask]] = q.ready[(h+k-1)&q.mask] + 1
	}
	top := uint64(q.ready[(h+uint64(n)-1)&q.mask]) + 1
	for {
		old := q.returned.Load()
		q.next[bottom] = uint32(old)
		if q.returned.CompareAndSwap(old, top) {
			break
		}
	}
	q.head.Store(h + uint64(n))
}

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
