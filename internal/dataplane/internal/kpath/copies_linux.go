package kpath

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"

	"github.com/cilium/ebpf/perf"
)

// CopyStream reads the copies the kernel wraps, whole, from the copies
// perf buffer (Config.StreamCopies): what the per-target pcapng files
// record for the copies the kernel sends. One reader per Path; Next is
// called from one goroutine.
type CopyStream struct {
	rd  *perf.Reader
	rec perf.Record
}

// Copy is one record of the stream: a copy (Frame, valid until the next
// call of Next, counted in Slot, wrapped at Mono, bpf_ktime_get_ns) or,
// with Lost > 0, the number of copies whose records a full buffer lost.
// Partial: the frame's inner checksum is still partial (the receiver's
// port completes it as the copy leaves): the sum from CsumStart to the
// end of the IP datagram goes into the field at CsumAt.
type Copy struct {
	Slot              uint32
	Mono              uint64
	Frame             []byte
	Partial           bool
	CsumStart, CsumAt int
	Lost              uint64
}

// copyEventLen is sizeof(struct copy_event): slot, len (u32 each), ns
// (u64), partial (u32), csum_start, csum_at (u16 each), little-endian.
const copyEventLen = 24

// ErrStreamEnded is returned by Next once Drain's records are read, or
// after Close.
var ErrStreamEnded = errors.New("copy stream ended")

// StreamCopies opens the copies perf buffer with perCPU bytes per CPU
// (rounded up to pages by the kernel). The kernel writes to it only
// while Config.StreamCopies is set.
func (p *Path) StreamCopies(perCPU int) (*CopyStream, error) {
	rd, err := perf.NewReader(p.objs.Copies, perCPU)
	if err != nil {
		return nil, fmt.Errorf("open the kernel mirror path's copy stream: %w", err)
	}
	return &CopyStream{rd: rd}, nil
}

// Next blocks until the next record.
func (c *CopyStream) Next() (Copy, error) {
	for {
		err := c.rd.ReadInto(&c.rec)
		switch {
		case errors.Is(err, perf.ErrFlushed), errors.Is(err, os.ErrClosed):
			return Copy{}, ErrStreamEnded
		case err != nil:
			return Copy{}, fmt.Errorf("read the kernel mirror path's copy stream: %w", err)
		case c.rec.LostSamples > 0:
			return Copy{Lost: c.rec.LostSamples}, nil
		}
		raw := c.rec.RawSample
		if len(raw) < copyEventLen {
			continue // not ours: the programs write nothing shorter
		}
		n := int(binary.LittleEndian.Uint32(raw[4:]))
		if n > len(raw)-copyEventLen {
			continue
		}
		return Copy{Slot: binary.LittleEndian.Uint32(raw), Mono: binary.LittleEndian.Uint64(raw[8:]),
			Partial: binary.LittleEndian.Uint32(raw[16:]) != 0, CsumStart: int(binary.LittleEndian.Uint16(raw[20:])),
			CsumAt: int(binary.LittleEndian.Uint16(raw[22:])), Frame: raw[copyEventLen : copyEventLen+n]}, nil
	}
}

// Drain makes Next return what the buffers hold now, then
// ErrStreamEnded (detach the programs first, so nothing follows).
func (c *CopyStream) Drain() error {
	if err := c.rd.Flush(); err != nil {
		return fmt.Errorf("drain the kernel mirror path's copy stream: %w", err)
	}
	return nil
}

// Close releases the buffers; a blocked Next returns ErrStreamEnded.
func (c *CopyStream) Close() error {
	if err := c.rd.Close(); err != nil {
		return fmt.Errorf("close the kernel mirror path's copy stream: %w", err)
	}
	return nil
}
