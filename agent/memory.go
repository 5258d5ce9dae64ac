package agent

import (
	"github.com/mirrorlab/mirrorlab/agent/internal/httpparse"
)

// Memory beyond the budget that does not depend on the input.
const (
	// baseOverhead covers the Go runtime and the binary, goroutine
	// stacks, the metrics, health and replay HTTP machinery (its
	// connections' buffers), the stream pools' fixed maps, and the heap
	// the garbage collector lets grow between cycles at the memory limit.
	baseOverhead = 40 << 20
	// udpBatch and udpDatagram are the UDP input's read buffers per socket
	// (input.UDPConfig defaults).
	udpBatch    = 64
	udpDatagram = 64 << 10
	// packetSlot is one slot of a reassembly queue's array.
	packetSlot = 64
)

// MemoryBound returns the agent's memory budget and the overhead beyond it
// that no input changes: the process's resident memory stays under their
// sum. The overhead is a base (runtime, HTTP, metrics), the input's fixed
// buffers (UDP read buffers per socket, or the AF_PACKET ring), the
// reassembly queues' arrays, and per worker what one delivery of
// reassembled bytes may add to a parser before its charge is settled (the
// out-of-order bytes of one connection, a head and a body being copied).
func (a *Agent) MemoryBound() (budget, overhead int64) {
	c := &a.cfg
	overhead = baseOverhead
	switch c.Input {
	case "afpacket":
		ring := c.RingBytes
		if ring <= 0 {
			ring = 64 << 20
		}
		overhead += int64(ring)
	case "udp":
		overhead += int64(c.UDPSockets) * udpBatch * udpDatagram
	}
	queue := c.QueueLen
	if queue <= 0 {
		queue = 8192
	}
	lim := httpparse.Limits{MaxHeader: c.MaxHeaderBytes, MaxBody: c.MaxBodyBytes}.WithDefaults()
	connBuf := c.MaxConnBufferedBytes
	if connBuf <= 0 {
		connBuf = 4 << 20
	}
	overhead += int64(c.Workers) * (int64(queue)*packetSlot + 2*int64(connBuf) + int64(lim.MaxHeader))
	return int64(c.MaxBufferedBytes), overhead
}
