package gen

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// MaxBatch is the most frames one sendmmsg call carries.
const MaxBatch = 64

// Sender writes prebuilt frames on one interface through an AF_PACKET socket,
// bypassing the qdisc, in batches of up to MaxBatch frames per sendmmsg.
type Sender struct {
	fd     int
	frames [][]byte
	msgs   []unix.Mmsghdr
	iovs   []unix.Iovec
	next   int
}

// OpenSenderIn is OpenSender inside a namespace: run runs a function
// there (sim's Instance.Run, Namespace.Run).
func OpenSenderIn(run func(func() error) error, ifindex int, frames [][]byte) (*Sender, error) {
	var snd *Sender
	err := run(func() error {
		var err error
		snd, err = OpenSender(ifindex, frames)
		return err
	})
	return snd, err
}

// OpenSender opens the socket on the interface with index ifindex. It must be
// called inside the namespace that holds the interface (the socket stays
// there). The frames are sent round robin.
func OpenSender(ifindex int, frames [][]byte) (*Sender, error) {
	if len(frames) == 0 {
		return nil, errors.New("open sender: no frames")
	}
	// Protocol 0: the socket only sends, it never receives.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open AF_PACKET socket: %w", err)
	}
	sa := &unix.SockaddrLinklayer{Ifindex: ifindex}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bind AF_PACKET socket to ifindex %d: %w", ifindex, err)
	}
	// Best effort: without it frames go through the (noqueue) qdisc layer.
	_ = unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_QDISC_BYPASS, 1)
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 4<<20)
	s := &Sender{fd: fd, frames: frames, msgs: make([]unix.Mmsghdr, MaxBatch), iovs: make([]unix.Iovec, MaxBatch)}
	for i := range s.msgs {
		s.msgs[i].Hdr.Iov = &s.iovs[i]
		s.msgs[i].Hdr.SetIovlen(1)
	}
	return s, nil
}

// Close closes the socket.
func (s *Sender) Close() error {
	if err := unix.Close(s.fd); err != nil {
		return fmt.Errorf("close AF_PACKET socket: %w", err)
	}
	return nil
}

// TxStats is what one Send did.
type TxStats struct {
	Sent    uint64
	Elapsed time.Duration
	// Refused counts frames the kernel refused (ENOBUFS and the like); they
	// are not in Sent and are retried.
	Refused uint64
	// CPU is the sending thread's CPU time (user+system, including the
	// softirq work the kernel did on its behalf).
	CPU time.Duration
}

// Send sends for dur at rate packets per second (rate 0: as fast as
// possible). Frames go in batches sized so a batch lasts about 200 µs at the
// rate; the pace is kept against the start time, so a late batch is made up
// by the next ones. It runs on its own locked OS thread to measure its CPU.
func (s *Sender) Send(ctx context.Context, rate float64, dur time.Duration) (TxStats, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var st TxStats
	batch := MaxBatch
	if rate > 0 {
		batch = max(1, min(MaxBatch, int(rate*200e-6)))
	}
	cpu0 := threadCPU()
	start := time.Now()
	deadline := start.Add(dur)
	var err error
	for i := 0; ; i++ {
		if i%64 == 0 && ctx.Err() != nil {
			err = ctx.Err()
			break
		}
		now := time.Now()
		if !now.Before(deadline) {
			break
		}
		if rate > 0 {
			due := start.Add(time.Duration(float64(st.Sent) / rate * float64(time.Second)))
			if wait := due.Sub(now); wait > 0 {
				if wait > 50*time.Microsecond {
					time.Sleep(wait)
				}
				continue
			}
		}
		n, serr := s.sendBatch(batch)
		st.Sent += uint64(n)
		if serr != nil {
			if errors.Is(serr, unix.ENOBUFS) || errors.Is(serr, unix.EAGAIN) || errors.Is(serr, unix.EINTR) {
				st.Refused += uint64(batch - n)
				continue
			}
			err = fmt.Errorf("sendmmsg: %w", serr)
			break
		}
	}
	st.Elapsed = time.Since(start)
	st.CPU = threadCPU() - cpu0
	return st, err
}

func (s *Sender) sendBatch(n int) (int, error) {
	for i := 0; i < n; i++ {
		f := s.frames[s.next]
		s.next++
		if s.next == len(s.frames) {
			s.next = 0
		}
		s.iovs[i].Base = &f[0]
		s.iovs[i].SetLen(len(f))
	}
	r, _, errno := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(s.fd), uintptr(unsafe.Pointer(&s.msgs[0])), uintptr(n), 0, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(r), nil
}

func threadCPU() time.Duration {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_THREAD, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
