package dataplane

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// tpRing is an AF_PACKET TPACKET_V3 receive ring whose blocks are held
// until every copy pointing into them is sent.
//
// The kernel fills the ring block by block and hands a block over (status
// TP_STATUS_USER) when it is full or its retire timeout expires; the
// reader walks its packets and gives it back (TP_STATUS_KERNEL). A
// library reader (gopacket/afpacket) gives a block back as soon as it
// moves to the next one, so a frame must be copied out before: the
// copies went ring → queue → socket. Here each block carries a count of
// holds, the reader's while it walks the block and one per queued copy
// whose frame lies in it; the last to let go (the reader, or the sender
// once the copy is sent) gives it back. The count is shared with the
// sender's goroutine, so it is touched once per block by the reader and
// once per run of sent copies by the sender, not per copy: the reader
// holds the block with a bias larger than any count of copies, counts
// its copies privately, and at the block's end exchanges the bias for
// that count; while the bias is there, the sender's releases cannot
// bring the count to zero. Blocks are read and sent in
// order, so they come back in order; when the kernel reaches a block that
// is still held it stops filling (a "freeze", counted) and drops what
// arrives (counted by the kernel as ring drops) until the block is back.
//
// It is also the only place that reads the ring's per-packet headers
// (VLAN tag, virtio_net_hdr) and statistics; no reflection into a
// library's fields.
type tpRing struct {
	fd        int
	mem       []byte
	blockSize int
	blocks    int
	// file and raw put the socket into the Go runtime's netpoller: a
	// capture waiting for a block parks its goroutine instead of an OS
	// thread in poll(2) (see waitBlock).
	file *os.File
	raw  syscall.RawConn
	wait time.Duration // longest wait in next
	// curReady is ready for block cur, made once (a closure per wait
	// would be allocated per wait).
	curReady func(uintptr) bool
	// holds counts each block's holders (see the type's comment).
	holds []atomic.Int32
	pend  int32 // copies of cur held, not yet in holds[cur] (reader only)
	// seq is the kernel's sequence number of the block read last (the
	// kernel numbers the blocks it opens from 1): a block still held from
	// the reader's last lap is the user's too, but not newer (see ready).
	seq uint64
	// stopping makes next return at once (wake).
	stopping atomic.Bool

	// Reader state (the capture goroutine only).
	cur   int  // block being read, or to be read next
	inCur bool // the reader holds cur and walks its packets
	off   int  // offset in cur of the next packet
	left  int  // packets of cur not returned yet
	hdr   *unix.Tpacket3Hdr
	// pktType is the sll_pkttype of the frame next returned last.
	pktType uint8

	// Statistics: the kernel resets its counters on every read, so they
	// are read under statsMu and summed.
	statsMu                 sync.Mutex
	packets, drops, freezes uint64
}

// tpRingConfig describes a ring to open.
type tpRingConfig struct {
	blockSize, blocks int
	timeout           time.Duration // block retire timeout (ms granularity)
	poll              time.Duration // longest wait in next
	vnet              bool          // ask for a virtio_net_hdr before each frame
}

// openTPRing creates an AF_PACKET socket listening to no protocol (nothing
// enters the ring yet), sets up and maps its TPACKET_V3 ring, and attaches
// the classic filter cbpf, or the eBPF socket filter ebpf when not -1.
// bind starts the capture.
func openTPRing(c tpRingConfig, cbpf []bpf.RawInstruction, ebpf int) (*tpRing, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("open af_packet socket: %w", err)
	}
	r := &tpRing{fd: fd, blockSize: c.blockSize, blocks: c.blocks, wait: max(c.poll, time.Millisecond)}
	if err := r.setup(c, cbpf, ebpf); err != nil {
		r.close()
		return nil, err
	}
	// A non-blocking descriptor makes a pollable File (registered with
	// the netpoller, edge-triggered); the File owns it from here on.
	r.file = os.NewFile(uintptr(fd), "af_packet ring")
	if r.raw, err = r.file.SyscallConn(); err != nil {
		r.close()
		return nil, fmt.Errorf("af_packet ring: %w", err)
	}
	r.holds = make([]atomic.Int32, c.blocks)
	r.curReady = func(uintptr) bool { return r.ready(r.blockDesc(r.cur)) }
	return r, nil
}

func (r *tpRing) setup(c tpRingConfig, cbpf []bpf.RawInstruction, ebpf int) error {
	if err := unix.SetsockoptInt(r.fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V3); err != nil {
		return fmt.Errorf("set TPACKET_V3: %w", err)
	}
	if c.vnet {
		if err := unix.SetsockoptInt(r.fd, unix.SOL_PACKET, unix.PACKET_VNET_HDR_SZ, vnetHdrLen); err != nil {
			return fmt.Errorf("set PACKET_VNET_HDR_SZ: %w", err)
		}
	}
	req := unix.TpacketReq3{Block_size: uint32(c.blockSize), Block_nr: uint32(c.blocks),
		Frame_size: uint32(c.blockSize), Frame_nr: uint32(c.blocks), // v3 frames are variable: only blocks matter
		Retire_blk_tov: uint32(max(c.timeout, time.Millisecond) / time.Millisecond)}
	if err := unix.SetsockoptTpacketReq3(r.fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req); err != nil {
		return fmt.Errorf("set up a ring of %d blocks of %d bytes: %w", c.blocks, c.blockSize, err)
	}
	mem, err := unix.Mmap(r.fd, 0, c.blockSize*c.blocks, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("map the ring (%d bytes): %w", c.blockSize*c.blocks, err)
	}
	r.mem = mem
	if ebpf >= 0 {
		if err := unix.SetsockoptInt(r.fd, unix.SOL_SOCKET, unix.SO_ATTACH_BPF, ebpf); err != nil {
			return fmt.Errorf("attach the eBPF socket filter: %w", err)
		}
		return nil
	}
	if len(cbpf) == 0 {
		return nil
	}
	prog := unix.SockFprog{Len: uint16(len(cbpf)), Filter: (*unix.SockFilter)(unsafe.Pointer(&cbpf[0]))}
	if err := unix.SetsockoptSockFprog(r.fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &prog); err != nil {
		return fmt.Errorf("attach the socket filter: %w", err)
	}
	return nil
}

// bind starts the capture on interface ifindex, every protocol.
func (r *tpRing) bind(ifindex int) error {
	sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifindex}
	if err := unix.Bind(r.fd, sa); err != nil {
		return fmt.Errorf("bind to interface index %d: %w", ifindex, err)
	}
	return nil
}

// blockDesc returns the header of block b.
func (r *tpRing) blockDesc(b int) *unix.TpacketHdrV1 {
	return (*unix.TpacketHdrV1)(unsafe.Pointer(&r.mem[b*r.blockSize+int(unsafe.Offsetof(unix.TpacketBlockDesc{}.Hdr))]))
}

// next returns the next frame, in place in the ring: valid until the
// block it lies in is given back, so until the next call unless the
// caller holds the block (hold). It returns errTimeout after waiting
// tpRingConfig.poll for nothing, or at once after wake.
func (r *tpRing) next() ([]byte, error) {
	for r.left == 0 {
		if r.inCur {
			r.inCur = false
			r.unhold(r.cur, readerBias-r.pend)
			r.cur = (r.cur + 1) % r.blocks
		}
		if err := r.waitBlock(); err != nil {
			return nil, err
		}
		bd := r.blockDesc(r.cur)
		r.seq = bd.Seq_num
		r.holds[r.cur].Store(readerBias)
		r.pend = 0
		r.inCur, r.left, r.off = true, int(bd.Num_pkts), int(bd.Offset_to_first_pkt)
	}
	base := r.cur * r.blockSize
	off := base + r.off
	if r.off < 0 || r.off+unix.SizeofTpacket3Hdr > r.blockSize {
		r.left = 0 // a corrupt block: skip it rather than read out of it
		return nil, nil
	}
	h := (*unix.Tpacket3Hdr)(unsafe.Pointer(&r.mem[off]))
	r.hdr = h
	r.pktType = 0
	if ll := off + sllOffset + int(unsafe.Offsetof(unix.RawSockaddrLinklayer{}.Pkttype)); ll < base+r.blockSize {
		r.pktType = r.mem[ll]
	}
	r.left--
	r.off += int(h.Next_offset)
	start := off + int(h.Mac)
	end := start + int(h.Snaplen)
	if end > base+r.blockSize || int(h.Mac) < vnetHdrLen {
		return nil, nil
	}
	return r.mem[start:end:end], nil
}

// sllOffset is where the kernel writes a frame's sockaddr_ll, from its
// tpacket3_hdr: TPACKET_ALIGN(sizeof(struct tpacket3_hdr)).
const sllOffset = (unix.SizeofTpacket3Hdr + unix.TPACKET_ALIGNMENT - 1) &^ (unix.TPACKET_ALIGNMENT - 1)

// outgoing reports whether the frame next returned last left the
// interface (PACKET_OUTGOING) rather than arrived at it.
func (r *tpRing) outgoing() bool { return r.pktType == pktOutgoing }

// vnetHeader returns the virtio_net_hdr the kernel wrote right before the
// frame next returned last (tpacket_rcv: h.raw + macoff - 10); only with
// tpRingConfig.vnet.
func (r *tpRing) vnetHeader(frame []byte) []byte {
	return unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(frame)), -vnetHdrLen)), vnetHdrLen)
}

// stamp is the capture time of the frame next returned last, unix ns.
func (r *tpRing) stamp() int64 { return int64(r.hdr.Sec)*1e9 + int64(r.hdr.Nsec) }

// vlanTag returns the tag (TPID << 16 | TCI) the kernel kept in the
// metadata of the frame next returned last, 0 if none.
func (r *tpRing) vlanTag() uint32 {
	h := r.hdr
	if h.Status&unix.TP_STATUS_VLAN_VALID == 0 {
		return 0
	}
	tpid := uint32(h.Hv1.Vlan_tpid)
	if h.Status&unix.TP_STATUS_VLAN_TPID_VALID == 0 || tpid == 0 {
		tpid = unix.ETH_P_8021Q
	}
	return tpid<<16 | h.Hv1.Vlan_tci&0xffff
}

// waitBlock waits until block cur is the reader's, at most r.wait, in
// the netpoller: the kernel wakes the socket's waiters when it hands a
// block over (prb_close_block), and the Go runtime parks the goroutine
// until then, so an idle ring costs no thread and no wake-up but the
// deadline's. (poll(2) would also report the socket readable while the
// block before the one the kernel fills is still held by unsent copies;
// the edge-triggered netpoller wakes on hand-overs only, and readiness
// is decided by the block itself: see ready.)
func (r *tpRing) waitBlock() error {
	if r.ready(r.blockDesc(r.cur)) {
		return nil
	}
	if err := r.file.SetReadDeadline(time.Now().Add(r.wait)); err != nil {
		return fmt.Errorf("set the wait deadline: %w", err)
	}
	if r.stopping.Load() { // after the deadline is set: see wake
		return errTimeout
	}
	err := r.raw.Read(r.curReady)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return errTimeout
	}
	if err != nil {
		return fmt.Errorf("wait for a block: %w", err)
	}
	return nil
}

// ready reports whether block bd is one the kernel handed over since
// the reader's last block. The user's status alone does not say it: the
// reader may come round the ring to a block it read a lap ago whose
// copies are still queued (the queue may hold more copies than the ring
// frames); that block is older than the last one read.
func (r *tpRing) ready(bd *unix.TpacketHdrV1) bool {
	return atomic.LoadUint32(&bd.Block_status)&unix.TP_STATUS_USER != 0 && bd.Seq_num > r.seq
}

// wake makes the reader's current and next waits return errTimeout at
// once (the caller has asked the capture to stop). Safe from any
// goroutine.
func (r *tpRing) wake() {
	r.stopping.Store(true)
	_ = r.file.SetReadDeadline(time.Now())
}

// readerBias is the reader's hold on the block it walks: more than the
// copies a block can hold (a frame takes at least 16 bytes of it).
const readerBias = 1 << 30

// hold adds a holder to the block of the frame next returned last, for a
// copy pointing into it that is queued, and returns the block (reader
// only).
func (r *tpRing) hold() int {
	r.pend++
	return r.cur
}

// unhold drops n holders of block b; the last one gives the block back
// to the kernel. Safe from the sender's goroutine.
func (r *tpRing) unhold(b int, n int32) {
	if r.holds[b].Add(-n) == 0 {
		atomic.StoreUint32(&r.blockDesc(b).Block_status, unix.TP_STATUS_KERNEL)
	}
}

// stats reads the kernel's counters into the running totals and returns
// them: packets put into the ring, dropped for want of room, and queue
// freezes (the kernel met a block still held).
func (r *tpRing) stats() (packets, drops, freezes uint64, err error) {
	r.statsMu.Lock()
	defer r.statsMu.Unlock()
	var st unix.TpacketStatsV3
	n := uint32(unsafe.Sizeof(st))
	if _, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(r.fd), unix.SOL_PACKET, unix.PACKET_STATISTICS,
		uintptr(unsafe.Pointer(&st)), uintptr(unsafe.Pointer(&n)), 0); e != 0 {
		return r.packets, r.drops, r.freezes, fmt.Errorf("read PACKET_STATISTICS: %w", e)
	}
	// tp_packets counts the dropped ones too.
	r.packets += uint64(st.Packets)
	r.drops += uint64(st.Drops)
	r.freezes += uint64(st.Freeze_q_cnt)
	return r.packets, r.drops, r.freezes, nil
}

// close unmaps the ring and closes the socket. Nothing may use a frame of
// the ring afterwards.
func (r *tpRing) close() error {
	var errs []error
	if r.mem != nil {
		errs = append(errs, unix.Munmap(r.mem))
		r.mem = nil
	}
	switch {
	case r.file != nil:
		errs = append(errs, r.file.Close())
		r.file, r.fd = nil, -1
	case r.fd >= 0:
		errs = append(errs, unix.Close(r.fd))
		r.fd = -1
	}
	return errors.Join(errs...)
}
