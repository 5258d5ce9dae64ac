package dataplane

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// RingOptions size the AF_PACKET TPACKET_V3 ring of one capture (one per
// source ENI, for both directions).
type RingOptions struct {
	// BlockSize is the ring's block size in bytes, a multiple of the page
	// size and larger than the biggest frame (default: room for
	// blockFrames frames of the interface's MTU, at least 256 KiB, 2 MiB
	// at MTU 9001, when the ring gets its full Frames; otherwise 256 KiB,
	// or 128 KiB when Budget leaves a ring less than 1 MiB).
	BlockSize int
	// Blocks is the number of blocks (default: enough for Frames frames
	// at the interface's MTU, fewer when Budget says so, at least 2).
	Blocks int
	// Frames is how many frames of the interface's MTU the ring holds
	// when Blocks is left at its default (default 4096). A ring is the
	// capture's only buffer while its goroutine waits for a core, so its
	// depth is counted in frames: the former fixed 4 MiB held 4096
	// frames at MTU 1500 but 450 at MTU 9001, 2 ms at the rate tc mirred
	// keeps up with, and jumbo frames were lost whenever the capture
	// was off the CPU that long. 4096 jumbo frames are 37 MiB.
	Frames int
	// Budget bounds the kernel memory of all the service's rings together
	// when Blocks is left at its default (default 128 MiB): a small lab
	// gets rings of Frames frames, a larger one smaller rings, down to
	// two blocks of 128 KiB (256 KiB per ring; still room for two 64 KiB
	// GSO aggregates). Ring memory is allocated and mapped up front, so
	// without a bound it grew by 8 MiB per source ENI (1 GB of resident
	// memory for 100 sources).
	Budget int
	// BlockTimeout is how long the kernel keeps a partly filled block before
	// handing it over: the capture's added latency at low rates (default
	// 2ms, granularity 1ms).
	BlockTimeout time.Duration
}

const (
	defaultRingBudget = 128 << 20
	defaultRingFrames = 4096
	defaultBlockSize  = 256 << 10
	smallBlockSize    = 128 << 10
	minRingBlocks     = 2
	// ringFrameOverhead is what the ring adds to each frame: the
	// tpacket3_hdr and sockaddr_ll (68 bytes, aligned), the virtio_net_hdr,
	// alignment, and room for two VLAN tags the kernel may keep in the
	// frame.
	ringFrameOverhead = 128
)

func (o RingOptions) withDefaults() RingOptions {
	if o.BlockSize <= 0 {
		o.BlockSize = defaultBlockSize
	}
	if o.Blocks <= 0 {
		o.Blocks = 16
	}
	if o.BlockTimeout < time.Millisecond {
		o.BlockTimeout = 2 * time.Millisecond
	}
	return o
}

// forRings returns the options of each of n rings on interfaces of MTU
// mtu: Blocks (unless set) for Frames frames of that MTU, cut (with
// BlockSize, unless set) so that the n rings stay within Budget, and
// BlockTimeout, unless set, stretched so that the rings' block timers
// fire at most ringTimerRate times a second in all. Explicit Blocks are
// kept as they are.
//
// A TPACKET_V3 ring's block timer fires every BlockTimeout even when
// nothing arrives: with 2 ms, the 1000 rings of 500 idle sources made
// 64 000 timer interrupts a second (the HRTIMER softirq took a core), and
// a lab of 1000 sources did not finish starting in 10 minutes. The
// timeout is only the user-space path's added latency at low rates (a
// block is handed over as soon as it is full), so a large lab waits up to
// n/ringTimerRate seconds for a lone copy decided in user space (100 ms at
// 1000 sources, one ring each); the in-kernel path does not wait.
func (o RingOptions) forRings(n, mtu int) RingOptions {
	if o.BlockTimeout < time.Millisecond && n > 0 {
		o.BlockTimeout = max(2*time.Millisecond, time.Duration(n)*time.Second/ringTimerRate)
	}
	if o.Blocks > 0 {
		return o.withDefaults()
	}
	budget, frames := o.Budget, o.Frames
	if budget <= 0 {
		budget = defaultRingBudget
	}
	if frames <= 0 {
		frames = defaultRingFrames
	}
	d := o.withDefaults()
	if mtu <= 0 {
		mtu = cloudmock.DefaultMTU
	}
	frame := mtu + EthernetHeaderLen + ringFrameOverhead
	want := frames * frame
	per := budget / max(n, 1)
	if o.BlockSize <= 0 {
		// A full-depth ring gets blocks of blockFrames frames (see
		// blockSizeFor), when it fits the budget with them.
		bs := blockSizeFor(frame)
		if blocks := max((want+bs-1)/bs, minRingBlocks); per >= blocks*bs {
			d.BlockSize, d.Blocks = bs, blocks
			return d
		}
	}
	d.Blocks = max((want+d.BlockSize-1)/d.BlockSize, minRingBlocks)
	if per >= d.Blocks*d.BlockSize {
		return d
	}
	if o.BlockSize <= 0 && per < 4*defaultBlockSize {
		d.BlockSize = smallBlockSize
	}
	d.Blocks = max(per/d.BlockSize, minRingBlocks)
	return d
}

// blockFrames is how many frames of the interface's MTU a ring block
// holds at least, when the ring is not cut by the budget.
//
// The kernel hands the capture a block at a time and wakes it once per
// block, and a block goes back to the kernel only when all its copies are
// sent: at MTU 9001 a 256 KiB block held 28 frames, a wake-up of the
// capture (and of its sender) every 28 jumbo copies. With blocks of 100
// frames (1 MiB) the user-space path's rate at 8947 B, over tc mirred's,
// was 0.82 against main's 0.76 (medians, paired runs at load 2); with 200
// (2 MiB) 0.89 against 0.78, the mirror's CPU per copy about 10 % lower;
// at 64 and 1400 B no change beyond the noise (figures in the commit).
// At MTU 1500 a block is 512 KiB (328 frames of 1400 B).
const blockFrames = 200

// blockSizeFor returns the block size of a full-depth ring of frames of
// frame bytes: blockFrames of them, rounded up to a power of two, at least
// defaultBlockSize.
func blockSizeFor(frame int) int {
	bs := defaultBlockSize
	for bs < blockFrames*frame {
		bs <<= 1
	}
	return bs
}

// ringTimerRate bounds how often the block timers of a service's rings
// fire in all, per second (see forRings).
const ringTimerRate = 10_000

// idleWait bounds how long a capture goroutine waits for a block before
// it reads its ring's counters again and looks whether it should stop.
// It waits in the netpoller (see tpRing.waitBlock), and Close wakes it
// (ring.wake), so the wait costs an idle ring one timer a second.
const idleWait = time.Second

// ring is the capture at one fabric-side veth, both directions: one
// ring per ENI rather than one per direction halves the sockets a lab
// opens (and their memory, and the time to open them: 2 000 rings at
// 1 000 sources took 1.4 s and 512 MB), and the kernel puts both
// directions' frames into it in the order it saw them, so a reply is
// never decided before its request (see pipeline.capture).
type ring struct {
	tp     *tpRing
	ifname string
	vnet   bool // frames are preceded by a virtio_net_hdr
	// tag is the VLAN tag the kernel kept in the metadata of the frame
	// read last (TPID << 16 | TCI; 0: none): see vlan_linux.go.
	tag uint32
	// ingress is the direction of the frame read last: it left the
	// fabric end toward the instance (PACKET_OUTGOING).
	ingress bool
	// users counts the pipelines (the ENI's two directions) whose copies
	// may point into the ring; the last release closes it.
	users atomic.Int32
	// blockTimeout is the ring's (see RingOptions).
	blockTimeout time.Duration
	// life guards the socket against close while the other direction's
	// capture reads its counters (queued); closed is set by close.
	life    sync.RWMutex
	closed  bool
	drops   atomic.Uint64 // kernel ring drops (tp_drops), accumulated
	freezes atomic.Uint64 // TPACKET_V3 queue freezes, accumulated
}

// openRing opens the ring on interface ifindex (named ifname) in the
// calling thread's network namespace (call it inside nsrun.Run) and
// attaches captureFilter (see tpRing). It has one user (share adds one).
//
// The socket is created listening to no protocol, so nothing enters the
// ring, and no RCU grace period is waited for, while the ring is set up
// and the filter attached; only then is it bound to ifindex for every
// protocol. Binding by index spares a lookup by name, which dumps every
// link of the namespace: once per ring, that made opening a lab's rings
// quadratic (60% of the CPU at 200 sources); an ifindex of 0 or less is
// looked up by name.
//
// vnet says whether to ask for a virtio_net_hdr before each frame
// (vnetHdrSupported, probed once per service: each probe's socket costs an
// RCU grace period at close).
//
// ebpf, when not -1, is the descriptor of an eBPF socket filter (the
// in-kernel path's two-direction one, which also drops what the kernel
// mirrored) attached instead of captureFilter.
func openRing(ifname string, ifindex int, vnet bool, mark uint32, ebpf int, o RingOptions) (*ring, error) {
	o = o.withDefaults()
	prog, err := captureFilter(mark)
	if err != nil {
		return nil, err
	}
	if ifindex <= 0 {
		ifi, err := net.InterfaceByName(ifname)
		if err != nil {
			return nil, fmt.Errorf("open af_packet ring on %s: %w", ifname, err)
		}
		ifindex = ifi.Index
	}
	if ebpf >= 0 {
		prog = nil
	}
	tp, err := openTPRing(tpRingConfig{blockSize: o.BlockSize, blocks: o.Blocks, timeout: o.BlockTimeout,
		poll: idleWait, vnet: vnet}, prog, ebpf)
	if err != nil {
		what := "in-kernel path's filter"
		if ebpf < 0 {
			what = filterText(mark)
		}
		return nil, fmt.Errorf("open af_packet ring on %s (filter: %s): %w", ifname, what, err)
	}
	if err := tp.bind(ifindex); err != nil {
		tp.close()
		return nil, fmt.Errorf("af_packet ring on %s: %w", ifname, err)
	}
	r := &ring{tp: tp, ifname: ifname, vnet: vnet, blockTimeout: o.BlockTimeout}
	r.users.Store(1)
	return r, nil
}

// share adds a user of the ring (see release).
func (r *ring) share() *ring {
	r.users.Add(1)
	return r
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// vnetHdrSupported reports whether the kernel takes PACKET_VNET_HDR_SZ
// (Linux 6.2+). Without it the rings carry no virtio_net_hdr, and GSO
// aggregates and partial checksums are mirrored as the ring shows them.
func vnetHdrSupported() bool {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	return unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VNET_HDR_SZ, vnetHdrLen) == nil
}

// read returns the next frame, zero-copy: valid (and writable) until the
// next read, unless its block is held (hold), with its virtio_net_hdr and
// capture time; r.ingress and r.tag describe it. It returns errTimeout when nothing arrived within the
// poll timeout, and an empty frame for a packet the ring holds no frame
// of.
func (r *ring) read() ([]byte, vnetHdr, int64, error) {
	data, err := r.tp.next()
	if err != nil {
		if errors.Is(err, errTimeout) {
			return nil, vnetHdr{}, 0, errTimeout
		}
		return nil, vnetHdr{}, 0, fmt.Errorf("read af_packet ring on %s: %w", r.ifname, err)
	}
	if len(data) == 0 {
		return nil, vnetHdr{}, 0, nil
	}
	r.tag, r.ingress = r.tp.vlanTag(), r.tp.outgoing()
	if !r.vnet {
		return data, vnetHdr{}, r.tp.stamp(), nil
	}
	return data, parseVnetHdr(r.tp.vnetHeader(data)), r.tp.stamp(), nil
}

var errTimeout = errors.New("capture poll timeout")

// hold keeps the block of the frame read last from going back to the
// kernel until unhold(the returned block, 1): a copy that points into it
// is queued.
func (r *ring) hold() int { return r.tp.hold() }

// unhold lets go of n holds of block b (see hold); safe from the sender.
func (r *ring) unhold(b int, n int32) { r.tp.unhold(b, n) }

// wake makes the capture's wait for a block return at once, now and
// from now on: the capture is asked to stop.
func (r *ring) wake() {
	r.life.RLock()
	defer r.life.RUnlock()
	if !r.closed {
		r.tp.wake()
	}
}

// counters returns the kernel's drop and freeze counts, read now unless
// the ring is closed (then as last read).
func (r *ring) counters() (drops, freezes uint64) {
	r.life.RLock()
	if !r.closed {
		_ = r.updateStats() // on failure, the last values read
	}
	r.life.RUnlock()
	return r.drops.Load(), r.freezes.Load()
}

// updateStats folds the kernel's ring counters (which reset on read) into
// r.drops and r.freezes.
func (r *ring) updateStats() error {
	_, drops, freezes, err := r.tp.stats()
	if err != nil {
		return fmt.Errorf("af_packet statistics on %s: %w", r.ifname, err)
	}
	r.drops.Store(drops)
	r.freezes.Store(freezes)
	return nil
}

// release gives up one user's hold on the ring and closes it when that
// was the last (the capture goroutine and every user's sender must have
// returned: no copy points into it any more).
func (r *ring) release() {
	if r.users.Add(-1) == 0 {
		r.close()
	}
}

// close closes the ring at once (see release).
func (r *ring) close() {
	r.life.Lock()
	defer r.life.Unlock()
	r.closed = true
	_ = r.tp.close()
}
