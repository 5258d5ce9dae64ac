package dataplane

import (
	"time"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// Decisions in packet order across the two directions of an ENI.
//
// Each direction has its own ring and capture goroutine, so a reply may
// be read before its request: the rings hand blocks over independently
// (when full, or at their block timeouts), and the goroutines run when
// the scheduler lets them. A stateful security group lets a reply in
// only once its request is in the ENI's flow table; decided first, the
// reply was refused (dropped-by-source-sg) although the instance
// received it.
//
// The request was queued into the other direction's ring before the
// reply was sent, hence before the reply reached this ring. So when a
// security group refuses a packet, the pipeline reads how many frames the
// other ring has queued (the kernel's PACKET_STATISTICS: received minus
// dropped), waits until the other capture goroutine has handled that
// many (ringDone), and decides the packet again. A packet that is
// refused for good waits only while the other direction is behind (at
// most its ring's block timeout, then the other goroutine's turn), never
// when it has caught up; the wait is bounded (orderWaitFor) so a stalled
// peer cannot stall this direction.
//
// A flood of refused packets while the other direction is busy would
// wait up to a block timeout each: the time spent waiting is capped at
// orderBudget per orderWindow, beyond which refused packets are decided
// at once, as before (and the ring keeps draining).
//
// When both directions are refusing at once and each waits for the
// other, the second to wait does not (waiting is set): it decides as
// before rather than have the two wait out each other's deadline.

// orderPoll is how often a waiting pipeline looks at the other's progress.
const orderPoll = 50 * time.Microsecond

// orderWaitFor bounds a wait: a few block timeouts of the other ring,
// and at least orderWaitMin.
func orderWaitFor(blockTimeout time.Duration) time.Duration {
	return max(4*blockTimeout, orderWaitMin)
}

const orderWaitMin = 20 * time.Millisecond

// orderBudget is the waiting allowed per orderWindow (10%).
const (
	orderWindow = time.Second
	orderBudget = orderWindow / 10
)

// orderClock is a pipeline's account of its waits (capture goroutine only).
type orderClock struct {
	window time.Time     // start of the current window
	spent  time.Duration // waited in it
}

// allow reports whether a wait may start at now.
func (c *orderClock) allow(now time.Time) bool {
	if now.Sub(c.window) >= orderWindow {
		c.window, c.spent = now, 0
	}
	return c.spent < orderBudget
}

// redecideRefused decides d's packet again once the other direction has
// caught up, when a security group refused it; it reports whether it did.
func (p *pipeline) redecideRefused(m *cloudmock.Model, ref cloudmock.ENIRef, frame []byte) bool {
	d := &p.dec
	o := p.opp
	if d.Reason != cloudmock.ReasonSourceSG || o == nil || o.ring == nil || o.waiting.Load() || o.stop.Load() {
		return false
	}
	queued, ok := o.ring.queued()
	if !ok || o.ringDone.Load() >= queued {
		return false // it has handled all it was given: nothing to wait for
	}
	start := time.Now()
	if !p.order.allow(start) {
		return false
	}
	p.waiting.Store(true)
	deadline := start.Add(orderWaitFor(o.ring.blockTimeout))
	for o.ringDone.Load() < queued && !o.waiting.Load() && time.Now().Before(deadline) {
		time.Sleep(orderPoll)
	}
	p.waiting.Store(false)
	p.order.spent += time.Since(start)
	p.st.reordered.Add(1)
	m.DecideInto(d, ref, p.dir, frame)
	return true
}
