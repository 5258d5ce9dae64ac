package stream

import (
	"encoding/binary"
	"net/netip"
	"reflect"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/reassembly"

	"github.com/mirrorlab/mirrorlab/agent/internal/budget"
	"github.com/mirrorlab/mirrorlab/agent/internal/frame"
	"github.com/mirrorlab/mirrorlab/agent/internal/httpparse"
	"github.com/mirrorlab/mirrorlab/agent/internal/metrics"
)

// pageCost is the memory of one gopacket/reassembly page (1900 bytes of
// out-of-order data and its links, in a 2 KiB size class).
const pageCost = 2048

// Memory charged to the budget for reassembly state.
var (
	// streamCost is one live stream: its tcpStream and parser (their
	// buffers are charged as they grow).
	streamCost = int64(unsafe.Sizeof(tcpStream{}) + unsafe.Sizeof(httpparse.Parser{}) + 2*64)
	// slotCost is one connection slot of a gopacket StreamPool, which
	// keeps its slots (and its map) for reuse once allocated: the slot
	// and an entry of the pool's map (two keys' worth, as the map grows
	// by doubling).
	slotCost = int64(poolSlotSize() + 2*(unsafe.Sizeof([2]gopacket.Flow{})+8))
)

// poolSlotSize returns the size of gopacket/reassembly's connection, the
// element of StreamPool's slot arrays (an unexported type).
func poolSlotSize() uintptr {
	if f, ok := reflect.TypeFor[reassembly.StreamPool]().FieldByName("all"); ok &&
		f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Slice {
		return f.Type.Elem().Elem().Size()
	}
	return 1024 // a gopacket that changed its layout: a generous guess
}

// Pool growth of gopacket/reassembly's StreamPool: its first allocation of
// slots, then doubling.
const poolFirstAlloc = 1024

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

// ResponseSink receives the response direction's outcomes (see
// Config.Responses). Called from the shard's goroutine; must not block.
type ResponseSink interface {
	// Response is a response paired with the request of the same Seq;
	// at is the capture time of the packet that completed it.
	Response(c Conn, r *httpparse.Response, at time.Time)
	// Unanswered is a request (by Seq) that gets no response.
	Unanswered(c Conn, seq uint64, l httpparse.Loss)
}

// Config configures every shard.
type Config struct {
	// MaxStreams caps live streams over all shards (default 100 000).
	MaxStreams int
	// MaxBufferedBytes is the memory budget when Budget is nil (default
	// 256 MiB).
	MaxBufferedBytes int
	// Budget is charged for every live stream, the stream pools' slots,
	// the out-of-order pages (a quarter of the budget, reserved up front)
	// and what parsers hold; over it, streams are refused and pending
	// requests dropped (counted, reason "memory").
	Budget *budget.Budget
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
	// Responses, when set, rebuilds the response direction too (shadow
	// testing): each connection's responses are parsed, paired by order
	// with its requests (which then carry Seq and Time) and given to it.
	// The pipeline then also takes packets from the watched ports.
	Responses ResponseSink
	// ResponseBody is how much of each response body is kept (default
	// Limits.MaxBody); a longer one is marked cut and not compared.
	ResponseBody int
	// ServerPort tells a server's port (a watched one) from a client's, for
	// connections whose first packet seen is the server's.
	ServerPort func(port uint16) bool
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
	c.Limits = c.Limits.WithDefaults()
	if c.Budget == nil {
		c.Budget = budget.New(int64(c.MaxBufferedBytes))
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
	// The stream pool's slots as the pool grows them (allocated, the next
	// allocation), the live streams using them, and the budget charged
	// for slots and out-of-order pages.
	slots, nextAlloc, live int
	charged                int64
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
	s.asm.MaxBufferedPagesPerConnection = max(1, g.cfg.MaxConnBufferedBytes/pageCost)
	// Out-of-order pages: a quarter of the budget over all shards, charged
	// up front at the cap (the page cache is not ours to meter).
	pages := max(1, int(g.cfg.Budget.Limit()/4/int64(shards)/pageCost))
	for pages > 1 && !g.cfg.Budget.TryCharge(int64(pages*pageCost)) {
		pages /= 2
	}
	s.asm.MaxBufferedPagesTotal = pages
	s.charged = int64(pages * pageCost)
	s.nextAlloc = poolFirstAlloc
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
// delivered, partial ones dropped. The shard's charges are released.
func (s *Shard) Close() {
	s.asm.FlushAll()
	s.g.cfg.Budget.Release(s.charged)
	s.charged = 0
}

// admit charges the budget for one more live stream (and the pool slots it
// makes the pool allocate); it reports whether the budget took it.
func (s *Shard) admit() bool {
	need := streamCost
	grow := 0
	if s.live >= s.slots {
		grow = s.nextAlloc
		need += int64(grow) * slotCost
	}
	if !s.g.cfg.Budget.TryCharge(need) {
		return false
	}
	if grow > 0 {
		s.slots += grow
		s.nextAlloc *= 2
		s.charged += int64(grow) * slotCost
	}
	s.live++
	return true
}

// leave releases a live stream's charge (its pool slot stays charged).
func (s *Shard) leave() {
	s.live--
	s.g.cfg.Budget.Release(streamCost)
}

// refuse counts a packet of a connection that has no stream: over the
// stream cap or the memory budget. Nothing is kept for it, so every packet
// of such a connection comes here; a SYN counts the connection, request
// lines in the payload count as requests dropped for reason.
func (s *Shard) refuse(tcp *layers.TCP, conns *atomic.Uint64, reason int) {
	c := s.g.cfg.Counters
	c.RefusedPackets.Add(1)
	if tcp.SYN && !tcp.ACK {
		conns.Add(1)
	}
	if len(tcp.Payload) > 0 {
		if n := httpparse.CountRequestLines(tcp.Payload, s.g.cfg.Limits.MaxHeader); n > 0 {
			c.RequestDrops[reason].Add(uint64(n))
		}
	}
}

// New implements reassembly.StreamFactory.
func (s *Shard) New(netFlow, tcpFlow gopacket.Flow, tcp *layers.TCP, ac reassembly.AssemblerContext) reassembly.Stream {
	g := s.g
	c := g.cfg.Counters
	switch {
	case g.active.Load() >= int64(g.cfg.MaxStreams):
		s.refuse(tcp, &c.StreamsRejected, metrics.DropStreamLimit)
		return nil // no connection state is kept (gopacket: nil Stream)
	case !s.admit():
		s.refuse(tcp, &c.StreamsRejectedMemory, metrics.DropMemory)
		return nil
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
	st.reqDir = reassembly.TCPDirClientToServer
	if g.cfg.Responses != nil {
		lim := g.cfg.Limits
		if g.cfg.ResponseBody > 0 {
			lim.MaxBody = g.cfg.ResponseBody
		}
		st.resp = httpparse.NewResponseParser(st, lim)
		if tcp.SYN && tcp.ACK || !tcp.SYN && g.cfg.ServerPort != nil && g.cfg.ServerPort(uint16(tcp.SrcPort)) && !g.cfg.ServerPort(uint16(tcp.DstPort)) {
			// The first packet seen is the server's: the request direction
			// is the reverse one.
			st.reqDir = reassembly.TCPDirServerToClient
			st.conn.Client, st.conn.Server = st.conn.Server, st.conn.Client
		}
	}
	st.parser = httpparse.New(st, g.cfg.Limits)
	st.acct = budget.NewAccount(g.cfg.Budget)
	return st
}
