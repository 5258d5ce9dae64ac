package dataplane

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/gopacket/gopacket/afpacket"
	"golang.org/x/sys/unix"
)

// RingOptions size the AF_PACKET TPACKET_V3 ring of one capture (there are
// two per source ENI, one per direction).
type RingOptions struct {
	// BlockSize is the ring's block size in bytes, a multiple of the page
	// size and larger than the biggest frame (default 256 KiB; 128 KiB when
	// Budget leaves a ring less than 1 MiB).
	BlockSize int
	// Blocks is the number of blocks (default 16: 4 MiB per ring, fewer
	// when Budget says so).
	Blocks int
	// Budget bounds the kernel memory of all the service's rings together
	// when Blocks is left at its default (default 128 MiB): a lab of up to
	// 16 captured ENIs gets the full 4 MiB rings, a larger one smaller
	// rings, down to two blocks of 128 KiB (256 KiB per ring; still room
	// for two 64 KiB GSO aggregates). Ring memory is allocated and mapped
	// up front, so without a bound it grew by 8 MiB per source ENI (1 GB
	// of resident memory for 100 sources).
	Budget int
	// BlockTimeout is how long the kernel keeps a partly filled block before
	// handing it over: the capture's added latency at low rates (default
	// 2ms, granularity 1ms).
	BlockTimeout time.Duration
}

const (
	defaultRingBudget = 128 << 20
	smallBlockSize    = 128 << 10
	minRingBlocks     = 2
)

func (o RingOptions) withDefaults() RingOptions {
	if o.BlockSize <= 0 {
		o.BlockSize = 256 << 10
	}
	if o.Blocks <= 0 {
		o.Blocks = 16
	}
	if o.BlockTimeout < time.Millisecond {
		o.BlockTimeout = 2 * time.Millisecond
	}
	return o
}

// forRings returns the options of each of n rings: the defaults, with
// Blocks (and BlockSize, unless set) cut so that the n rings stay within
// Budget, and BlockTimeout, unless set, stretched so that the rings'
// block timers fire at most ringTimerRate times a second in all. Explicit
// Blocks are kept as they are.
//
// A TPACKET_V3 ring's block timer fires every BlockTimeout even when
// nothing arrives: with 2 ms, the 1000 rings of 500 idle sources made
// 64 000 timer interrupts a second (the HRTIMER softirq took a core), and
// a lab of 1000 sources did not finish starting in 10 minutes. The
// timeout is only the user-space path's added latency at low rates (a
// block is handed over as soon as it is full), so a large lab waits up to
// n/ringTimerRate seconds for a lone copy decided in user space (200 ms at
// 1000 sources); the in-kernel path does not wait.
func (o RingOptions) forRings(n int) RingOptions {
	if o.BlockTimeout < time.Millisecond && n > 0 {
		o.BlockTimeout = max(2*time.Millisecond, time.Duration(n)*time.Second/ringTimerRate)
	}
	budget := o.Budget
	if budget <= 0 {
		budget = defaultRingBudget
	}
	if o.Blocks > 0 || n <= 0 {
		return o.withDefaults()
	}
	d := o.withDefaults()
	per := budget / n
	if per >= d.Blocks*d.BlockSize {
		return d
	}
	if o.BlockSize <= 0 && per < 8*d.BlockSize/2 {
		d.BlockSize = smallBlockSize
	}
	d.Blocks = max(per/d.BlockSize, minRingBlocks)
	return d
}

// ringTimerRate bounds how often the block timers of a service's rings
// fire in all, per second (see forRings).
const ringTimerRate = 10_000

// pollTimeout (or the ring's BlockTimeout, when longer: a capture goroutine
// need not wake more often than its ring hands blocks over) bounds how
// long a capture goroutine sleeps in poll, hence how
// long Close waits for it.
const pollTimeout = 50 * time.Millisecond

// ring is one direction's capture at one fabric-side veth.
type ring struct {
	tp      *afpacket.TPacket
	ifname  string
	ingress bool
	vnet    bool // frames are preceded by a virtio_net_hdr
	// tag is the VLAN tag the kernel kept in the metadata of the frame
	// read last (TPID << 16 | TCI; 0: none): see vlanTag.
	tag uint32
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
// attaches captureFilter.
//
// The socket is created listening to no protocol, so nothing enters the
// ring, and no RCU grace period is waited for, while the ring is set up
// and the filter attached; only then is it bound to ifindex for every
// protocol. Binding by index also spares afpacket's net.InterfaceByName,
// which dumps every link of the namespace: once per ring, that made
// opening a lab's rings quadratic (60% of the CPU at 200 sources).
// Should afpacket's descriptor not be reachable (see tpacketFD), the ring
// is opened by name as afpacket does it, and a frame of the wrong
// direction or a marked datagram can slip in before the filter: the
// capture loop's MAC check rejects the former, and the service sends
// nothing before every ring is open.
//
// vnet says whether to ask for a virtio_net_hdr before each frame
// (vnetHdrSupported, probed once per service: each probe's socket costs an
// RCU grace period at close).
//
// ebpf, when not -1, is the descriptor of an eBPF socket filter (the
// in-kernel path's, which also drops what the kernel mirrored) attached
// instead of captureFilter.
func openRing(ifname string, ifindex int, ingress, vnet bool, mark uint32, ebpf int, o RingOptions) (*ring, error) {
	o = o.withDefaults()
	prog, err := captureFilter(ingress, mark)
	if err != nil {
		return nil, err
	}
	opts := []any{
		afpacket.OptInterface(""), afpacket.OptProtocol(0),
		afpacket.TPacketVersion3,
		afpacket.OptFrameSize(o.BlockSize), // v3 frames are variable: only blocks matter
		afpacket.OptBlockSize(o.BlockSize),
		afpacket.OptNumBlocks(o.Blocks),
		afpacket.OptBlockTimeout(o.BlockTimeout),
		afpacket.OptPollTimeout(max(pollTimeout, o.BlockTimeout)),
	}
	fallback := ifindex <= 0 || !tpacketFDReachable()
	if fallback {
		opts[0], opts[1] = afpacket.OptInterface(ifname), afpacket.OptProtocol(unix.ETH_P_ALL)
	}
	if vnet {
		opts = append(opts, afpacket.OptVNetHdrSize(vnetHdrLen))
	}
	tp, err := afpacket.NewTPacket(opts...)
	if err != nil {
		return nil, fmt.Errorf("open af_packet ring on %s: %w", ifname, err)
	}
	if ebpf >= 0 {
		if err := tp.SetEBPF(int32(ebpf)); err != nil {
			tp.Close()
			return nil, fmt.Errorf("attach the in-kernel path's capture filter on %s: %w", ifname, err)
		}
	} else if err := tp.SetBPF(prog); err != nil {
		tp.Close()
		return nil, fmt.Errorf("attach capture filter (%s) on %s: %w", filterText(ingress, mark), ifname, err)
	}
	if !fallback {
		sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifindex}
		if err := unix.Bind(tpacketFD(tp), sa); err != nil {
			tp.Close()
			return nil, fmt.Errorf("bind af_packet ring to %s (index %d): %w", ifname, ifindex, err)
		}
	}
	return &ring{tp: tp, ifname: ifname, ingress: ingress, vnet: vnet, blockTimeout: o.BlockTimeout}, nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// tpacketFD returns the socket of tp: afpacket keeps it in an unexported
// field and binds only by name, so it is read by reflection (reading an
// unexported int field is allowed; nothing is written).
// tpacketFDReachable says whether this afpacket version still has it.
func tpacketFD(tp *afpacket.TPacket) int {
	return int(reflect.ValueOf(tp).Elem().FieldByName("fd").Int())
}

func tpacketFDReachable() bool {
	f, ok := reflect.TypeFor[afpacket.TPacket]().FieldByName("fd")
	return ok && f.Type.Kind() == reflect.Int
}

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
// next read, with its virtio_net_hdr. It returns errTimeout when nothing
// arrived within pollTimeout.
func (r *ring) read() ([]byte, vnetHdr, int64, error) {
	data, ci, err := r.tp.ZeroCopyReadPacketData()
	if err != nil {
		if errors.Is(err, afpacket.ErrTimeout) || errors.Is(err, unix.EINTR) {
			return nil, vnetHdr{}, 0, errTimeout
		}
		return nil, vnetHdr{}, 0, fmt.Errorf("read af_packet ring on %s: %w", r.ifname, err)
	}
	r.tag = vlanTag(r.tp, ci.AncillaryData)
	if len(data) == 0 || !r.vnet {
		return data, vnetHdr{}, ci.Timestamp.UnixNano(), nil
	}
	// With PACKET_VNET_HDR_SZ the kernel writes the virtio_net_hdr right
	// before the frame in the ring (tpacket_rcv: h.raw + macoff - 10);
	// afpacket does not return it, so read it from the ring memory.
	hdr := unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(data)), -vnetHdrLen)), vnetHdrLen)
	return data, parseVnetHdr(hdr), ci.Timestamp.UnixNano(), nil
}

var errTimeout = errors.New("capture poll timeout")

// updateStats folds the kernel's ring counters (which reset on read) into
// r.drops and r.freezes.
func (r *ring) updateStats() error {
	_, v3, err := r.tp.SocketStats()
	if err != nil {
		return fmt.Errorf("read af_packet statistics on %s: %w", r.ifname, err)
	}
	// afpacket accumulates itself; store its running totals.
	r.drops.Store(uint64(v3.Drops()))
	r.freezes.Store(uint64(v3.QueueFreezes()))
	return nil
}

// queued returns how many frames the kernel has put into the ring since
// it opened (received less dropped); false once the ring is closed or
// the counters cannot be read. Safe from any goroutine.
func (r *ring) queued() (uint64, bool) {
	r.life.RLock()
	defer r.life.RUnlock()
	if r.closed {
		return 0, false
	}
	_, v3, err := r.tp.SocketStats()
	if err != nil {
		return 0, false
	}
	return uint64(v3.Packets()) - uint64(v3.Drops()), true
}

// close releases the ring (the capture goroutine must have returned).
func (r *ring) close() {
	r.life.Lock()
	defer r.life.Unlock()
	r.closed = true
	r.tp.Close()
}
