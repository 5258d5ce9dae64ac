package labfollow

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/lab"
)

// Fleet is a running, served lab of N instances (i-0 … i-<N-1>) in one
// subnet and a mirror target instance (i-tgt), with a UDP socket on i-0 to
// send from and one on i-tgt for the VXLAN copies.
type Fleet struct {
	n       int
	base    cloudmock.Spec
	lab     *lab.Lab
	snd, vx *net.UDPConn
	newAddr netip.Addr
	rounds  int
	readBuf []byte
}

// Build builds the fleet of n instances (1 to 4000) with its state in
// stateDir (empty: sim's default).
func Build(ctx context.Context, n int, stateDir string) (_ *Fleet, err error) {
	if n < 1 || n > 4000 {
		return nil, fmt.Errorf("labfollow: %d instances, want 1 to 4000", n)
	}
	f := &Fleet{n: n, base: fleetSpec(n), newAddr: fleetAddr(n + 1), readBuf: make([]byte, 9100)}
	topo, err := lab.TopologyOf(f.base)
	if err != nil {
		return nil, fmt.Errorf("labfollow: topology: %w", err)
	}
	f.lab, err = lab.Build(ctx, lab.Config{Name: fmt.Sprintf("follow-%d", n), Topology: topo, StateDir: stateDir,
		Mirror: &lab.Mirror{Spec: f.base, AllENIs: true}})
	if err != nil {
		return nil, fmt.Errorf("labfollow: build %d instances: %w", n, err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, f.Close())
		}
	}()
	if f.vx, err = f.udpIn("i-tgt", 4789); err != nil {
		return nil, err
	}
	if f.snd, err = f.udpIn("i-0", 9001); err != nil {
		return nil, err
	}
	return f, nil
}

// Round adds one instance with a session on its ENI to the running lab,
// sends it a datagram every millisecond until the target receives a copy
// (add: the time from the change to that copy), then removes it again
// (remove: until the lab and the mirror service are rid of it).
func (f *Fleet) Round(ctx context.Context) (add, remove time.Duration, err error) {
	i := f.rounds
	f.rounds++
	id, vni := fmt.Sprintf("i-new%d", i), 100+i%1000
	spec := withSession(withInstance(f.base, id, "subnet-a", f.newAddr.String()), id, "i-tgt", vni)
	start := time.Now()
	if err := f.lab.Apply(ctx, lab.FollowSpec{Spec: spec}); err != nil {
		return 0, 0, fmt.Errorf("labfollow: add %s: %w", id, err)
	}
	if err := f.firstCopy(netip.AddrPortFrom(f.newAddr, 9000), uint32(vni), 5*time.Second); err != nil {
		return 0, 0, fmt.Errorf("labfollow: add %s: %w", id, err)
	}
	add = time.Since(start)
	start = time.Now()
	if err := f.lab.Apply(ctx, lab.FollowSpec{Spec: f.base}); err != nil {
		return 0, 0, fmt.Errorf("labfollow: remove %s: %w", id, err)
	}
	return add, time.Since(start), nil
}

// Close removes the lab.
func (f *Fleet) Close() error {
	for _, c := range []*net.UDPConn{f.snd, f.vx} {
		if c != nil {
			c.Close()
		}
	}
	if err := f.lab.Close(); err != nil {
		return fmt.Errorf("labfollow: close: %w", err)
	}
	return nil
}

// Median is the median of ds (the upper one of an even count), 0 if none.
func Median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// udpIn is a UDP socket inside instance inst, on its first ENI's address.
func (f *Fleet) udpIn(inst string, port int) (*net.UDPConn, error) {
	in := f.lab.Sim().Instance(inst)
	if in == nil {
		return nil, fmt.Errorf("labfollow: no instance %s", inst)
	}
	var c *net.UDPConn
	err := in.Run(func() (err error) {
		c, err = net.ListenUDP("udp4", &net.UDPAddr{IP: in.ENIs[0].IP.AsSlice(), Port: port})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("labfollow: udp socket in %s: %w", inst, err)
	}
	return c, nil
}

// firstCopy sends a datagram to dst every millisecond until the target
// socket receives a VXLAN copy with VNI vni.
func (f *Fleet) firstCopy(dst netip.AddrPort, vni uint32, limit time.Duration) error {
	end := time.Now().Add(limit)
	for time.Now().Before(end) {
		if _, err := f.snd.WriteToUDPAddrPort([]byte("first"), dst); err != nil {
			return fmt.Errorf("send to %v: %w", dst, err)
		}
		f.vx.SetReadDeadline(time.Now().Add(time.Millisecond))
		n, err := f.vx.Read(f.readBuf)
		if err == nil && n >= 8 && binary.BigEndian.Uint32(f.readBuf[4:8])>>8 == vni {
			return nil
		}
	}
	return fmt.Errorf("no copy with VNI %d within %v", vni, limit)
}
