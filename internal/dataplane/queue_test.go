package dataplane

import (
	"sync"
	"testing"
)

func TestQueueBoundedFIFO(t *testing.T) {
	q := newQueue(3, 16) // rounds up to 4
	if q.capacity() != 4 {
		t.Fatalf("capacity = %d, want 4", q.capacity())
	}
	for i := 0; i < 4; i++ {
		s := q.reserve()
		if s == nil {
			t.Fatalf("reserve %d: queue full too early", i)
		}
		s.n = i
		q.commit()
	}
	if s := q.reserve(); s != nil {
		t.Fatal("reserve on a full queue returned a slot")
	}
	if d := q.depth(); d != 4 {
		t.Fatalf("depth = %d, want 4", d)
	}
	first, n := q.peek(3)
	if n != 3 {
		t.Fatalf("peek(3) = %d slots", n)
	}
	for i := 0; i < n; i++ {
		if got := q.at(first + uint64(i)).n; got != i {
			t.Fatalf("slot %d holds %d", i, got)
		}
	}
	q.release(n)
	if q.depth() != 1 || q.reserve() == nil {
		t.Fatal("release did not free slots")
	}
}

func TestQueueConcurrentNoLossNoReorder(t *testing.T) {
	const total = 200000
	q := newQueue(64, 8)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	var got, bad int
	go func() {
		defer wg.Done()
		next := 0
		for got < total {
			if !q.wait(done) {
				return
			}
			first, n := q.peek(16)
			for i := 0; i < n; i++ {
				if q.at(first+uint64(i)).n != next {
					bad++
				}
				next++
			}
			got += n
			q.release(n)
		}
	}()
	for i := 0; i < total; {
		s := q.reserve()
		if s == nil {
			continue // full: a real producer would count a skip
		}
		s.n = i
		q.commit()
		i++
	}
	wg.Wait()
	close(done)
	if got != total || bad != 0 {
		t.Fatalf("consumer got %d of %d, %d out of order", got, total, bad)
	}
}

func TestQueueWaitStopsOnDone(t *testing.T) {
	q := newQueue(4, 8)
	done := make(chan struct{})
	close(done)
	if q.wait(done) {
		t.Fatal("wait on an empty queue with done closed returned true")
	}
}

func TestQueueReserveCommitNoAlloc(t *testing.T) {
	q := newQueue(8, 64)
	allocs := testing.AllocsPerRun(1000, func() {
		s := q.reserve()
		s.n = copy(s.buf, "payload")
		q.commit()
		_, n := q.peek(8)
		q.release(n)
	})
	if allocs != 0 {
		t.Fatalf("reserve/commit/peek/release allocate %.1f times", allocs)
	}
}

// TestQueueReusesHotSlots: a queue that never holds more than a few
// copies keeps writing into the same few buffers (the ones just sent,
// still in the caches), not into all of its slots in turn.
func TestQueueReusesHotSlots(t *testing.T) {
	q := newQueue(4096, 64)
	used := map[*byte]bool{}
	for i := 0; i < 10000; i++ {
		for k := 0; k < 3; k++ {
			s := q.reserve()
			if s == nil {
				t.Fatal("queue full")
			}
			used[&s.buf[0]] = true
			q.commit()
		}
		first, n := q.peek(64)
		for k := 0; k < n; k++ {
			_ = q.at(first + uint64(k))
		}
		q.release(n)
	}
	if len(used) > 3 {
		t.Fatalf("10000 batches of 3 copies used %d distinct buffers, want 3", len(used))
	}
}

// TestQueueBuffersOnDemand: a deep queue allocates its buffers as it first
// gets that deep, and every buffer it hands out has the slot size.
func TestQueueBuffersOnDemand(t *testing.T) {
	q := newQueue(4096, 64)
	allocated := func() int {
		n := 0
		for i := range q.slots {
			if q.slots[i].buf != nil {
				n++
			}
		}
		return n
	}
	if got := allocated(); got != queueChunk {
		t.Fatalf("new queue: %d buffers, want %d", got, queueChunk)
	}
	for i := range 100 {
		s := q.reserve()
		if s == nil || len(s.buf) != 64 || cap(s.buf) != 64 {
			t.Fatalf("slot %d: %v", i, s)
		}
		q.commit()
	}
	if got, want := allocated(), (100+queueChunk-1)/queueChunk*queueChunk; got != want {
		t.Errorf("after 100 copies in flight: %d buffers, want %d", got, want)
	}
	first, n := q.peek(200)
	seen := map[*byte]bool{}
	for i := range n {
		b := &q.at(first + uint64(i)).buf[0]
		if seen[b] {
			t.Fatal("two slots share a buffer")
		}
		seen[b] = true
	}
}

// TestQueueWholeBuffersOnDemand: with jumbo copies, a slot hands out a
// head buffer for the headers of a copy whose frame stays in the ring,
// and a buffer for the largest copy only once it carries one written
// whole, which it keeps for the next.
func TestQueueWholeBuffersOnDemand(t *testing.T) {
	q := newQueue(64, 9200)
	s := q.reserve()
	if len(s.buf) != slotHeadSize || s.whole != nil {
		t.Fatalf("fresh slot: buffer of %d bytes, whole %v; want a %d-byte head and no whole buffer", len(s.buf), s.whole != nil, slotHeadSize)
	}
	w := q.whole(s)
	if len(w) != 9200 || &s.buf[0] != &w[0] {
		t.Fatalf("whole buffer of %d bytes (in use: %v), want 9200 in use", len(w), &s.buf[0] == &w[0])
	}
	q.commit()
	first, n := q.peek(8)
	_ = q.at(first)
	q.release(n)
	again := q.reserve()
	if again != s || len(again.buf) != slotHeadSize {
		t.Fatalf("reused slot: same %v, buffer of %d bytes; want the same slot with its head in use", again == s, len(again.buf))
	}
	if w2 := q.whole(again); &w2[0] != &w[0] {
		t.Fatal("a slot's whole buffer was allocated again")
	}
}
