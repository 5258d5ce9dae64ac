package pipeline

import (
	"sync"
	"time"

	"github.com/mirrorlab/mirrorlab/agent/internal/budget"
	"github.com/mirrorlab/mirrorlab/agent/internal/frame"
	"github.com/mirrorlab/mirrorlab/agent/internal/metrics"
	"github.com/mirrorlab/mirrorlab/agent/internal/stream"
)

// Packets are copied into pooled buffers of two sizes: most mirrored
// packets fit a small one (Ethernet MTU), jumbo frames (MTU 9001) a large
// one; anything larger gets a buffer of its own.
const (
	smallPacket = 2048
	largePacket = 9216
)

// Config configures an Engine.
type Config struct {
	// Ports are the watched TCP destination ports (the request direction).
	Ports []uint16
	// VNIs is the VNI allow-list; empty allows every VNI.
	VNIs []uint32
	// VXLANPort is the outer UDP port for captured frames (default 4789).
	VXLANPort uint16
	// Geneve says that datagrams (Decoder.Datagram) are GENEVE around
	// the VXLAN datagram, as a Gateway Load Balancer sends them on UDP
	// 6081. Captured frames to UDP 6081 are taken as GENEVE either way.
	Geneve bool
	// Workers is the number of reassembly workers (default 1). With
	// Inline, none is started.
	Workers int
	// Inline reassembles on the goroutine that decodes (the input's),
	// with no queue and no worker: one shard, behind a lock when several
	// inputs feed it. Each packet then costs no hand-off to another
	// goroutine (a wake-up, often of another thread, per packet at low
	// load) and no copy; a slow reassembly holds the input back, and the
	// socket's receive buffer takes the queue's place.
	Inline bool
	// QueueLen is each worker's queue length in packets (default 8192).
	QueueLen int
	// Block makes a full queue wait instead of dropping (offline input).
	Block bool
	// PacketClock flushes by packet timestamps instead of the wall clock
	// (offline input, where time is the capture's).
	PacketClock bool
	// FlushInterval is how often workers flush (default 500ms).
	FlushInterval time.Duration
	// Tap, when set, sees every accepted decapsulated frame (before the
	// port filter); it runs on the input goroutine and must copy.
	Tap func(vni uint32, frame []byte, ts time.Time)
	// Stream configures reassembly. Its Budget (made from
	// MaxBufferedBytes when nil) is also charged for the packets queued
	// for reassembly, by buffer size: over it they are dropped (counted as
	// memory drops), or waited for with Block.
	Stream stream.Config
	// Counters is required.
	Counters *metrics.Counters
}

type packet struct {
	buf *[]byte
	n   int
	vni uint32
	ts  time.Time
}

// Engine runs the reassembly workers.
type Engine struct {
	cfg     Config
	ports   [65536 / 64]uint64
	vnis    map[uint32]struct{}
	group   *stream.Group
	budget  *budget.Budget
	queues  []chan packet
	small   sync.Pool
	large   sync.Pool
	wg      sync.WaitGroup
	stop    chan struct{}
	closeMu sync.RWMutex
	closed  bool
	// inline is the one shard of Config.Inline, behind its lock.
	inline struct {
		sync.Mutex
		shard *stream.Shard
	}
}

// New returns an engine; call Start, then feed it through Decoders, then
// Close.
func New(cfg Config) *Engine {
	if cfg.VXLANPort == 0 {
		cfg.VXLANPort = 4789
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	if cfg.QueueLen <= 0 {
		cfg.QueueLen = 8192
	}
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = 500 * time.Millisecond
	}
	cfg.Stream.Counters = cfg.Counters
	e := &Engine{cfg: cfg, stop: make(chan struct{})}
	for _, p := range cfg.Ports {
		e.ports[p/64] |= 1 << (p % 64)
	}
	if len(cfg.VNIs) > 0 {
		e.vnis = map[uint32]struct{}{}
		for _, v := range cfg.VNIs {
			e.vnis[v] = struct{}{}
		}
	}
	e.small.New = func() any { b := make([]byte, smallPacket); return &b }
	e.large.New = func() any { b := make([]byte, largePacket); return &b }
	if cfg.Stream.Responses != nil && cfg.Stream.ServerPort == nil {
		cfg.Stream.ServerPort = e.watched
		e.cfg.Stream.ServerPort = e.watched
	}
	e.group = stream.NewGroup(cfg.Stream)
	e.budget = e.group.Config().Budget
	if cfg.Inline {
		e.inline.shard = e.group.NewShard(1)
		return e
	}
	e.queues = make([]chan packet, cfg.Workers)
	for i := range e.queues {
		e.queues[i] = make(chan packet, cfg.QueueLen)
	}
	return e
}

// Group returns the stream group (for live-stream counts).
func (e *Engine) Group() *stream.Group { return e.group }

// Start starts the workers (with Inline, the flusher of the inline shard).
func (e *Engine) Start() {
	if e.cfg.Inline {
		e.wg.Add(1)
		go e.flusher()
		return
	}
	for _, q := range e.queues {
		e.wg.Add(1)
		go e.worker(q)
	}
}

func (e *Engine) watched(port uint16) bool {
	return e.ports[port/64]&(1<<(port%64)) != 0
}

// enqueue copies the IP packet of in to the worker of its flow.
func (e *Engine) enqueue(in *frame.Inner, vni uint32, ts time.Time) {
	var bp *[]byte
	switch n := len(in.Packet); {
	case n <= smallPacket:
		bp = e.small.Get().(*[]byte)
	case n <= largePacket:
		bp = e.large.Get().(*[]byte)
	default:
		b := make([]byte, n)
		bp = &b
	}
	n := copy(*bp, in.Packet)
	p := packet{buf: bp, n: n, vni: vni, ts: ts}
	if !e.charge(bp) {
		e.cfg.Counters.MemoryDrops.Add(1)
		e.putBuf(bp)
		return
	}
	e.closeMu.RLock()
	defer e.closeMu.RUnlock()
	if e.closed {
		e.cfg.Counters.ShardDrops.Add(1)
		e.release(bp)
		return
	}
	q := e.queues[in.FlowHash()%uint32(len(e.queues))]
	if e.cfg.Block {
		q <- p
		return
	}
	select {
	case q <- p:
	default:
		e.cfg.Counters.ShardDrops.Add(1)
		e.release(bp)
	}
}

// charge charges the budget for a queued packet's buffer. With Block it
// waits for room (the workers release as they go: the in-flight reserve
// is kept for packets, so room comes) unless the engine is closed.
func (e *Engine) charge(bp *[]byte) bool {
	n := int64(cap(*bp))
	for !e.budget.TryChargeInFlight(n) {
		if !e.cfg.Block || e.isClosed() {
			return false
		}
		time.Sleep(100 * time.Microsecond)
	}
	return true
}

func (e *Engine) isClosed() bool {
	e.closeMu.RLock()
	defer e.closeMu.RUnlock()
	return e.closed
}

// release gives back a queued packet's charge and buffer.
func (e *Engine) release(bp *[]byte) {
	e.budget.Release(int64(cap(*bp)))
	e.putBuf(bp)
}

func (e *Engine) putBuf(bp *[]byte) {
	switch cap(*bp) {
	case smallPacket:
		e.small.Put(bp)
	case largePacket:
		e.large.Put(bp)
	}
}

// reassemble feeds a decoded packet to the inline shard (Config.Inline).
func (e *Engine) reassemble(in *frame.Inner, vni uint32, ts time.Time) {
	e.inline.Lock()
	defer e.inline.Unlock()
	if e.inline.shard == nil { // closed
		e.cfg.Counters.ShardDrops.Add(1)
		return
	}
	e.cfg.Counters.ReassemblyPackets.Add(1)
	e.inline.shard.Packet(in, vni, ts)
}

// flusher flushes the inline shard every FlushInterval until Close.
func (e *Engine) flusher() {
	defer e.wg.Done()
	tick := time.NewTicker(e.cfg.FlushInterval)
	defer tick.Stop()
	for {
		select {
		case <-e.stop:
			return
		case now := <-tick.C:
			e.inline.Lock()
			if s := e.inline.shard; s != nil {
				e.flush(s, now)
			}
			e.inline.Unlock()
		}
	}
}

// flush flushes shard s as of now (the wall clock), or as of its newest
// packet with PacketClock.
func (e *Engine) flush(s *stream.Shard, now time.Time) {
	if e.cfg.PacketClock {
		if now = s.LastSeen(); now.IsZero() {
			return
		}
	}
	s.Flush(now)
}

func (e *Engine) worker(q chan packet) {
	defer e.wg.Done()
	shard := e.group.NewShard(len(e.queues))
	tick := time.NewTicker(e.cfg.FlushInterval)
	defer tick.Stop()
	var in frame.Inner
	for {
		select {
		case p, ok := <-q:
			if !ok {
				shard.Close()
				return
			}
			e.cfg.Counters.ReassemblyPackets.Add(1)
			b := (*p.buf)[:p.n]
			if in.DecodeIP(b) == frame.OK && in.DecodeTCP() == frame.OK {
				shard.Packet(&in, p.vni, p.ts)
			}
			e.release(p.buf)
		case now := <-tick.C:
			e.flush(shard, now)
		}
	}
}

// Close stops the workers after they have handled every queued packet;
// streams are ended (complete requests delivered, partial ones dropped).
func (e *Engine) Close() {
	e.closeMu.Lock()
	if e.closed {
		e.closeMu.Unlock()
		return
	}
	e.closed = true
	for _, q := range e.queues {
		close(q)
	}
	e.closeMu.Unlock()
	close(e.stop)
	e.wg.Wait()
	e.inline.Lock()
	if s := e.inline.shard; s != nil {
		s.Close()
		e.inline.shard = nil
	}
	e.inline.Unlock()
}
