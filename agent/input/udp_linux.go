package input

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"syscall"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
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
	// Drops receives the kernel's per-socket drop counts (SO_RXQ_OVFL).
	Drops Drops
}

// UDP is a set of listening sockets.
type UDP struct {
	cfg   UDPConfig
	conns []net.PacketConn
	v6    bool
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
	u := &UDP{cfg: cfg, v6: network != "udp4"}
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

type batchReader interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
}

// Run reads until ctx is done or the sockets are closed; newHandler is
// called once per socket (one handler per reader goroutine).
func (u *UDP) Run(ctx context.Context, newHandler func() DatagramHandler) error {
	stop := context.AfterFunc(ctx, func() { _ = u.Close() })
	defer stop()
	var wg sync.WaitGroup
	errs := make([]error, len(u.conns))
	for i, c := range u.conns {
		var br batchReader
		if u.v6 {
			br = ipv6.NewPacketConn(c)
		} else {
			br = ipv4.NewPacketConn(c)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = u.read(ctx, br, newHandler())
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (u *UDP) read(ctx context.Context, br batchReader, h DatagramHandler) error {
	ms := make([]ipv4.Message, u.cfg.Batch)
	for i := range ms {
		ms[i].Buffers = [][]byte{make([]byte, maxDatagram)}
		ms[i].OOB = make([]byte, 64)
	}
	var lastDrops uint32
	for {
		n, err := br.ReadBatch(ms, 0)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("read udp: %w", err)
		}
		ts := time.Now()
		for i := 0; i < n; i++ {
			m := &ms[i]
			if d, ok := rxqOverflow(m.OOB[:m.NN]); ok && d != lastDrops {
				if u.cfg.Drops != nil {
					u.cfg.Drops.Add(uint64(d - lastDrops))
				}
				lastDrops = d
			}
			if m.Flags&unix.MSG_TRUNC != 0 {
				// Larger than our buffer: cannot be a whole datagram.
				h.Datagram(nil, ts)
				continue
			}
			h.Datagram(m.Buffers[0][:m.N], ts)
		}
	}
}

// rxqOverflow extracts the SO_RXQ_OVFL counter from control messages
// (struct cmsghdr: length as a C long, level, type; data aligned to a long).
func rxqOverflow(oob []byte) (uint32, bool) {
	const hdr = unix.SizeofCmsghdr
	const align = hdr - 8 // sizeof(long)
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
			return 0, false
		}
		if level == unix.SOL_SOCKET && typ == unix.SO_RXQ_OVFL && l >= hdr+4 {
			return binary.NativeEndian.Uint32(oob[hdr : hdr+4]), true
		}
		next := (l + align - 1) &^ (align - 1)
		if next >= len(oob) {
			break
		}
		oob = oob[next:]
	}
	return 0, false
}
