package stream

import (
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/reassembly"

	"github.com/mirrorlab/mirrorlab/agent/budget"
	"github.com/mirrorlab/mirrorlab/agent/httpparse"
	"github.com/mirrorlab/mirrorlab/agent/metrics"
)

// tcpStream is one connection's request direction.
type tcpStream struct {
	g        *Group
	shard    *Shard
	conn     Conn
	parser   *httpparse.Parser
	accepted bool           // a packet was accepted (start known)
	fed      bool           // ReassembledSG was called
	acct     budget.Account // parser bytes, also in Counters.BufferedBytes
	ended    bool           // FIN or RST reassembled: the parser is closed
	done     bool           // ReassemblyComplete was called
}

// Accept implements reassembly.Stream. A connection first seen after its
// SYN (agent started late, SYN lost) starts at the first packet; the
// parser then scans for the first request line.
func (t *tcpStream) Accept(tcp *layers.TCP, ci gopacket.CaptureInfo, dir reassembly.TCPFlowDirection, nextSeq reassembly.Sequence, start *bool, ac reassembly.AssemblerContext) bool {
	if t.done {
		return false
	}
	if dir == reassembly.TCPDirServerToClient {
		// Only the shard's synthetic reset, after the request direction
		// ended, is taken on the response direction.
		if t.shard.closing == t {
			*start = true
			return true
		}
		return false
	}
	if !t.accepted {
		t.accepted = true
		if !tcp.SYN && !*start {
			*start = true
			t.conn.MidStart = true
		}
	}
	return true
}

// ReassembledSG implements reassembly.Stream.
func (t *tcpStream) ReassembledSG(sg reassembly.ScatterGather, ac reassembly.AssemblerContext) {
	c := t.g.cfg.Counters
	n, _ := sg.Lengths()
	dir, _, end, skip := sg.Info()
	if t.ended || dir == reassembly.TCPDirServerToClient {
		return
	}
	if !t.fed {
		t.fed = true
		if t.conn.MidStart {
			// The stream began mid-way: what comes first may be the end
			// of a request; the parser waits for a request start.
			t.parser.Gap(-1)
		}
	}
	if skip != 0 {
		c.StreamGaps.Add(1)
		t.parser.Gap(skip)
	}
	if n > 0 {
		c.ReassembledBytes.Add(uint64(n))
		t.parser.Feed(sg.Fetch(n))
	}
	if end {
		// FIN or RST: no more request bytes. The connection object stays
		// in the pool until the idle timeout (the other direction is not
		// mirrored, so its half never closes), but holds no buffers.
		t.ended = true
		t.parser.Close()
		t.shard.ended = append(t.shard.ended, t)
	}
	t.account()
}

// account charges the budget for what the parser holds now; when the
// budget refuses, the parser's pending request is dropped (reason memory)
// and its bytes released.
func (t *tcpStream) account() {
	c := t.g.cfg.Counters
	before := t.acct.Held()
	if !t.acct.Set(int64(t.parser.Buffered())) {
		if t.parser.Abort() {
			c.RequestDrops[metrics.DropMemory].Add(1)
		}
		t.acct.Set(int64(t.parser.Buffered()))
	}
	c.BufferedBytes.Add(t.acct.Held() - before)
}

// ReassemblyComplete implements reassembly.Stream.
func (t *tcpStream) ReassemblyComplete(ac reassembly.AssemblerContext) bool {
	if !t.done {
		t.done = true
		if !t.ended {
			t.ended = true
			t.parser.Close()
		}
		t.account()
		c := t.g.cfg.Counters
		c.BufferedBytes.Add(-t.acct.Held())
		t.acct.Release()
		t.shard.leave()
		t.g.active.Add(-1)
		t.g.cfg.Counters.StreamsClosed.Add(1)
	}
	return true
}

// Request implements httpparse.Handler.
func (t *tcpStream) Request(r *httpparse.Request) {
	t.g.cfg.Counters.RequestsParsed.Add(1)
	if t.g.cfg.Sink != nil {
		t.g.cfg.Sink(t.conn, r)
	}
}

// Drop implements httpparse.Handler.
func (t *tcpStream) Drop(reason httpparse.DropReason) {
	t.g.cfg.Counters.RequestDrops[reason].Add(1)
}

// Classified implements httpparse.Handler.
func (t *tcpStream) Classified(k httpparse.Kind) {
	t.g.cfg.Counters.ConnKinds[k].Add(1)
}
