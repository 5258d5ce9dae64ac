package dataplane

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// pcapWriter writes what the service sends to one target, as whole outer
// Ethernet frames, to <dir>/<target id>.pcapng: for copies written directly
// onto the receiver's bridge port, the bytes its interface receives. Senders of several source
// ENIs share it, hence the mutex.
//
// After the first write error (disk full, file gone) later frames are not
// written: the error is logged once, when it happens, and every frame not
// written from then on is counted as lost (Snapshot's Pcaps, the
// mirrorlab_dataplane_pcap_lost_packets_total metric); Close returns it too.
type pcapWriter struct {
	mu      sync.Mutex
	id      string // TrafficMirrorTargetId
	path    string
	f       *os.File
	w       *pcapgo.NgWriter
	logger  *slog.Logger
	err     error // first write error; later writes are skipped
	errText atomic.Pointer[string]
	join    []byte // a frame sent in two parts, joined (writeParts)

	written atomic.Uint64 // frames handed to the file
	lost    atomic.Uint64 // frames not written because of err
}

// PcapStats are what one target's pcapng file received.
type PcapStats struct {
	TargetId string `json:"TargetId"`
	Path     string `json:"Path"`
	// Written frames went to the file; Lost ones were not written because
	// of a write error (Error, the first one), and are missing from it.
	Written uint64 `json:"Written"`
	Lost    uint64 `json:"Lost"`
	Error   string `json:"Error,omitempty"`
}

// newPcapWriter creates the file for target id in dir; logger receives the
// first write error (nil: discarded).
func newPcapWriter(dir, id string, logger *slog.Logger) (*pcapWriter, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	path := filepath.Join(dir, pcapFileName(id))
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create pcapng for target %s: %w", id, err)
	}
	intf := pcapgo.DefaultNgInterface
	intf.Name = "mirror-" + id
	intf.Description = "VXLAN datagrams the mock mirror service sent to " + id
	intf.LinkType = layers.LinkTypeEthernet
	opts := pcapgo.DefaultNgWriterOptions
	opts.SectionInfo.Application = "mirrorlab dataplane"
	// Say it in the file itself (tshark -r F, capinfos): this is not a
	// capture at the target's interface, so no one takes it for wire truth.
	opts.SectionInfo.Comment = PcapSentLabel + id
	intf.Comment = PcapSentLabel + id
	w, err := pcapgo.NewNgWriterInterface(f, intf, opts)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("start pcapng for target %s: %w", id, err)
	}
	return &pcapWriter{id: id, path: path, f: f, w: w, logger: logger}, nil
}

// PcapSentLabel starts the comment of every pcapng file the service
// writes: the file records what the mock service sent, before the VPC
// router, the target's NACL and security group and its interface; the
// scenario runner's arrival captures record what the target received.
const PcapSentLabel = "sent by the mirrorlab mock mirror service (not captured at the target; NACL/SG drops after sending are not reflected) to "

// pcapFileName maps a target id to a file name (ids are safe already; this
// only guards against path separators).
func pcapFileName(id string) string {
	return strings.NewReplacer("/", "_", string(os.PathSeparator), "_").Replace(id) + ".pcapng"
}

// writeParts appends the frame made of head and tail (tail may be empty),
// captured at stamp (unix nanoseconds).
func (p *pcapWriter) writeParts(head, tail []byte, stamp int64) {
	if len(tail) == 0 {
		p.write(head, stamp)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.join = append(append(p.join[:0], head...), tail...)
	p.writeLocked(p.join, stamp)
}

// write appends one frame captured at stamp (unix nanoseconds).
func (p *pcapWriter) write(frame []byte, stamp int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.writeLocked(frame, stamp)
}

// writeLocked is write with p.mu held.
func (p *pcapWriter) writeLocked(frame []byte, stamp int64) {
	if p.err != nil {
		p.lost.Add(1)
		return
	}
	ci := gopacket.CaptureInfo{
		Timestamp:     time.Unix(0, stamp),
		CaptureLength: len(frame),
		Length:        len(frame),
	}
	if err := p.w.WritePacket(ci, frame); err != nil {
		// The writer buffers: the frame that met the error, and whatever
		// was buffered with it, may be missing. Count this frame as lost;
		// the file's own length tells the rest.
		p.fail(fmt.Errorf("write %s: %w", p.path, err))
		p.lost.Add(1)
		return
	}
	p.written.Add(1)
}

// fail records the first error and logs it, once. p.mu is held.
func (p *pcapWriter) fail(err error) {
	p.err = err
	msg := err.Error()
	p.errText.Store(&msg)
	p.logger.Error("pcapng writer failed; later frames to this target are not written and are counted as lost",
		"target", p.id, "path", p.path, "error", err)
}

// stats copies the counters (atomics only: no lock on the packet path's
// mutex).
func (p *pcapWriter) stats() PcapStats {
	ps := PcapStats{TargetId: p.id, Path: p.path, Written: p.written.Load(), Lost: p.lost.Load()}
	if e := p.errText.Load(); e != nil {
		ps.Error = *e
	}
	return ps
}

// close flushes and closes the file, returning the first error met.
func (p *pcapWriter) close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	errs := []error{p.err}
	if err := p.w.Flush(); err != nil {
		errs = append(errs, fmt.Errorf("flush %s: %w", p.path, err))
	}
	if err := p.f.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close %s: %w", p.path, err))
	}
	return errors.Join(errs...)
}
