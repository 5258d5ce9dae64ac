package dataplane

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// pcapWriter writes what the service sends to one target, as whole outer
// Ethernet frames, to <dir>/<target id>.pcapng. Senders of several source
// ENIs share it, hence the mutex.
type pcapWriter struct {
	mu   sync.Mutex
	path string
	f    *os.File
	w    *pcapgo.NgWriter
	err  error // first write error; later writes are skipped
}

// newPcapWriter creates the file for target id in dir.
func newPcapWriter(dir, id string) (*pcapWriter, error) {
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
	opts.SectionInfo.Application = "mirrorlab cloudmock/dataplane"
	w, err := pcapgo.NewNgWriterInterface(f, intf, opts)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("start pcapng for target %s: %w", id, err)
	}
	return &pcapWriter{path: path, f: f, w: w}, nil
}

// pcapFileName maps a target id to a file name (ids are safe already; this
// only guards against path separators).
func pcapFileName(id string) string {
	return strings.NewReplacer("/", "_", string(os.PathSeparator), "_").Replace(id) + ".pcapng"
}

// write appends one frame captured at stamp (unix nanoseconds).
func (p *pcapWriter) write(frame []byte, stamp int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return
	}
	ci := gopacket.CaptureInfo{
		Timestamp:     time.Unix(0, stamp),
		CaptureLength: len(frame),
		Length:        len(frame),
	}
	if err := p.w.WritePacket(ci, frame); err != nil {
		p.err = fmt.Errorf("write %s: %w", p.path, err)
	}
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
