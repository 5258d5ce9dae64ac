package stream

import (
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/reassembly"

	"github.com/mirrorlab/mirrorlab/agent/internal/budget"
	"github.com/mirrorlab/mirrorlab/agent/internal/httpparse"
	"github.com/mirrorlab/mirrorlab/agent/internal/metrics"
)

// tcpStream is one connection: its request direction, and with
// Config.Responses its response direction.
type tcpStream struct {
	g        *Group
	shard    *Shard
	conn     Conn
	parser   *httpparse.Parser
	reqDir   reassembly.TCPFlowDirection // the direction towards the server
	resp     *httpparse.ResponseParser   // nil unless responses are on
	seq      uint64                      // requests parsed
	now      time.Time                   // capture time of the packet being reassembled
	respSeen bool                        // a response-direction packet was accepted
	respMid  bool                        // the response direction joined mid-way
	respFed  bool
	respEnd  bool           // the response direction ended: its parser is closed
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
	if dir != t.reqDir {
		if t.resp != nil {
			if !t.respSeen {
				t.respSeen = true
				if !tcp.SYN && !*start {
					*start = true
					t.respMid = true
				}
			}
			return true
		}
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
	if dir != t.reqDir {
		if t.resp != nil && !t.respEnd {
			t.now = ac.GetCaptureInfo().Timestamp
			t.responses(sg, n, end, skip)
		}
		return
	}
	if t.ended {
		return
	}
	t.now = ac.GetCaptureInfo().Timestamp
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
		if t.resp == nil {
			t.shard.ended = append(t.shard.ended, t)
		}
	}
	t.account()
}

// responses feeds the response direction's bytes to its parser.
func (t *tcpStream) responses(sg reassembly.ScatterGather, n int, end bool, skip int) {
	c := t.g.cfg.Counters
	if !t.respFed {
		t.respFed = true
		if t.respMid {
			t.resp.Gap(-1)
		}
	}
	if skip != 0 {
		c.StreamGaps.Add(1)
		t.resp.Gap(skip)
	}
	if n > 0 {
		c.ReassembledBytes.Add(uint64(n))
		t.resp.Feed(sg.Fetch(n))
	}
	if end {
		t.respEnd = true
		t.resp.Close()
	}
	t.account()
}

// account charges the budget for what the parser holds now; when the
// budget refuses, the parser's pending request is dropped (reason memory)
// and its bytes released.
func (t *tcpStream) account() {
	c := t.g.cfg.Counters
	before := t.acct.Held()
	if !t.acct.Set(t.buffered()) {
		if t.parser.Abort() {
			c.RequestDrops[metrics.DropMemory].Add(1)
		}
		if t.resp != nil && t.resp.Buffered() > 0 {
			t.resp.Desync(httpparse.LossMemory)
		}
		t.acct.Set(t.buffered())
	}
	c.BufferedBytes.Add(t.acct.Held() - before)
}

func (t *tcpStream) buffered() int64 {
	n := t.parser.Buffered()
	if t.resp != nil {
		n += t.resp.Buffered()
	}
	return int64(n)
}

// ReassemblyComplete implements reassembly.Stream.
func (t *tcpStream) ReassemblyComplete(ac reassembly.AssemblerContext) bool {
	if !t.done {
		t.done = true
		if !t.ended {
			t.ended = true
			t.parser.Close()
		}
		if t.resp != nil && !t.respEnd {
			t.respEnd = true
			t.resp.Close()
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
	t.seq++
	r.Seq, r.Time = t.seq, t.now
	if t.g.cfg.Sink != nil {
		t.g.cfg.Sink(t.conn, r)
	}
	if t.resp != nil {
		// After the sink: a response already waiting is given at once.
		t.resp.Expect(t.seq, r.Method)
	}
}

// Drop implements httpparse.Handler.
func (t *tcpStream) Drop(reason httpparse.DropReason) {
	t.g.cfg.Counters.RequestDrops[reason].Add(1)
	if t.resp != nil {
		// The lost request's response would be paired with the next one.
		t.resp.Desync(httpparse.LossDesync)
	}
}

// Response implements httpparse.ResponseHandler.
func (t *tcpStream) Response(r *httpparse.Response) {
	t.g.cfg.Responses.Response(t.conn, r, t.now)
}

// Unanswered implements httpparse.ResponseHandler.
func (t *tcpStream) Unanswered(seq uint64, l httpparse.Loss) {
	t.g.cfg.Responses.Unanswered(t.conn, seq, l)
}

// Classified implements httpparse.Handler.
func (t *tcpStream) Classified(k httpparse.Kind) {
	t.g.cfg.Counters.ConnKinds[k].Add(1)
}
