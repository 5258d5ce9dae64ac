package runner

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mirrorlab/mirrorlab/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/scenarios/workload"
	"github.com/mirrorlab/mirrorlab/sim"
)

// instanceNet makes every socket of a workload inside the instance's
// namespace (each call runs on a throwaway thread that entered it).
func instanceNet(in *sim.Instance) workload.Net {
	return workload.Net{
		Dial: func(ctx context.Context, network, addr string) (c net.Conn, err error) {
			err = in.Run(func() error {
				var d net.Dialer
				c, err = d.DialContext(ctx, network, addr)
				return err
			})
			return c, err
		},
		Listen: func(network, addr string) (l net.Listener, err error) {
			err = in.Run(func() error { l, err = net.Listen(network, addr); return err })
			return l, err
		},
		ListenPacket: func(network, addr string) (pc net.PacketConn, err error) {
			err = in.Run(func() error { pc, err = net.ListenPacket(network, addr); return err })
			return pc, err
		},
	}
}

// runTraffic runs the traffic steps in file order.
func (r *run) runTraffic(ctx context.Context) {
	for i, t := range r.s.Traffic {
		if ctx.Err() != nil {
			return
		}
		name := t.StepName(i)
		stopLive := r.live(name)
		tr := r.step(ctx, t)
		stopLive()
		tr.Name = name
		r.obs.Traffic[name] = tr
		r.res.Traffic = append(r.res.Traffic, tr)
		r.progress("traffic %s (%s): sent %d, succeeded %d, failed %d in %s", name, tr.Kind, tr.Sent, tr.Succeeded, tr.Failed, tr.Elapsed.Round(time.Millisecond))
	}
}

// liveInterval is how often Options.Live hears of a traffic step's progress.
const liveInterval = 500 * time.Millisecond

// live calls Options.Live about twice a second with the counters so far
// while traffic step name runs, until the returned function is called.
func (r *run) live(name string) (stop func()) {
	if r.opts.Live == nil {
		return func() {}
	}
	start := time.Now()
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(liveInterval)
		defer t.Stop()
		for {
			r.opts.Live(r.liveStats(name, time.Since(start)))
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		r.opts.Live(r.liveStats(name, time.Since(start)))
	}
}

func (r *run) liveStats(step string, elapsed time.Duration) Live {
	l := Live{Step: step, Elapsed: elapsed}
	if r.svc != nil {
		l.Mirrored = r.svc.Snapshot().Totals.Mirrored
	}
	for _, p := range r.progs {
		if p.agent != nil {
			l.Replayed += p.agent.Stats().Requests.Replayed
		}
	}
	return l
}

func (r *run) addr(to string) netip.Addr {
	a, _ := r.s.Addr(to)
	return a
}

func (r *run) step(ctx context.Context, t spec.Traffic) TrafficResult {
	start := time.Now()
	tr := TrafficResult{From: t.From, Started: start}
	var in *sim.Instance
	if t.From != "" {
		in = r.lab.Instance(t.From)
	}
	switch {
	case t.HTTP != nil:
		h := t.HTTP
		port := h.Port
		if port == 0 {
			port = 80
		}
		keep := h.KeepAlive == nil || *h.KeepAlive
		lr := workload.RunHTTPLoad(ctx, instanceNet(in), workload.HTTPLoad{
			URL:  "http://" + net.JoinHostPort(r.addr(h.To).String(), strconv.Itoa(port)),
			Rate: h.Rate, Duration: h.Duration.D(), Count: h.Count, Paths: h.Paths, Methods: h.Methods,
			Bodies: h.Bodies, Headers: h.Headers, KeepAlive: keep, Connections: h.Connections, Timeout: h.Timeout.D(),
		})
		tr.Kind, tr.Sent, tr.Succeeded, tr.Failed, tr.Errors = "http", lr.Sent, lr.Succeeded, lr.Failed, lr.Errors
	case t.TCP != nil, t.UDP != nil, t.ICMP != nil:
		snd, proto := t.TCP, "tcp"
		if t.UDP != nil {
			snd, proto = t.UDP, "udp"
		} else if t.ICMP != nil {
			snd, proto = t.ICMP, "icmp"
		}
		sr := workload.RunSend(ctx, instanceNet(in), workload.Send{
			Proto: proto, To: r.addr(snd.To), Port: snd.Port, SourcePort: snd.SourcePort,
			Count: snd.Count, Size: snd.Size, Payload: snd.Payload, Rate: snd.Rate,
		})
		tr.Kind, tr.Sent, tr.Succeeded, tr.Failed, tr.Errors = proto, sr.Sent, sr.Succeeded, sr.Failed, sr.Errors
	case t.Replay != nil:
		tr.Kind = "replay"
		n, err := r.replay(ctx, t.Replay)
		tr.Sent, tr.Succeeded = n, n
		if err != nil {
			tr.Failed, tr.Errors = 1, []string{err.Error()}
		}
	default:
		tr.Kind = "command"
		tr.Sent = 1
		w := newLineWatch(nil, "")
		proc, err := in.Exec(ctx, t.Command, sim.ExecOptions{Stdout: w, Stderr: w})
		if err == nil {
			err = proc.Wait()
		}
		if err != nil {
			tr.Failed, tr.Errors = 1, []string{fmt.Sprintf("%s: %v; output: %s", joinArgs(t.Command), err, lastLines(w.Tail(), 5))}
		} else {
			tr.Succeeded = 1
		}
	}
	tr.Elapsed = time.Since(start)
	return tr
}

// replay writes a capture's frames onto an ENI: egress frames from the
// instance's end of the veth, ingress frames from the fabric's end, so the
// mirror service sees them as the instance sending or receiving them. The
// Ethernet addresses are rewritten to the ENI's and its router's.
func (r *run) replay(ctx context.Context, rp *spec.Replay) (int64, error) {
	instName, ifname, _ := r.s.ENILocation(rp.NetworkInterface)
	in := r.lab.Instance(instName)
	eni := in.ENI(ifname)
	fab := r.lab.Fabric(eni.VPC)
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
