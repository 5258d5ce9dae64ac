package cloudmock

import "sync/atomic"

// numReasons bounds the per-reason counters.
const numReasons = int(ReasonNoRuleMatched) + 1

type eniCounters struct {
	mirrorBytes   [2]atomic.Uint64 // by Direction
	mirrorPackets [2]atomic.Uint64
	skipBytes     [2]atomic.Uint64
	skipPackets   [2]atomic.Uint64
	notMirrored   [numReasons]atomic.Uint64
}

type sessionCounters struct {
	packets, bytes, skipPackets, skipBytes, truncated atomic.Uint64
	delivery                                          [numDeliveryReasons]atomic.Uint64
}

// ENICounters are a source ENI's counters, named as the provider's metrics:
// bytes and packets mirrored, and skipped (matched but dropped because
// production traffic had priority), per direction (In: ingress, Out:
// egress); NotMirrored counts the other packets by reason code.
type ENICounters struct {
	NetworkMirrorIn             uint64            `json:"NetworkMirrorIn"`
	NetworkMirrorOut            uint64            `json:"NetworkMirrorOut"`
	NetworkPacketsMirrorIn      uint64            `json:"NetworkPacketsMirrorIn"`
	NetworkPacketsMirrorOut     uint64            `json:"NetworkPacketsMirrorOut"`
	NetworkSkipMirrorIn         uint64            `json:"NetworkSkipMirrorIn"`
	NetworkSkipMirrorOut        uint64            `json:"NetworkSkipMirrorOut"`
	NetworkPacketsSkipMirrorIn  uint64            `json:"NetworkPacketsSkipMirrorIn"`
	NetworkPacketsSkipMirrorOut uint64            `json:"NetworkPacketsSkipMirrorOut"`
	NotMirrored                 map[string]uint64 `json:"NotMirrored,omitempty"`
}

// SessionCounters are a session's counters. Delivery counts the copies by
// delivery reason code ("delivered", "dropped-by-target-nacl", ...).
type SessionCounters struct {
	Packets     uint64            `json:"Packets"`
	Bytes       uint64            `json:"Bytes"`
	SkipPackets uint64            `json:"SkipPackets"`
	SkipBytes   uint64            `json:"SkipBytes"`
	Truncated   uint64            `json:"Truncated"`
	Delivery    map[string]uint64 `json:"Delivery,omitempty"`
}

// Snapshot is a JSON-able copy of all counters, by NetworkInterfaceId and
// TrafficMirrorSessionId.
type Snapshot struct {
	ENIs     map[string]ENICounters     `json:"ENIs"`
	Sessions map[string]SessionCounters `json:"Sessions"`
}

// CountMirrored records a copy sent for a mirrored decision; frameLen is
// the mirrored packet's length (before truncation). Safe for concurrent use
// and allocation-free, like the other Count methods.
func (m *Model) CountMirrored(d *Decision, frameLen int) {
	e := m.eniAt(d.ENI)
	if e == nil || !d.Mirrored || d.session == nil {
		return
	}
	e.counters.mirrorBytes[d.Direction&1].Add(uint64(frameLen))
	e.counters.mirrorPackets[d.Direction&1].Add(1)
	s := d.session.counters
	s.packets.Add(1)
	s.bytes.Add(uint64(frameLen))
	if d.Truncated(frameLen) {
		s.truncated.Add(1)
	}
}

// CountSkipped records a mirrored decision whose copy was dropped because
// the mirror path was saturated (production traffic has priority).
func (m *Model) CountSkipped(d *Decision, frameLen int) {
	e := m.eniAt(d.ENI)
	if e == nil || !d.Mirrored || d.session == nil {
		return
	}
	e.counters.skipBytes[d.Direction&1].Add(uint64(frameLen))
	e.counters.skipPackets[d.Direction&1].Add(1)
	d.session.counters.skipPackets.Add(1)
	d.session.counters.skipBytes.Add(uint64(frameLen))
}

// CountNotMirrored records a decision that mirrored nothing, by reason.
func (m *Model) CountNotMirrored(d *Decision) {
	e := m.eniAt(d.ENI)
	if e == nil || d.Mirrored || int(d.Reason) >= numReasons {
		return
	}
	e.counters.notMirrored[d.Reason].Add(1)
}

// CountDelivery records a copy's delivery outcome for its session.
func (m *Model) CountDelivery(d *Decision, dl *Delivery) {
	if !d.Mirrored || d.session == nil || int(dl.Reason) >= len(d.session.counters.delivery) {
		return
	}
	d.session.counters.delivery[dl.Reason].Add(1)
}

// CountCopies records copies of session sessionID from source ENI eniID
// in direction dir that a data plane mirrored and delivered without
// asking Decide for each (the in-kernel path counts them by the batch):
// packets copies of bytes bytes before truncation, truncated of them cut.
// They count as CountMirrored and CountDelivery would have. An unknown
// ENI or session, or an ENI that is not the session's source, is ignored
// (it left the model, and its counts left with it).
func (m *Model) CountCopies(eniID, sessionID string, dir Direction, packets, bytes, truncated uint64) {
	m.CountCopiesAs(eniID, sessionID, dir, Delivered, packets, bytes, truncated)
}

// CountCopiesAs is CountCopies for copies whose delivery ended with
// reason (Delivered, or why they were lost on the way: see Deliver).
func (m *Model) CountCopiesAs(eniID, sessionID string, dir Direction, reason DeliveryReason, packets, bytes, truncated uint64) {
	r, ok := m.eniByID[eniID]
	if !ok {
		return
	}
	e := m.enis[r]
	for _, s := range e.sessions {
		if s.id != sessionID {
			continue
		}
		e.counters.mirrorBytes[dir&1].Add(bytes)
		e.counters.mirrorPackets[dir&1].Add(packets)
		s.counters.packets.Add(packets)
		s.counters.bytes.Add(bytes)
		s.counters.truncated.Add(truncated)
		if int(reason) < len(s.counters.delivery) {
			s.counters.delivery[reason].Add(packets)
		}
		return
	}
}

// Snapshot copies the counters (each one atomically; the set is not one
// instant).
func (m *Model) Snapshot() Snapshot {
	s := Snapshot{ENIs: map[string]ENICounters{}, Sessions: map[string]SessionCounters{}}
	for _, e := range m.enis {
		c := e.counters
		ec := ENICounters{
			NetworkMirrorIn:             c.mirrorBytes[Ingress].Load(),
			NetworkMirrorOut:            c.mirrorBytes[Egress].Load(),
			NetworkPacketsMirrorIn:      c.mirrorPackets[Ingress].Load(),
			NetworkPacketsMirrorOut:     c.mirrorPackets[Egress].Load(),
			NetworkSkipMirrorIn:         c.skipBytes[Ingress].Load(),
			NetworkSkipMirrorOut:        c.skipBytes[Egress].Load(),
			NetworkPacketsSkipMirrorIn:  c.skipPackets[Ingress].Load(),
			NetworkPacketsSkipMirrorOut: c.skipPackets[Egress].Load(),
		}
		ec.NotMirrored = byReason[Reason](c.notMirrored[:])
		s.ENIs[e.id] = ec
	}
	for _, ss := range m.sessions {
		c := ss.counters
		sc := SessionCounters{
			Packets: c.packets.Load(), Bytes: c.bytes.Load(),
			SkipPackets: c.skipPackets.Load(), SkipBytes: c.skipBytes.Load(),
			Truncated: c.truncated.Load(),
		}
		sc.Delivery = byReason[DeliveryReason](c.delivery[:])
		s.Sessions[ss.id] = sc
	}
	return s
}

// byReason returns the counters that are not zero, indexed by a reason
// code, under their reason's name; nil when all are zero.
func byReason[R interface {
	~uint8
	String() string
}](counters []atomic.Uint64) map[string]uint64 {
	var m map[string]uint64
	for r := range counters {
		if v := counters[r].Load(); v != 0 {
			if m == nil {
				m = map[string]uint64{}
			}
			m[R(r).String()] = v
		}
	}
	return m
}
