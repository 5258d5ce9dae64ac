package runner

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/workload"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// sendReplay writes a replay step's capture onto its interface.
func sendReplay(ctx context.Context, r *run, _ *sim.Instance, k *spec.Replay, tr *report.TrafficResult) {
	n, err := r.replay(ctx, k)
	tr.Sent, tr.Succeeded = n, n
	if err != nil {
		tr.Failed, tr.Errors = 1, []string{err.Error()}
	}
}

// replay writes a capture's frames onto an ENI: egress frames from the
// instance's end of the veth, ingress frames from the fabric's end, so the
// mirror service sees them as the instance sending or receiving them. The
// Ethernet addresses are rewritten to the ENI's and its router's.
func (r *run) replay(ctx context.Context, rp *spec.Replay) (int64, error) {
	instName, ifname, _ := r.s.ENILocation(rp.NetworkInterface)
	in := r.lab.Sim().Instance(instName)
	eni := in.ENI(ifname)
	fab := r.lab.Sim().Fabric(eni.VPC)
	br := fab.Bridge(eni.Subnet)
	run, ifindex := in.Run, eni.Index
	var src, dst [6]byte
	copy(src[:], eni.MAC)
	copy(dst[:], br.MAC)
	if rp.Direction == "ingress" {
		run, ifindex = fab.Run, eni.PeerIndex
		src, dst = dst, src
	}
	path := rp.File
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(r.s.File), path)
	}
	var fd int
	if err := run(func() (err error) {
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		return err
	}); err != nil {
		return 0, fmt.Errorf("replay socket: %w", err)
	}
	defer unix.Close(fd)
	sa := &unix.SockaddrLinklayer{Ifindex: ifindex}
	var tick <-chan time.Time
	if rp.Rate > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / rp.Rate))
		defer t.Stop()
		tick = t.C
	}
	var n int64
	buf := make([]byte, 0, 65536)
	err := workload.ReadFrames(path, func(frame []byte) error {
		if tick != nil {
			select {
			case <-ctx.Done():
				return context.Cause(ctx)
			case <-tick:
			}
		}
		if len(frame) < 14 {
			return nil
		}
		buf = append(buf[:0], frame...)
		copy(buf[0:6], dst[:])
		copy(buf[6:12], src[:])
		if err := unix.Sendto(fd, buf, 0, sa); err != nil {
			return fmt.Errorf("replay frame %d: %w", n+1, err)
		}
		n++
		return nil
	})
	return n, err
}
