package runner

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// CapturesOpenMessage is what a run logs at level Info once the
// receivers' arrival captures are open, with the attribute "took" (a
// duration) and "receivers" (how many).
const CapturesOpenMessage = "receivers' captures open"

// arrivalCapture counts the VXLAN datagrams that arrive at a receiving
// interface, inside its instance: what a target really got, independent of
// the mirror service's own counters. It waits in the Go netpoller: an idle
// receiver costs no thread and no wake-up.
type arrivalCapture struct {
	file *os.File
	raw  syscall.RawConn
	a    *report.Arrival
	// done is closed when the reader has returned, with rerr set.
	done chan struct{}
	rerr error
	once sync.Once
}

// stopCaptures stops every capture and returns their arrivals, in order.
// All are told to quit before any is waited for, and they close
// concurrently: closing a packet socket waits for an RCU grace period,
// which concurrent closes share (100 receivers closed in turn took 1 s).
func stopCaptures(cs []*arrivalCapture) []*report.Arrival {
	for _, c := range cs {
		c.quit()
	}
	out := make([]*report.Arrival, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Go(func() { out[i] = c.stop() })
	}
	wg.Wait()
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

// startCaptures opens the receivers' captures, several at once (each
// needs a thread that enters the receiver's namespace), and logs how long
// it took (CapturesOpenMessage).
func (r *run) startCaptures() error {
	start := time.Now()
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
	r.log.Info(CapturesOpenMessage, slog.Duration("took", time.Since(start)), "receivers", len(r.captures))
	return err
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// openArrivalSocket opens a non-blocking packet socket on e, in the
// calling thread's namespace. It is made with no protocol and bound with
// one: binding a socket that already captures (made with a protocol)
// waits for an RCU grace period first, tens of milliseconds on a loaded
// machine.
func openArrivalSocket(e *sim.ENI) (int, error) {
	proto := htons(unix.ETH_P_IP)
	if e.IPv6.IsValid() {
		proto = htons(unix.ETH_P_ALL) // copies may come over IPv6 too
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return -1, err
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: proto, Ifindex: e.Index}); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

func startArrivalCapture(in *sim.Instance, e *sim.ENI, name string) (*arrivalCapture, error) {
	var fd int
	err := in.Run(func() (err error) {
		fd, err = openArrivalSocket(e)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("AF_PACKET socket: %w", err)
	}
	// A non-blocking descriptor makes a pollable File: the reader waits
	// in the netpoller. The File owns the descriptor from here on.
	c := &arrivalCapture{file: os.NewFile(uintptr(fd), "arrivals at "+name), a: report.NewArrival(name, in.Name),
		done: make(chan struct{})}
	if c.raw, err = c.file.SyscallConn(); err != nil {
		c.file.Close()
		return nil, fmt.Errorf("AF_PACKET socket: %w", err)
	}
	go c.read()
	return c, nil
}

// read records every datagram until quit, then those still queued.
func (c *arrivalCapture) read() {
	defer close(c.done)
	buf := make([]byte, 65536)
	var derr error
	err := c.raw.Read(func(fd uintptr) bool {
		derr = c.drain(int(fd), buf)
		return derr != nil // false: wait until more arrive
	})
	if errors.Is(err, os.ErrDeadlineExceeded) { // quit
		err = c.raw.Control(func(fd uintptr) { derr = c.drain(int(fd), buf) })
	}
	c.rerr = errors.Join(derr, err)
}

// drain records the datagrams queued on fd, until none is left (nil) or
// the socket fails.
func (c *arrivalCapture) drain(fd int, buf []byte) error {
	for {
		n, from, err := unix.Recvfrom(fd, buf, unix.MSG_TRUNC|unix.MSG_DONTWAIT)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EAGAIN):
			return nil
		case err != nil:
			return err
		}
		if ll, ok := from.(*unix.SockaddrLinklayer); ok && ll.Pkttype == unix.PACKET_OUTGOING {
			continue
		}
		c.a.Record(buf[:min(n, len(buf))])
	}
}

// quit asks the capture to stop (it takes what is queued, then returns)
// without waiting.
func (c *arrivalCapture) quit() { _ = c.file.SetReadDeadline(time.Now()) }

// stop stops the capture, closes its socket and returns its arrivals.
func (c *arrivalCapture) stop() *report.Arrival {
	c.once.Do(func() {
		c.quit()
		<-c.done
		_ = c.raw.Control(func(fd uintptr) {
			if st, err := unix.GetsockoptTpacketStats(int(fd), unix.SOL_PACKET, unix.PACKET_STATISTICS); err == nil {
				c.a.CaptureDrops = int64(st.Drops)
			}
		})
		c.file.Close()
		if c.rerr != nil {
			c.a.Error = c.rerr.Error()
		}
	})
	return c.a
}
