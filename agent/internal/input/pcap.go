package input

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// PcapConfig configures the file input.
type PcapConfig struct {
	Path string
	// Pace replays at the recorded pace times Pace (1: as recorded, 2:
	// twice as fast); 0 reads as fast as possible.
	Pace float64
}

type packetReader interface {
	ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	LinkType() layers.LinkType
}

// ReadPcap reads every frame of a pcap or pcapng file into h. It returns
// nil at the end of the file.
func ReadPcap(ctx context.Context, cfg PcapConfig, h FrameHandler) error {
	f, err := os.Open(cfg.Path)
	if err != nil {
		return fmt.Errorf("pcap input: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	magic, err := br.Peek(4)
	if err != nil {
		return fmt.Errorf("pcap input %s: reading the file header: %w", cfg.Path, err)
	}
	var r packetReader
	if binary.LittleEndian.Uint32(magic) == 0x0a0d0d0a {
		r, err = pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
	} else {
		r, err = pcapgo.NewReader(br)
	}
	if err != nil {
		return fmt.Errorf("pcap input %s: %w", cfg.Path, err)
	}
	var strip int
	ethernet := true
	switch lt := r.LinkType(); lt {
	case layers.LinkTypeEthernet:
	case layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6, 12: // 12: LINKTYPE_RAW on OpenBSD
		ethernet = false
	case layers.LinkTypeLinuxSLL:
		ethernet, strip = false, 16
	default:
		return fmt.Errorf("pcap input %s: link type %v not supported (want Ethernet, raw IP or Linux cooked)", cfg.Path, lt)
	}
	var first, start time.Time
	for n := 0; ; n++ {
		data, ci, err := r.ZeroCopyReadPacketData()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("pcap input %s: packet %d: %w", cfg.Path, n+1, err)
		}
		if n&1023 == 0 && ctx.Err() != nil {
			return nil
		}
		if cfg.Pace > 0 {
			if first.IsZero() {
				first, start = ci.Timestamp, time.Now()
			}
			due := start.Add(time.Duration(float64(ci.Timestamp.Sub(first)) / cfg.Pace))
			if d := time.Until(due); d > 0 {
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(d):
				}
			}
		}
		if strip > 0 {
			if len(data) < strip {
				h.Frame(nil, false, ci.Timestamp)
				continue
			}
			data = data[strip:]
		}
		h.Frame(data, ethernet, ci.Timestamp)
	}
}
