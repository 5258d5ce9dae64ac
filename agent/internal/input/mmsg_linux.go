package input

import (
	"fmt"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mmsghdr is struct mmsghdr (linux/socket.h): a msghdr and the length
// received. Go pads the struct to the msghdr's alignment, as C does.
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
}

// oobLen is each message's control buffer: SO_RXQ_OVFL (4 bytes) and
// SO_TIMESTAMPNS (a timespec), each after a cmsghdr, fit with room.
const oobLen = 64

// mmsgReader reads datagrams with recvmmsg into a message array built
// once. golang.org/x/net's ReadBatch packs every message header again on
// each call and parses (allocating) each sender's address; in a CPU
// profile of the agent under the bench's load (one call per wake-up),
// that was about a sixth of the samples. Here only
// the fields the kernel changed are reset, and no address is asked for
// (the agent does not use it).
type mmsgReader struct {
	rc   syscall.RawConn
	hdrs []mmsghdr
	bufs [][]byte
	oobs [][]byte
	// used is how many headers the last call may have changed.
	used int
	// errno is the error of the last call; handle is what Run was
	// given.
	errno  syscall.Errno
	handle func(n int)
}

// newMmsgReader returns a reader of batch datagrams per call, each into
// its own buffer of size bytes.
func newMmsgReader(rc syscall.RawConn, batch, size int) *mmsgReader {
	r := &mmsgReader{rc: rc, hdrs: make([]mmsghdr, batch), bufs: make([][]byte, batch), oobs: make([][]byte, batch)}
	iovs := make([]unix.Iovec, batch)
	for i := range r.hdrs {
		r.bufs[i] = make([]byte, size)
		r.oobs[i] = make([]byte, oobLen)
		iovs[i].Base = &r.bufs[i][0]
		iovs[i].SetLen(size)
		h := &r.hdrs[i].hdr
		h.Iov = &iovs[i]
		h.SetIovlen(1)
		h.Control = &r.oobs[i][0]
	}
	r.used = batch
	return r
}

// reset restores what the kernel changed in the headers of the last call
// (the control length it wrote back, the flags, the length received).
func (r *mmsgReader) reset() {
	for i := range r.hdrs[:r.used] {
		h := &r.hdrs[i]
		h.hdr.SetControllen(oobLen)
		h.hdr.Flags = 0
		h.n = 0
	}
}

// Run reads datagrams, up to a batch per recvmmsg call, and gives each
// batch's count to handle (Datagram and Control give each one's bytes,
// valid during the call), until an error: the socket's deadline or
// closing, or a failed call.
func (r *mmsgReader) Run(handle func(n int)) error {
	r.handle = handle
	if err := r.rc.Read(r.readFd); err != nil {
		return err
	}
	return fmt.Errorf("recvmmsg: %w", r.errno)
}

// readFd reads and handles batches until the queue is empty, and then
// returns false: the runtime waits for the socket to be readable and
// calls it again; it returns true only on an error. The whole of Run is
// one rc.Read. After a call that returned fewer messages than asked the
// queue was empty, but the next call is made anyway (it fails with
// EAGAIN when nothing came meanwhile): waiting for readiness instead
// would leave a datagram that came while the batch was handled to the
// runtime's next look at the poller, which a busy process makes late
// (up to 10 ms), and the saving (one call per wake-up) did not show in
// the bench's CPU figures.
func (r *mmsgReader) readFd(fd uintptr) bool {
	for {
		r.reset()
		// RawSyscall: the socket is non-blocking, so the call never
		// blocks, and the runtime's system-call bookkeeping would wake
		// its monitor thread (sysmon) at the first call after each idle
		// spell, which then polls every 20 µs until the process is idle
		// again (a quarter of the agent's CPU at 500 requests a second).
		n, _, e := unix.RawSyscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&r.hdrs[0])), uintptr(len(r.hdrs)), 0, 0, 0)
		if e == unix.EINTR {
			continue
		}
		if e == unix.EAGAIN || e == unix.EWOULDBLOCK {
			r.used = 1
			return false // nothing yet: wait in the poller
		}
		if e != 0 {
			r.errno = e
			r.used = len(r.hdrs)
			return true
		}
		// The kernel may have written into the header after the last one
		// received (the attempt that found the queue empty).
		r.used = min(int(n)+1, len(r.hdrs))
		r.handle(int(n))
	}
}

// Datagram returns message i's bytes and whether the kernel truncated it.
func (r *mmsgReader) Datagram(i int) ([]byte, bool) {
	h := &r.hdrs[i]
	return r.bufs[i][:h.n], h.hdr.Flags&unix.MSG_TRUNC != 0
}

// Control returns message i's control messages.
func (r *mmsgReader) Control(i int) []byte {
	return r.oobs[i][:r.hdrs[i].hdr.Controllen]
}
