package replay

import (
	"io"
	"net"
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawConn is a TCP connection to the destination whose reads and writes
// are made with RawSyscall: the socket is non-blocking (the runtime's
// poller waits for it), so no call blocks, and skipping the runtime's
// system-call bookkeeping (entersyscall) keeps its monitor thread (sysmon)
// asleep while the agent is idle between requests. net.Conn's Read and
// Write enter a system call the runtime's way, and the first one after an
// idle spell wakes sysmon, which then polls every 20 µs until the process
// is idle again: at 500 replayed requests a second, about a quarter of the
// agent's CPU in a perf profile (the wake-ups, its sleeps and the context
// switches). Deadlines and Close act as on the wrapped connection (the
// waiting is the runtime's poller's).
type rawConn struct {
	net.Conn
	rc syscall.RawConn
	// oob receives each read's control message: the kernel's receive time
	// of the last segment read (SO_TIMESTAMPNS), kept in last.
	oob  [64]byte
	last time.Time
}

// withRawIO wraps c when it gives raw access to its socket (a TCP
// connection); anything else is returned as it is.
func withRawIO(c net.Conn) net.Conn {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return c
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return c
	}
	// Best effort: without it reads carry no time and lastRead is zero.
	_ = rc.Control(func(fd uintptr) {
		_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
	})
	return &rawConn{Conn: c, rc: rc}
}

// lastRead is the kernel's receive time of the last segment a read
// returned (zero when it gave none).
func (c *rawConn) lastRead() time.Time { return c.last }

// setLowat sets the socket's receive low-water mark (SO_RCVLOWAT): TCP
// does not report the socket readable, so the poller does not wake, until
// that many bytes are waiting (or the peer closed); a read returns what
// is there whatever the mark.
func (c *rawConn) setLowat(n int) bool {
	ok := false
	err := c.rc.Control(func(fd uintptr) {
		v := int32(n)
		_, _, e := unix.RawSyscall6(unix.SYS_SETSOCKOPT, fd, unix.SOL_SOCKET, unix.SO_RCVLOWAT,
			uintptr(unsafe.Pointer(&v)), unsafe.Sizeof(v), 0)
		ok = e == 0
	})
	return ok && err == nil
}

// recv reads into p with recvmsg, keeping the receive time it carries.
func (c *rawConn) recv(fd uintptr, p []byte) (int, syscall.Errno) {
	iov := unix.Iovec{Base: &p[0]}
	iov.SetLen(len(p))
	msg := unix.Msghdr{Iov: &iov, Control: &c.oob[0]}
	msg.SetIovlen(1)
	msg.SetControllen(len(c.oob))
	r, _, e := unix.RawSyscall(unix.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&msg)), 0)
	if e == 0 && r > 0 && int(msg.Controllen) >= unix.SizeofCmsghdr+int(unsafe.Sizeof(unix.Timespec{})) {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&c.oob[0]))
		if h.Level == unix.SOL_SOCKET && h.Type == unix.SO_TIMESTAMPNS {
			ts := (*unix.Timespec)(unsafe.Pointer(&c.oob[unix.SizeofCmsghdr]))
			c.last = time.Unix(ts.Unix())
		}
	}
	return int(r), e
}

func (c *rawConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	var errno syscall.Errno
	err := c.rc.Read(func(fd uintptr) bool {
		for {
			r, e := c.recv(fd, p)
			switch e {
			case unix.EINTR:
				continue
			case unix.EAGAIN:
				return false // wait in the poller
			}
			n, errno = r, e
			return true
		}
	})
	switch {
	case err != nil:
		return 0, err
	case errno != 0:
		return 0, &net.OpError{Op: "read", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: os.NewSyscallError("read", errno)}
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

func (c *rawConn) Write(p []byte) (int, error) {
	var done int
	var errno syscall.Errno
	err := c.rc.Write(func(fd uintptr) bool {
		for done < len(p) {
			r, _, e := unix.RawSyscall(unix.SYS_WRITE, fd, uintptr(unsafe.Pointer(&p[done])), uintptr(len(p)-done))
			switch e {
			case 0:
				done += int(r)
			case unix.EINTR:
			case unix.EAGAIN:
				return false // the send buffer is full: wait in the poller
			default:
				errno = e
				return true
			}
		}
		return true
	})
	switch {
	case err != nil:
		return done, err
	case errno != 0:
		return done, &net.OpError{Op: "write", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: os.NewSyscallError("write", errno)}
	}
	return done, nil
}
