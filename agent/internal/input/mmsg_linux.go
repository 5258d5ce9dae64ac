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
// each call and parses (allocating) each sender's address; on the agent's
// hot path, one call per wake-up, that was a fifth of its CPU. Here only
// the fields the kernel changed are reset, and no address is asked for
// (the agent does not use it).
type mmsgReader struct {
	rc   syscall.RawConn
	hdrs []mmsghdr
	bufs [][]byte
	oobs [][]byte
	// used is how many headers the last call may have changed.
	used int
	// n and errno are the last call's result; read is the closure given
	// to rc.Read, made once so that a call allocates nothing.
	n     int
	errno syscall.Errno
	read  func(fd uintptr) bool
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
	r.read = func(fd uintptr) bool {
		n, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&r.hdrs[0])), uintptr(len(r.hdrs)), 0, 0, 0)
		if e == unix.EAGAIN || e == unix.EWOULDBLOCK {
			return false // nothing yet: wait in the poller
		}
		r.n, r.errno = int(n), e
		return true
	}
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

// Read waits for datagrams and reads up to a batch of them; it returns
// how many. Datagram and Control give each one's bytes.
func (r *mmsgReader) Read() (int, error) {
	r.reset()
	r.n, r.errno = 0, 0
	if err := r.rc.Read(r.read); err != nil {
		r.used = len(r.hdrs)
		return 0, err
	}
	// The kernel may have written into the header after the last one
	// received (the attempt that found the queue empty).
	r.used = min(r.n+1, len(r.hdrs))
	if r.errno != 0 {
		return 0, fmt.Errorf("recvmmsg: %w", r.errno)
	}
	return r.n, nil
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
