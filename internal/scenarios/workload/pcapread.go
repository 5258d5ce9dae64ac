package workload

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// ReadFrames calls fn with each Ethernet frame of a pcap or pcapng file, in
// order (fn must not keep the slice).
func ReadFrames(path string, fn func(frame []byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open capture: %w", err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	magic, err := br.Peek(4)
	if err != nil {
		return fmt.Errorf("read capture %s: %w", path, err)
	}
	var next func() ([]byte, error)
	if string(magic) == "\x0a\x0d\x0d\x0a" {
		r, err := pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			return fmt.Errorf("read pcapng %s: %w", path, err)
		}
		if r.LinkType() != layers.LinkTypeEthernet {
			return fmt.Errorf("%s: link type %s, want Ethernet", path, r.LinkType())
		}
		next = func() ([]byte, error) { b, _, err := r.ZeroCopyReadPacketData(); return b, err }
	} else {
		r, err := pcapgo.NewReader(br)
		if err != nil {
			return fmt.Errorf("read pcap %s: %w", path, err)
		}
		if r.LinkType() != layers.LinkTypeEthernet {
			return fmt.Errorf("%s: link type %s, want Ethernet", path, r.LinkType())
		}
		next = func() ([]byte, error) { b, _, err := r.ZeroCopyReadPacketData(); return b, err }
	}
	for {
		b, err := next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		if err := fn(b); err != nil {
			return err
		}
	}
}
