package dataplane

import (
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/encap"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// pipeline is the path of one source ENI in one direction: the ENI's ring
// (shared with the other direction), the capture (decide, deliver,
// encapsulate into the queue; the ingress pipeline's goroutine does it for
// both), the queue, and the sender goroutine (sendmmsg: see sender).
type pipeline struct {
	svc *Service
	// view and eni are the configuration the capture goroutine last
	// loaded and the ENI's ref in its model (re-resolved by id when the
	// view changes); written by the capture goroutine only.
	view  *view
	eni   cloudmock.ENIRef
	eniID string
	sim   *sim.ENI
	dir   cloudmock.Direction
	mac   [6]byte // the instance end's MAC
	ring  *ring
	q     *queue
	snd   *sender
	st    pipeStats
	stop  atomic.Bool // set by Close: the capture goroutine returns
	// opp is the same ENI's other direction, on the same ring.
	opp *pipeline
	// quit ends the sender (once the queue is drained); exited and sent
	// are closed when the capture and the sender goroutines return.
	quit, exited, sent chan struct{}
	logger             *slog.Logger

	// Capture-side scratch, reused for every packet.
	dec cloudmock.Decision
	seg segmenter
	// tag is the VLAN tag of the frame being handled (see vlanTag), put
	// back into each packet in vlanBuf, grown on the first tagged frame.
	tag     uint32
	vlanBuf []byte
	// Sender-side scratch.
	failed []bool
	onErr  func(i int, err error)
	errLog errLimiter
}

// ours reports whether frame belongs to the ENI in the pipeline's
// direction: what the instance sent carries its MAC as source; what it
// receives is addressed to its MAC (or to a group). The bridge floods an
// unknown unicast to every port; a hypervisor would not show those frames
// to the ENI, so neither do we.
func (p *pipeline) ours(frame []byte) bool {
	if len(frame) < 14 {
		return false
	}
	if p.dir == cloudmock.Egress {
		return [6]byte(frame[6:12]) == p.mac
	}
	return frame[0]&1 == 1 || [6]byte(frame[0:6]) == p.mac
}

// readErrorBackoff is the pause after a failed ring read.
const readErrorBackoff = 10 * time.Millisecond

// statsEvery is how many frames the capture reads between two reads of
// the kernel's ring counters (also read at every idle poll timeout).
const statsEvery = 4096

// capture runs until stop is set. It never blocks on the mirror path: a
// full queue skips the copy (counted), so the kernel ring keeps draining.
//
// It reads the ENI's ring for both directions and hands each frame to the
// pipeline of the direction the kernel says (by the packet type): one
// reader decides the ENI's packets in the order the kernel saw them at the
// port, so a stateful security group always knows a request before its
// reply is decided. (With a ring and a reader per direction, a reply
// could be read before its request and be refused: the rings hand blocks
// over independently.)
func (p *pipeline) capture() {
	var n uint64
	for !p.stop.Load() {
		frame, vh, stamp, err := p.ring.read()
		if err == errTimeout {
			p.refreshRingStats()
			continue
		}
		if err != nil {
			// The interface went away (the lab closed first) or poll
			// failed: back off instead of spinning until Close.
			p.errLog.log(p.logger, "capture read failed", err)
			time.Sleep(readErrorBackoff)
			continue
		}
		if len(frame) == 0 {
			continue // no frame to read: nothing to decide
		}
		q := p.of(p.ring.ingress)
		if q == nil {
			continue
		}
		q.tag = p.ring.tag
		q.wire(frame, vh, stamp)
		if n++; n%statsEvery == 0 {
			p.refreshRingStats()
		}
	}
	p.refreshRingStats()
}

// of returns the pipeline of the ENI's direction ingress or egress: p or
// p.opp (nil when it has none).
func (p *pipeline) of(ingress bool) *pipeline {
	if ingress == (p.dir == cloudmock.Ingress) {
		return p
	}
	return p.opp
}

// halt asks the capture goroutine of the ENI's ring to return, and wakes
// it if it waits: the ring is the other direction's too, so that one
// stops as well.
func (p *pipeline) halt() {
	p.stop.Store(true)
	if p.opp != nil {
		p.opp.stop.Store(true)
	}
	if p.ring != nil {
		p.ring.wake()
	}
}

func (p *pipeline) refreshRingStats() {
	if err := p.ring.updateStats(); err != nil {
		p.errLog.log(p.logger, "ring statistics", err)
	}
}

// wire turns what the ring holds into what the wire would carry (see
// gso.go) and hands each packet to handle.
func (p *pipeline) wire(frame []byte, vh vnetHdr, stamp int64) {
	if vh.gsoType != vnetGSONone && vh.gsoSize != 0 {
		if p.seg.init(frame, vh) {
			p.st.aggregates.Add(1)
			for seg := p.seg.next(); seg != nil; seg = p.seg.next() {
				p.handle(seg, stamp, false)
			}
			return
		}
		p.st.uncut.Add(1)
	}
	if vh.flags&vnetNeedsCsum != 0 {
		completeChecksum(frame, int(vh.csumStart), int(vh.csumOffset))
	}
	p.handle(frame, stamp, true)
}

// current returns the configuration in force and the ENI's ref in it.
func (p *pipeline) current() (*view, cloudmock.ENIRef) {
	if v := p.svc.cur.Load(); v != p.view {
		ref, ok := v.model.ENI(p.eniID)
		if !ok {
			ref = cloudmock.NoENI // gone from the model: decided as unknown
		}
		p.view, p.eni = v, ref
	}
	return p.view, p.eni
}

// handle is the per-packet path: no allocation. One packet is decided,
// delivered, queued and counted with one configuration. inRing says
// whether frame lies in the ring block read last (not in a scratch
// buffer): then the copy points at it (see queueCopy).
func (p *pipeline) handle(frame []byte, stamp int64, inRing bool) {
	p.st.captured.Add(1)
	if !p.ours(frame) {
		p.st.foreign.Add(1)
		return
	}
	if p.tag != 0 {
		frame, inRing = p.tagged(frame), false
	}
	v, ref := p.current()
	m := v.model
	d := &p.dec
	m.DecideInto(d, ref, p.dir, frame)
	if !d.Mirrored {
		m.CountNotMirrored(d)
		return
	}
	p.st.mirrored.Add(1)
	dl := m.Deliver(d)
	if !dl.Delivered {
		// Lost on the way (target ACL/SG, no listener, no healthy
		// target): the source still mirrored it.
		m.CountDelivery(d, &dl)
		m.CountMirrored(d, len(frame))
		p.st.dropped[deliveryDrop(dl.Reason)].Add(1)
		return
	}
	t, ok := v.target(d.TargetId, dl.To)
	if ok && dl.Geneve {
		// Behind a Gateway Load Balancer the wire is IPv4 (GWLB to
		// appliance), whichever family the copy reached the endpoint by.
		ok = dl.To.Is4() && dl.From.Is4()
	} else if ok && dl.To.Is6() {
		// A copy over IPv6 goes out only directly, onto the receiver's
		// port: the routed fallback is a raw IPv4 socket.
		ok = t.port.ok && t.port.fabric < len(p.snd.pkt)
	} else if ok {
		ok = dl.To.Is4() && d.Outer.Src.Is4() && dl.From.Is4()
	}
	if !ok {
		// A receiver the service does not know (not realised in the lab),
		// or an IPv6 copy without a port to write it on.
		m.CountMirrored(d, len(frame))
		p.st.dropped[DropOther].Add(1)
		return
	}
	if EthernetHeaderLen+d.WireIPLen(&dl, len(frame)) > p.q.slotSize {
		// Bigger than any datagram the VPC carries (an aggregate that
		// could not be cut, not truncated by the model): the kernel would
		// refuse it.
		m.CountMirrored(d, len(frame))
		p.st.dropped[DropOversize].Add(1)
		return
	}
	if !p.queueCopy(&dl, t, frame, stamp, inRing) {
		// The mirror path is saturated: production has priority.
		m.CountSkipped(d, len(frame))
		p.st.dropped[DropQueueFull].Add(1)
		return
	}
	m.CountDelivery(d, &dl)
	m.CountMirrored(d, len(frame))
}

// queueCopy queues the copy of frame that p.dec and dl describe, to t;
// false when the queue is full. The copy is VXLAN to the receiver, or,
// behind a Gateway Load Balancer, that datagram in GENEVE from the GWLB
// to the appliance: the sender puts the frame on the wire as built (see
// sender), whatever outer source the model wrote.
//
// When frame lies in the ring and its headers do not depend on its
// content (Decision.AppendWireHeader: over IPv4), only the headers are
// written into the slot and the slot points at the frame in the ring,
// whose block is held until the copy is sent: the kernel gathers the two
// into the datagram, and the frame is not copied in user space.
func (p *pipeline) queueCopy(dl *cloudmock.Delivery, t *targetAddr, frame []byte, stamp int64, inRing bool) bool {
	s := p.q.reserve()
	if s == nil {
		return false
	}
	d := &p.dec
	h := cloudmock.FrameHeader{SrcMAC: t.srcMAC, DstMAC: t.dstMAC}
	s.ext = nil
	if inRing {
		if b, ok := d.AppendWireHeader(s.buf[:0], h, dl, len(frame)); ok {
			s.n, s.ext, s.block = len(b), frame[:d.InnerLen(len(frame))], p.ring.hold()
		}
	}
	if s.ext == nil {
		s.n = len(d.AppendWire(p.q.whole(s)[:0], h, dl, frame))
	}
	s.ipOff, s.dst, s.target, s.stamp = EthernetHeaderLen, dl.To, t, stamp
	p.q.commit()
	return true
}

// tagged returns frame with the VLAN tag the kernel kept in metadata put
// back (see vlan_linux.go), in the pipeline's scratch buffer.
func (p *pipeline) tagged(frame []byte) []byte {
	if len(p.vlanBuf) < len(frame)+vlanHeaderLen {
		p.vlanBuf = make([]byte, max(len(frame)+vlanHeaderLen, 64<<10+vlanHeaderLen))
	}
	out, _ := insertVLAN(p.vlanBuf, frame, p.tag)
	p.st.vlanTagged.Add(1)
	return out
}

// Header sizes of the outer frame (outerLen: the larger, over IPv6).
const (
	EthernetHeaderLen = encap.EthernetHeaderLen
	outerLen          = encap.OuterIPv6Len + encap.UDPHeaderLen + encap.VXLANHeaderLen
)

func deliveryDrop(r cloudmock.DeliveryReason) DropReason {
	switch r {
	case cloudmock.DroppedByTargetNACL:
		return DropTargetNACL
	case cloudmock.DroppedByTargetSG:
		return DropTargetSG
	case cloudmock.NoListener:
		return DropNoListener
	case cloudmock.NoHealthyTarget:
		return DropNoHealthyTarget
	case cloudmock.NoRouteToTarget:
		return DropNoRoute
	}
	return DropOther
}

// send drains the queue in batches until done is closed and the queue is
// empty.
func (p *pipeline) send(done <-chan struct{}) {
	for p.q.wait(done) {
		p.sendBatch()
	}
}

// sendBatch sends up to one batch of queued copies, directly when their
// receiver has a port (and the service does not route every copy), routed
// otherwise, and counts each. It does not allocate.
func (p *pipeline) sendBatch() {
	first, n := p.q.peek(len(p.failed))
	for i := 0; i < n; i++ {
		s := p.q.at(first + uint64(i))
		p.failed[i] = false
		switch t := s.target; {
		case t.port.ok && t.port.fabric < len(p.snd.pkt): // a fabric added later has no socket here: routed
			p.snd.setDirect(i, s.buf[:s.n], s.ext, t.port.fabric, t.port.ifindex)
		case s.dst.Is4():
			p.snd.setRouted(i, s.buf[s.ipOff:s.n], s.ext, s.dst.As4())
		default:
			// Only the direct path carries another outer family: no
			// way out for this one.
			p.snd.setNone(i)
			p.failed[i] = true
		}
	}
	p.snd.flush(n, p.onErr)
	held, block := int32(0), 0 // a run of copies from one ring block
	for i := 0; i < n; i++ {
		s := p.q.at(first + uint64(i))
		p.account(s, p.failed[i], p.snd.fds[i] < 0)
		if s.ext == nil {
			continue
		}
		s.ext = nil
		if held > 0 && s.block != block {
			p.ring.unhold(block, held) // sent (or refused): the ring may have them back
			held = 0
		}
		held, block = held+1, s.block
	}
	if held > 0 {
		p.ring.unhold(block, held)
	}
	p.q.release(n)
}

// account counts the copy in s once the kernel took it (or refused it:
// failed; none: it had no way out) and writes it to its target's pcapng.
func (p *pipeline) account(s *slot, failed, none bool) {
	if failed {
		reason := DropSendError
		if none {
			reason = DropOther
		}
		p.st.dropped[reason].Add(1)
		return
	}
	size := uint64(s.n - s.ipOff + len(s.ext))
	p.st.sent.Add(1)
	p.st.sentBytes.Add(size)
	t := s.target
	t.st.sent.Add(1)
	t.st.sentBytes.Add(size)
	if t.pcap != nil {
		t.pcap.writeParts(s.buf[:s.n], s.ext, s.stamp)
	}
}

func (p *pipeline) markFailed(i int, err error) {
	p.failed[i] = true
	p.errLog.log(p.logger, "send mirror datagram", err)
}

// errLimiter logs the first error and then one in 4096, so a persistent
// failure cannot flood the log from a packet path.
type errLimiter struct{ n atomic.Uint64 }

func (l *errLimiter) log(logger *slog.Logger, msg string, err error) {
	if n := l.n.Add(1); n == 1 || n%4096 == 0 {
		logger.Warn(msg, "error", err, "count", n)
	}
}
