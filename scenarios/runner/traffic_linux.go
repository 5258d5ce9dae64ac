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

	"github.com/mirrorlab/mirrorlab/scenarios/report"
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
	if svc := r.lab.Service(); svc != nil {
		l.Mirrored = svc.Snapshot().Totals.Mirrored
	}
	for _, p := range r.progs {
		if a, ok := p.run.(*agentRun); ok {
			l.Replayed += a.agent.Stats().Requests.Replayed
		}
	}
	return l
}

func (r *run) addr(to string) netip.Addr {
	a, _ := r.s.Addr(to)
	return a
}

func (r *run) step(ctx context.Context, t spec.Traffic) report.TrafficResult {
	start := time.Now()
	tr := report.TrafficResult{From: t.From, Started: start}
	var in *sim.Instance
	if t.From != "" {
		in = r.lab.Sim().Instance(t.From)
	}
	tr.Kind = t.Kind()
	switch k := t.Step.(type) {
	case *spec.HTTPLoad:
		keep := k.KeepAlive == nil || *k.KeepAlive
		lr := workload.RunHTTPLoad(ctx, instanceNet(in), workload.HTTPLoad{
			URL:  "http://" + net.JoinHostPort(r.addr(k.To).String(), strconv.Itoa(k.PortOrDefault())),
			Rate: k.Rate, Duration: k.Duration.D(), Count: k.Count, Paths: k.Paths, Methods: k.Methods,
			Bodies: k.Bodies, Headers: k.Headers, KeepAlive: keep, Connections: k.Connections, Timeout: k.Timeout.D(),
		})
		tr.Sent, tr.Succeeded, tr.Failed, tr.Errors = lr.Sent, lr.Succeeded, lr.Failed, lr.Errors
	case *spec.TCPSend:
		r.send(ctx, in, &tr, &k.Sender)
	case *spec.UDPSend:
		r.send(ctx, in, &tr, &k.Sender)
	case *spec.ICMPEcho:
		r.send(ctx, in, &tr, &k.Sender)
	case *spec.Replay:
		n, err := r.replay(ctx, k)
		tr.Sent, tr.Succeeded = n, n
		if err != nil {
			tr.Failed, tr.Errors = 1, []string{err.Error()}
		}
	case *spec.Command:
		tr.Sent = 1
		w := newLineWatch(nil, "")
		proc, err := in.Exec(ctx, *k, sim.ExecOptions{Stdout: w, Stderr: w})
		if err == nil {
			err = proc.Wait()
		}
		if err != nil {
			tr.Failed, tr.Errors = 1, []string{fmt.Sprintf("%s: %v; output: %s", joinArgs(*k), err, lastLines(w.lastOutput(), 5))}
		} else {
			tr.Succeeded = 1
		}
	}
	tr.Elapsed = time.Since(start)
	return tr
}

// send runs a tcp, udp or icmp step (tr.Kind) with the built-in sender.
func (r *run) send(ctx context.Context, in *sim.Instance, tr *report.TrafficResult, snd *spec.Sender) {
	sr := workload.RunSend(ctx, instanceNet(in), workload.Send{
		Proto: tr.Kind, To: r.addr(snd.To), Port: snd.Port, SourcePort: snd.SourcePort,
		Count: snd.Count, Size: snd.Size, Payload: snd.Payload, Rate: snd.Rate,
	})
	tr.Sent, tr.Succeeded, tr.Failed, tr.Errors = sr.Sent, sr.Succeeded, sr.Failed, sr.Errors
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
