package suite

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/mirrorlab/mirrorlab/agent"
	"github.com/mirrorlab/mirrorlab/internal/bench/gen"
	"github.com/mirrorlab/mirrorlab/internal/bench/vpc"
)

func decodeFileSpec() spec {
	return spec{name: "agent/ours/decode-rate-file", group: "ours", unit: "pps", higherIsBetter: true}
}

func decodeCPUSpec() spec {
	return spec{name: "agent/ours/decode-per-cpu-second", group: "ours", unit: "packets/cpu-s", higherIsBetter: true}
}

// decodeFile measures the agent's decode path without a network: it writes
// a pcap of VXLAN datagrams (inner TCP to a port it does not watch) and runs
// the agent on it as fast as it reads, timing the wall clock and this
// process's CPU. Packets per CPU-second is the per-core decode rate.
func (b *bench) decodeFile(ctx context.Context, run int) error {
	dir, err := os.MkdirTemp("", "mirrorlab-bench-")
	if err != nil {
		return fmt.Errorf("decode file: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "decode.pcap")
	n := b.cfg.DecodePackets
	if err := writeDecodePcap(path, n); err != nil {
		return err
	}
	a, err := agent.New(agent.Config{Input: "pcap", PcapFile: path, Ports: []uint16{HTTPPort}, VNIs: []uint32{vpc.MirrorVNI},
		Destination: "http://127.0.0.1:9", SummaryInterval: -1})
	if err != nil {
		return err
	}
	cpu0, t0 := gen.ProcessCPU(), time.Now()
	if err := a.Run(ctx); err != nil {
		return fmt.Errorf("agent on a pcap file: %w", err)
	}
	wall, cpu := time.Since(t0), gen.ProcessCPU()-cpu0
	decoded := a.Stats().OtherPort
	if decoded < uint64(n) {
		return fmt.Errorf("agent decoded %d of the file's %d packets", decoded, n)
	}
	b.col.add(decodeFileSpec(), float64(decoded)/wall.Seconds())
	b.col.add(decodeCPUSpec(), float64(decoded)/cpu.Seconds())
	b.cfg.logf("  run %d agent decode from a file: %d packets in %v (%.0f pps), %.0f packets per CPU-second", run, decoded,
		wall.Round(time.Millisecond), float64(decoded)/wall.Seconds(), float64(decoded)/cpu.Seconds())
	return nil
}

func writeDecodePcap(path string, n int) (err error) {
	payload, err := vxlanPayload(vpc.MirrorVNI)
	if err != nil {
		return err
	}
	frames, err := gen.Frames(gen.Flow{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 3}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 4},
		Src: netip.MustParseAddr("10.0.0.5"), Dst: netip.MustParseAddr("10.0.0.20"), SrcPort: 40000, DstPort: vpc.VXLANPort,
		Payload: payload}, 16)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("decode file: %w", err)
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	bw := bufio.NewWriterSize(f, 1<<20)
	w := pcapgo.NewWriter(bw)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		return fmt.Errorf("decode file: %w", err)
	}
	ts := time.Unix(1_700_000_000, 0)
	for i := 0; i < n; i++ {
		fr := frames[i%len(frames)]
		ci := gopacket.CaptureInfo{Timestamp: ts.Add(time.Duration(i) * time.Microsecond), CaptureLength: len(fr), Length: len(fr)}
		if err := w.WritePacket(ci, fr); err != nil {
			return fmt.Errorf("decode file: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("decode file: %w", err)
	}
	return nil
}
