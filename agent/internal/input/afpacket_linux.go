package input

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gopacket/gopacket/afpacket"
)

// AFPacketConfig configures the capture input.
type AFPacketConfig struct {
	// Interface to capture on: the ENI (raw VXLAN) or a kernel vxlan device
	// (already decapsulated frames).
	Interface string
	// RingBytes is the ring size (default 64 MiB), in 1 MiB blocks.
	RingBytes int
	// VXLANPort, when set, makes the kernel filter keep only UDP to this
	// port (raw VXLAN capture). Frames the host sends are always dropped.
	VXLANPort   uint16
	InNamespace InNamespace
	// Drops receives the ring's drop count.
	Drops Drops
}

// AFPacket captures frames with a TPACKET_V3 ring (pure Go, no cgo).
type AFPacket struct {
	cfg AFPacketConfig
	tp  *afpacket.TPacket
}

const afBlock = 1 << 20

// OpenAFPacket opens the capture socket.
func OpenAFPacket(cfg AFPacketConfig) (*AFPacket, error) {
	if cfg.Interface == "" {
		return nil, errors.New("afpacket: an interface is required (-interface)")
	}
	if cfg.RingBytes <= 0 {
		cfg.RingBytes = 64 << 20
	}
	a := &AFPacket{cfg: cfg}
	err := cfg.InNamespace.run(func() error {
		tp, err := afpacket.NewTPacket(
			afpacket.OptInterface(cfg.Interface),
			afpacket.TPacketVersion3,
			afpacket.OptFrameSize(65536),
			afpacket.OptBlockSize(afBlock),
			afpacket.OptNumBlocks(max(1, cfg.RingBytes/afBlock)),
			afpacket.OptBlockTimeout(10*time.Millisecond),
			afpacket.OptPollTimeout(200*time.Millisecond),
			afpacket.OptAddVLANHeader(true),
		)
		if err != nil {
			return err
		}
		a.tp = tp
		filter, err := captureFilter(cfg.VXLANPort)
		if err != nil {
			tp.Close()
			return fmt.Errorf("assemble filter: %w", err)
		}
		if err := tp.SetBPF(filter); err != nil {
			tp.Close()
			return fmt.Errorf("attach filter: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("afpacket on %q: %w", cfg.Interface, err)
	}
	return a, nil
}

// Close releases the ring.
func (a *AFPacket) Close() error {
	a.tp.Close()
	return nil
}

// Run reads frames until ctx is done. The frames are Ethernet. The ring's
// drop count is read once a second and once more on the way out.
func (a *AFPacket) Run(ctx context.Context, h FrameHandler) error {
	var lastDrops uint
	drops := func() {
		if _, s3, err := a.tp.SocketStats(); err == nil && a.cfg.Drops != nil {
			if d := s3.Drops(); d > lastDrops {
				a.cfg.Drops.Add(uint64(d - lastDrops))
				lastDrops = d
			}
		}
	}
	defer drops()
	statsAt := time.Now()
	for ctx.Err() == nil {
		data, ci, err := a.tp.ZeroCopyReadPacketData()
		switch {
		case err == nil:
			h.Frame(data, true, ci.Timestamp)
		case errors.Is(err, afpacket.ErrTimeout):
		default:
			return fmt.Errorf("afpacket read on %q: %w", a.cfg.Interface, err)
		}
		if now := time.Now(); now.Sub(statsAt) > time.Second {
			statsAt = now
			drops()
		}
	}
	return nil
}
