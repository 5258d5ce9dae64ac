package workload

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// frameReader is what ReadFrames needs of pcapgo's pcap and pcapng readers.
type frameReader interface {
	LinkType() layers.LinkType
	ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error)
}

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
	var r frameReader
	format := "pcap"
	if string(magic) == "\x0a\x0d\x0d\x0a" {
		format = "pcapng"
		r, err = pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
	} else {
		r, err = pcapgo.NewReader(br)
	}
	if err != nil {
		return fmt.Errorf("read %s %s: %w", format, path, err)
	}
	if r.LinkType() != layers.LinkTypeEthernet {
		return fmt.Errorf("%s: link type %s, want Ethernet", path, r.LinkType())
	}
	for {
		b, _, err := r.ZeroCopyReadPacketData()
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
