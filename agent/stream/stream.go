package stream

import (
	"encoding/binary"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/reassembly"

	"github.com/mirrorlab/mirrorlab/agent/frame"
	"github.com/mirrorlab/mirrorlab/agent/httpparse"
	"github.com/mirrorlab/mirrorlab/agent/metrics"
)

// pageSize is gopacket/reassembly's page size (bytes of out-of-order data
// per page).
const pageSize = 1900

// Conn identifies a mirrored connection.
type Conn struct {
	// ID is unique per connection within the agent's lifetime.
	ID       uint64
	Client   netip.AddrPort
	Server   netip.AddrPort
	VNI      uint32
	Started  time.Time
	MidStart bool // joined after the connection's SYN
}

// Sink receives parsed requests. It is called from the shard's goroutine
// and must not block for long (queue and return).
type Sink func(c Conn, r *httpparse.Request)

// Config configures every shard.
type Config struct {
	// MaxStreams caps live streams over all shards (default 100 000).
	MaxStreams int
	// MaxBufferedBytes caps out-of-order bytes per shard plus request bytes
	// held by all parsers (default 256 MiB).
	MaxBufferedBytes int
	// MaxConnBufferedBytes caps out-of-order bytes per connection
	// (default 4 MiB).
	MaxConnBufferedBytes int
	// GapTimeout is how long missing bytes are waited for before the
	// request they belong to is dropped (default 2s).
	GapTimeout time.Duration
	// IdleTimeout closes connections without packets for that long
	// (default 2m).
	IdleTimeout time.Duration
	// Limits bound each request.
	Limits httpparse.Limits
	Sink   Sink
	// Counters receive every event; required.
	Counters *metrics.Counters
}

func (c Config) withDefaults() Config {
	if c.MaxStreams <= 0 {
		c.MaxStreams = 100_000
	}
	if c.MaxBufferedBytes <= 0 {
		c.MaxBufferedBytes = 256 << 20
	}
	if c.MaxConnBufferedBytes <= 0 {
		c.MaxConnBufferedBytes = 4 << 20
	}
	if c.GapTimeout <= 0 {
		c.GapTimeout = 2 * time.Second
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 2 * time.Minute
	}
	return c
}

// Group is the state shared by the shards of one agent.
type Group struct {
	cfg    Config
	nextID atomic.Uint64
	active atomic.Int64
}

// NewGroup returns the shared state for shards configured by cfg.
func NewGroup(cfg Config) *Group {
	return &Group{cfg: cfg.withDefaults()}
}

// Config returns the configuration with defaults applied.
func (g *Group) Config() Config { return g.cfg }

// Active returns the number of live streams.
func (g *Group) Active() int64 { return g.active.Load() }

// Shard reassembles the connections given to it. Not safe for concurrent
// use.
type Shard struct {
	g    *Group
	asm  *reassembly.Assembler
	pool *reassembly.StreamPool
	ctx  captureCtx
	vni  uint32
	// lastTS is the newest packet timestamp seen (the clock for flushes of
	// offline input).
	lastTS time.Time
	// ended are streams whose request direction ended (FIN/RST) during the
	// current call; their connection is closed right after it (see
	// closeEnded).
	ended   []*tcpStream
	closing *tcpStream
	rst     layers.TCP
	rstHdr  [20]byte
}

// NewShard returns a shard of g. Shards per group should be few (one per
// worker): the out-of-order page cap applies to each.
func (g *Group) NewShard(shards int) *Shard {
	s := &Shard{g: g}
	s.pool = reassembly.NewStreamPool(s)
	s.asm = reassembly.NewAssembler(s.pool)
	if shards < 1 {
		shards = 1
	}
	s.asm.MaxBufferedPagesPerConnection = max(1, g.cfg.MaxConnBufferedBytes/pageSize)
	s.asm.MaxBufferedPagesTotal = max(1, g.cfg.MaxBufferedBytes/2/shards/pageSize)
	return s
}

type captureCtx struct{ ci gopacket.CaptureInfo }

func (c *captureCtx) GetCaptureInfo() gopacket.CaptureInfo { return c.ci }

// Packet feeds one decoded inner TCP packet (in.DecodeTCP returned OK) of
// VNI vni seen at ts.
func (s *Shard) Packet(in *frame.Inner, vni uint32, ts time.Time) {
	s.ctx.ci.Timestamp = ts
	s.ctx.ci.Length = len(in.IP.Payload)
	s.ctx.ci.CaptureLength = len(in.IP.Payload)
	s.vni = vni
	if ts.After(s.lastTS) {
		s.lastTS = ts
	}
	s.asm.AssembleWithContext(in.NetFlow(), &in.TCP, &s.ctx)
	s.closeEnded()
}

// closeEnded removes from the pool the connections whose request direction
// ended. The response direction is not mirrored (its half never closes by
// itself), so without this a closed connection would hold its pool entry
// and its place under the stream cap until the idle timeout. A reset is
// fed on the response direction; the stream's Accept lets only that one
// through.
func (s *Shard) closeEnded() {
	for len(s.ended) > 0 {
		t := s.ended[len(s.ended)-1]
		s.ended = s.ended[:len(s.ended)-1]
		c := &t.conn
		h := s.rstHdr[:]
		binary.BigEndian.PutUint16(h[0:2], c.Server.Port())
		binary.BigEndian.PutUint16(h[2:4], c.Client.Port())
		h[12] = 5 << 4
		h[13] = 0x14 // RST, ACK
		if s.rst.DecodeFromBytes(h, gopacket.NilDecodeFeedback) != nil {
			continue
		}
		et := layers.EndpointIPv4
		if c.Server.Addr().Is6() {
			et = layers.EndpointIPv6
		}
		srv, cli := c.Server.Addr().AsSlice(), c.Client.Addr().AsSlice()
		s.closing = t
		s.asm.AssembleWithContext(gopacket.NewFlow(et, srv, cli), &s.rst, &s.ctx)
		s.closing = nil
	}
}

// LastSeen returns the newest packet timestamp this shard has seen.
func (s *Shard) LastSeen() time.Time { return s.lastTS }

// Flush pushes data waited for longer than the gap timeout (counting the
// gaps and dropping the requests they cut) and closes connections idle
// longer than the idle timeout, as of now.
func (s *Shard) Flush(now time.Time) {
	s.asm.FlushWithOptions(reassembly.FlushOptions{
		T:  now.Add(-s.g.cfg.GapTimeout),
		TC: now.Add(-s.g.cfg.IdleTimeout),
	})
	s.closeEnded()
}

// Close ends every connection of the shard: complete requests are
// delivered, partial ones dropped.
func (s *Shard) Close() {
	s.asm.FlushAll()
}

// New implements reassembly.StreamFactory.
func (s *Shard) New(netFlow, tcpFlow gopacket.Flow, tcp *layers.TCP, ac reassembly.AssemblerContext) reassembly.Stream {
	g := s.g
	c := g.cfg.Counters
	if g.active.Load() >= int64(g.cfg.MaxStreams) {
		c.StreamsRejected.Add(1)
		return rejected{}
	}
	g.active.Add(1)
	c.StreamsOpened.Add(1)
	src, _ := netip.AddrFromSlice(netFlow.Src().Raw())
	dst, _ := netip.AddrFromSlice(netFlow.Dst().Raw())
	st := &tcpStream{
		g:     g,
		shard: s,
		conn: Conn{
			ID:      g.nextID.Add(1),
			Client:  netip.AddrPortFrom(src, uint16(tcp.SrcPort)),
			Server:  netip.AddrPortFrom(dst, uint16(tcp.DstPort)),
			VNI:     s.vni,
			Started: ac.GetCaptureInfo().Timestamp,
		},
	}
	st.parser = httpparse.New(st, g.cfg.Limits)
	return st
}

// rejected is the stream of a connection over the stream cap: it accepts
// nothing.
type rejected struct{}

func (rejected) Accept(*layers.TCP, gopacket.CaptureInfo, reassembly.TCPFlowDirection, reassembly.Sequence, *bool, reassembly.AssemblerContext) bool {
	return false
}
func (rejected) ReassembledSG(reassembly.ScatterGather, reassembly.AssemblerContext) {}
func (rejected) ReassemblyComplete(reassembly.AssemblerContext) bool                 { return true }
