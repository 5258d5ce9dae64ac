package input

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// UDPConfig configures the UDP input.
type UDPConfig struct {
	// Addr is the listen address (default ":4789").
	Addr string
	// Sockets is the number of SO_REUSEPORT sockets, one reader goroutine
	// each (default 1).
	Sockets int
	// RcvBuf is each socket's receive buffer in bytes (default 8 MiB);
	// SO_RCVBUFFORCE is tried first so root can exceed rmem_max.
	RcvBuf int
	// Batch is the number of datagrams per recvmmsg (default 64).
	Batch       int
	InNamespace InNamespace
	// Drops receives the kernel's per-socket drop counts (SO_RXQ_OVFL in
	// each message; SO_MEMINFO once a second and when Run returns, so the
	// drops at the end of a burst are counted without a later datagram).
	Drops Drops
	// Backlog, when set, is called on a reading goroutine each time a
	// recvmmsg call fills its whole batch (more datagrams were waiting
	// than it takes): the reader is falling behind.
	Backlog func()
}

// UDP is a set of listening sockets.
type UDP struct {
	cfg   UDPConfig
	conns []net.PacketConn
}

// maxDatagram is the receive buffer per datagram.
const maxDatagram = 65536

// ListenUDP opens the sockets.
func ListenUDP(ctx context.Context, cfg UDPConfig) (*UDP, error) {
	if cfg.Addr == "" {
		cfg.Addr = ":4789"
	}
	if cfg.Sockets <= 0 {
		cfg.Sockets = 1
	}
	if cfg.RcvBuf <= 0 {
		cfg.RcvBuf = 8 << 20
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 64
	}
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("udp listen address %q: %w", cfg.Addr, err)
	}
	network := "udp" // ":4789": every address, dual stack where allowed
	if ip := net.ParseIP(host); ip != nil && ip.To4() != nil {
		network = "udp4"
	} else if ip != nil {
		network = "udp6"
	}
	u := &UDP{cfg: cfg}
	lc := net.ListenConfig{Control: func(network, address string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); serr != nil {
				serr = fmt.Errorf("set SO_REUSEPORT: %w", serr)
				return
			}
			if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, cfg.RcvBuf) != nil {
				if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, cfg.RcvBuf); serr != nil {
					serr = fmt.Errorf("set SO_RCVBUF %d: %w", cfg.RcvBuf, serr)
					return
				}
			}
			// Best effort: the kernel's drop count in each message.
			_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RXQ_OVFL, 1)
			// Each datagram's kernel receive time: datagrams read in one
			// batch keep their own times (production's response latency
			// is measured between them).
			_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	addr := cfg.Addr
	err = cfg.InNamespace.run(func() error {
		for i := 0; i < cfg.Sockets; i++ {
			pc, err := lc.ListenPacket(ctx, network, addr)
			if errors.Is(err, unix.EADDRINUSE) {
				return fmt.Errorf("listen udp %s: %w (a kernel vxlan device owns the port? capture on it with -input afpacket -interface vxlan0, or pick another -listen port)", addr, err)
			}
			if err != nil {
				return fmt.Errorf("listen udp %s (socket %d of %d): %w", addr, i+1, cfg.Sockets, err)
			}
			u.conns = append(u.conns, pc)
			if i == 0 {
				// Port 0: the other sockets join the port the first got.
				addr = pc.LocalAddr().String()
			}
		}
		return nil
	})
	if err != nil {
		u.Close()
		return nil, err
	}
	return u, nil
}

// LocalAddr returns the address the sockets are bound to.
func (u *UDP) LocalAddr() net.Addr { return u.conns[0].LocalAddr() }

// Close closes every socket; Run returns.
func (u *UDP) Close() error {
	var errs []error
	for _, c := range u.conns {
		if err := c.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// drainTime is how long Run keeps reading, once ctx is done, what the
// sockets already hold.
const drainTime = 200 * time.Millisecond

// Run reads until ctx is done (then for drainTime more, so datagrams
// already received are handled) or the sockets are closed; newHandler is
// called once per socket (one handler per reader goroutine).
func (u *UDP) Run(ctx context.Context, newHandler func() DatagramHandler) error {
	drops := make([]dropCount, len(u.conns))
	poll := func() {
		for i, c := range u.conns {
			if d, ok := socketDrops(c); ok {
				drops[i].report(d, u.cfg.Drops)
			}
		}
	}
	stop := context.AfterFunc(ctx, func() {
		deadline := time.Now().Add(drainTime)
		for _, c := range u.conns {
			_ = c.SetReadDeadline(deadline) // a closed socket needs none
		}
	})
	defer stop()
	pollStop, pollDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(pollDone)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-pollStop:
				return
			case <-t.C:
				poll()
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make([]error, len(u.conns))
	for i, c := range u.conns {
		sc, ok := c.(syscall.Conn)
		if !ok {
			errs[i] = fmt.Errorf("udp socket %d: no raw access (%T)", i+1, c)
			continue
		}
		rc, err := sc.SyscallConn()
		if err != nil {
			errs[i] = fmt.Errorf("udp socket %d: %w", i+1, err)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = u.read(ctx, newMmsgReader(rc, u.cfg.Batch, maxDatagram), newHandler(), &drops[i])
		}()
	}
	wg.Wait()
	close(pollStop)
	<-pollDone
	poll() // the drops up to the end, while the sockets are open
	return errors.Join(errs...)
}

// dropCount follows one socket's kernel drop counter (sk_drops, a 32-bit
// counter seen both in SO_RXQ_OVFL messages, as of each datagram's
// arrival, and through SO_MEMINFO); each increase is reported once.
type dropCount struct{ last atomic.Uint32 }

func (d *dropCount) report(now uint32, to Drops) {
	for {
		last := d.last.Load()
		diff := now - last
		if diff == 0 || diff >= 1<<31 {
			return // no news, or older than what was reported
		}
		if d.last.CompareAndSwap(last, now) {
			if to != nil {
				to.Add(uint64(diff))
			}
			return
		}
	}
}

// skMeminfoDrops is SK_MEMINFO_DROPS, the index of sk_drops in the
// SO_MEMINFO array (linux/sock_diag.h).
const skMeminfoDrops = 8

// socketDrops reads the socket's drop counter with SO_MEMINFO.
func socketDrops(c net.PacketConn) (uint32, bool) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return 0, false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0, false
	}
	var info [skMeminfoDrops + 1]uint32
	got := false
	err = rc.Control(func(fd uintptr) {
		l := uint32(unsafe.Sizeof(info))
		_, _, errno := unix.Syscall6(unix.SYS_GETSOCKOPT, fd, unix.SOL_SOCKET, unix.SO_MEMINFO,
			uintptr(unsafe.Pointer(&info)), uintptr(unsafe.Pointer(&l)), 0)
		got = errno == 0 && l >= uint32(unsafe.Sizeof(info))
	})
	return info[skMeminfoDrops], err == nil && got
}

func (u *UDP) read(ctx context.Context, r *mmsgReader, h DatagramHandler, drops *dropCount) error {
	err := r.Run(func(n int) {
		if n == len(r.hdrs) && u.cfg.Backlog != nil {
			u.cfg.Backlog()
		}
		batchTS := time.Now()
		for i := 0; i < n; i++ {
			c := parseControl(r.Control(i))
			if c.hasOvfl {
				drops.report(c.ovfl, u.cfg.Drops)
			}
			ts := c.ts
			if ts.IsZero() {
				ts = batchTS // the kernel gave no receive time
			}
			b, trunc := r.Datagram(i)
			if trunc {
				// Larger than our buffer: cannot be a whole datagram.
				h.Datagram(nil, ts)
				continue
			}
			h.Datagram(b, ts)
		}
	})
	if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return fmt.Errorf("read udp: %w", err)
}

// control is what a datagram's control messages say.
type control struct {
	ovfl    uint32 // the socket's drop counter (SO_RXQ_OVFL)
	hasOvfl bool
	ts      time.Time // the kernel's receive time (SO_TIMESTAMPNS); zero without
}

// parseControl reads the control messages (struct cmsghdr: length as a C
// long, level, type; data aligned to a long) without allocating.
func parseControl(oob []byte) control {
	const hdr = unix.SizeofCmsghdr
	const align = hdr - 8 // sizeof(long)
	var c control
	for len(oob) >= hdr {
		var l int
		if align == 8 {
			l = int(binary.NativeEndian.Uint64(oob[0:8]))
		} else {
			l = int(binary.NativeEndian.Uint32(oob[0:4]))
		}
		level := int32(binary.NativeEndian.Uint32(oob[align : align+4]))
		typ := int32(binary.NativeEndian.Uint32(oob[align+4 : align+8]))
		if l < hdr || l > len(oob) {
			return c
		}
		switch {
		case level == unix.SOL_SOCKET && typ == unix.SO_RXQ_OVFL && l >= hdr+4:
			c.ovfl, c.hasOvfl = binary.NativeEndian.Uint32(oob[hdr:hdr+4]), true
		case level == unix.SOL_SOCKET && typ == unix.SO_TIMESTAMPNS && l >= hdr+2*align:
			// struct timespec: two C longs
			var sec, nsec int64
			if align == 8 {
				sec, nsec = int64(binary.NativeEndian.Uint64(oob[hdr:])), int64(binary.NativeEndian.Uint64(oob[hdr+8:]))
			} else {
				sec, nsec = int64(int32(binary.NativeEndian.Uint32(oob[hdr:]))), int64(int32(binary.NativeEndian.Uint32(oob[hdr+4:])))
			}
			c.ts = time.Unix(sec, nsec)
		}
		next := (l + align - 1) &^ (align - 1)
		if next >= len(oob) {
			break
		}
		oob = oob[next:]
	}
	return c
}
