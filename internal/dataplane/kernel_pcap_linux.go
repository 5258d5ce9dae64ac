package dataplane

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mirrorlab/mirrorlab/internal/dataplane/internal/kpath"
)

// Per-target pcapng files with the in-kernel path on (Config.PcapDir).
//
// The kernel wraps its copies at the receiver's port (kpath's encap) and
// they never reach user space; with PcapDir set, each path's programs
// also write every copy they wrap, whole, to a perf buffer, with the slot
// that counts it (kpath.Config.StreamCopies). One goroutine per path
// reads it and hands each copy to its target's pcapWriter, the one the
// user-space senders write to: the file holds the same frames whichever
// path sent them. A copy whose record the buffer lost (the reader fell
// behind) is counted in KernelStats.PcapLost; the copy itself went out.

// copyStreamPerCPU is the perf buffer of one CPU: room for about a
// hundred jumbo copies, or a thousand of 1500 bytes.
const copyStreamPerCPU = 1 << 20

// streamCopies opens kf's copy stream and starts its reader (Config.PcapDir).
func (k *kernelPath) streamCopies(kf *kernelFabric) error {
	c, err := kf.path.StreamCopies(copyStreamPerCPU)
	if err != nil {
		return fmt.Errorf("%s: %w", kf.name, err)
	}
	kf.copies, kf.copiesDone = c, make(chan struct{})
	offset := clockOffset()
	go func() {
		defer close(kf.copiesDone)
		k.readCopies(kf, offset)
	}()
	return nil
}

// readCopies writes each copy of kf's stream to its target's pcapng,
// until the stream ends.
func (k *kernelPath) readCopies(kf *kernelFabric, offset int64) {
	var errLog errLimiter
	for {
		c, err := kf.copies.Next()
		if errors.Is(err, kpath.ErrStreamEnded) {
			return
		}
		if err != nil {
			errLog.log(k.svc.cfg.Logger, "in-kernel path: copy stream", err)
			time.Sleep(readErrorBackoff)
			continue
		}
		if c.Lost > 0 {
			k.pcapLost.Add(c.Lost)
			continue
		}
		if c.Partial {
			// what the port does as the copy leaves it
			completeChecksum(c.Frame, c.CsumStart, c.CsumAt-c.CsumStart)
		}
		if w := k.pcapOf(c.Slot); w != nil {
			w.write(c.Frame, int64(c.Mono)+offset)
		} else {
			k.pcapLost.Add(1) // its slot was freed meanwhile
		}
	}
}

// pcapOf returns the pcapng writer of the target that slot counts copies
// to (nil: none).
func (k *kernelPath) pcapOf(slot uint32) *pcapWriter {
	k.mu.Lock()
	defer k.mu.Unlock()
	if ks := k.slots[slot]; ks != nil && ks.target != nil {
		return ks.target.pcap
	}
	return nil
}

// endCopies drains kf's stream into the files and closes it (the
// programs are detached: nothing follows).
func (kf *kernelFabric) endCopies() error {
	if kf.copies == nil {
		return nil
	}
	err := kf.copies.Drain()
	if err != nil {
		err = errors.Join(err, kf.copies.Close())
		<-kf.copiesDone
		return err
	}
	<-kf.copiesDone
	return kf.copies.Close()
}

// clockOffset is CLOCK_REALTIME minus CLOCK_MONOTONIC (the clock of
// bpf_ktime_get_ns), in nanoseconds.
func clockOffset() int64 {
	var mono, real unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &mono)
	_ = unix.ClockGettime(unix.CLOCK_REALTIME, &real)
	return real.Nano() - mono.Nano()
}
