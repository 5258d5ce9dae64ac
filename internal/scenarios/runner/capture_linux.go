package runner

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// arrivalCapture counts the VXLAN datagrams that arrive at a receiving
// interface, inside its instance: what a target really got, independent of
// the mirror service's own counters.
type arrivalCapture struct {
	fd int
	// quit asks the capture to stop without waiting; stop stops it (after
	// at most the socket's 100 ms receive timeout) and returns the count.
	quit func()
	stop func() *report.Arrival
}

// stopCaptures stops every capture and returns their arrivals, in order.
// All are told to quit before any is waited for, so that stopping n
// captures takes one receive timeout, not n (2 s for 20 targets).
func stopCaptures(cs []*arrivalCapture) []*report.Arrival {
	for _, c := range cs {
		c.quit()
	}
	out := make([]*report.Arrival, len(cs))
	for i, c := range cs {
		out[i] = c.stop()
	}
	return out
}

// receivers returns the receiving interfaces of the scenario's targets:
// each ENI target's interface and each load balancer's registered targets.
func (r *run) receivers() []string {
	seen := map[string]bool{}
	var out []string
	add := func(eni string) {
		if eni != "" && !seen[eni] {
			seen[eni] = true
			out = append(out, eni)
		}
	}
	for _, t := range r.mspec.TrafficMirrorTargets {
		add(t.NetworkInterfaceId)
		for _, lb := range r.mspec.LoadBalancers {
			if lb.LoadBalancerArn == t.NetworkLoadBalancerArn || lb.VpcEndpointId == t.GatewayLoadBalancerEndpointId {
				for _, td := range lb.Targets {
					add(td.NetworkInterfaceId)
				}
			}
		}
	}
	return out
}

// startCaptures opens the receivers' captures, several at once: binding a
// packet socket waits for an RCU grace period, tens of milliseconds on a
// loaded machine, and concurrent waiters share one.
func (r *run) startCaptures() error {
	names := r.receivers()
	cs := make([]*arrivalCapture, len(names))
	var g errgroup.Group
	g.SetLimit(32)
	for i, eniName := range names {
		instName, ifname, ok := r.s.ENILocation(eniName)
		if !ok {
			continue
		}
		in := r.lab.Sim().Instance(instName)
		g.Go(func() (err error) {
			if cs[i], err = startArrivalCapture(in, in.ENI(ifname), eniName); err != nil {
				return fmt.Errorf("capture at %s: %w", eniName, err)
			}
			return nil
		})
	}
	err := g.Wait()
	for _, c := range cs {
		if c != nil {
			r.captures = append(r.captures, c)
		}
	}
	return err
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func startArrivalCapture(in *sim.Instance, e *sim.ENI, name string) (*arrivalCapture, error) {
	var fd int
	proto := htons(unix.ETH_P_IP)
	if e.IPv6.IsValid() {
		proto = htons(unix.ETH_P_ALL) // copies may come over IPv6 too
	}
	err := in.Run(func() (err error) {
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(proto))
		if err != nil {
			return err
		}
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: proto, Ifindex: e.Index}); err != nil {
			unix.Close(fd)
			return err
		}
		tv := unix.NsecToTimeval(int64(100 * time.Millisecond))
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
		return unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	})
	if err != nil {
		return nil, fmt.Errorf("AF_PACKET socket: %w", err)
	}
	a := report.NewArrival(name, in.Name)
	var (
		quit atomic.Bool
		wg   sync.WaitGroup
		rerr error
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 65536)
		for !quit.Load() {
			n, from, err := unix.Recvfrom(fd, buf, unix.MSG_TRUNC)
			if err != nil {
				if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
					continue
				}
				rerr = err
				return
			}
			if ll, ok := from.(*unix.SockaddrLinklayer); ok && ll.Pkttype == unix.PACKET_OUTGOING {
				continue
			}
			if n > len(buf) {
				n = len(buf)
			}
			a.Record(buf[:n])
		}
	}()
	c := &arrivalCapture{fd: fd, quit: func() { quit.Store(true) }}
	var once sync.Once
	c.stop = func() *report.Arrival {
		once.Do(func() {
			quit.Store(true)
			wg.Wait()
			if st, err := unix.GetsockoptTpacketStats(fd, unix.SOL_PACKET, unix.PACKET_STATISTICS); err == nil {
				a.CaptureDrops = int64(st.Drops)
			}
			unix.Close(fd)
			if rerr != nil {
				a.Error = rerr.Error()
			}
		})
		return a
	}
	return c, nil
}
