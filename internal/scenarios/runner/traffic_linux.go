package runner

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/workload"
	"github.com/mirrorlab/mirrorlab/internal/sim"
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
	tr := report.TrafficResult{From: t.From, Started: start, Kind: t.Kind()}
	var in *sim.Instance
	if t.From != "" {
		in = r.lab.Sim().Instance(t.From)
	}
	if send := trafficRunners[tr.Kind]; send != nil && t.Step != nil {
		send(ctx, r, in, t.Step, &tr)
	} else {
		tr.Failed, tr.Errors = 1, []string{fmt.Sprintf("no runner for traffic of kind %q", tr.Kind)}
	}
	tr.Elapsed = time.Since(start)
	return tr
}

// stepFunc sends one traffic step from instance in (nil for replay) and
// counts what came of it in tr.
type stepFunc func(ctx context.Context, r *run, in *sim.Instance, step spec.TrafficKind, tr *report.TrafficResult)

// trafficRunners sends each kind of traffic step, by the key that spec
// registers it under (TestTrafficRunnersCoverTheKinds).
var trafficRunners = map[string]stepFunc{
	"http": sendAs(sendHTTP),
	"tcp": sendAs(func(ctx context.Context, r *run, in *sim.Instance, k *spec.TCPSend, tr *report.TrafficResult) {
		r.send(ctx, in, tr, &k.Sender)
	}),
	"udp": sendAs(func(ctx context.Context, r *run, in *sim.Instance, k *spec.UDPSend, tr *report.TrafficResult) {
		r.send(ctx, in, tr, &k.Sender)
	}),
	"icmp": sendAs(func(ctx context.Context, r *run, in *sim.Instance, k *spec.ICMPEcho, tr *report.TrafficResult) {
		r.send(ctx, in, tr, &k.Sender)
	}),
	"replay":  sendAs(sendReplay),
	"command": sendAs(sendCommand),
}

// sendAs is f as a stepFunc, for steps of f's kind K.
func sendAs[K spec.TrafficKind](f func(context.Context, *run, *sim.Instance, K, *report.TrafficResult)) stepFunc {
	return func(ctx context.Context, r *run, in *sim.Instance, step spec.TrafficKind, tr *report.TrafficResult) {
		f(ctx, r, in, step.(K), tr)
	}
}

// sendHTTP runs an http step with the built-in load generator.
func sendHTTP(ctx context.Context, r *run, in *sim.Instance, k *spec.HTTPLoad, tr *report.TrafficResult) {
	keep := k.KeepAlive == nil || *k.KeepAlive
	lr := workload.RunHTTPLoad(ctx, instanceNet(in), workload.HTTPLoad{
		URL:  "http://" + net.JoinHostPort(r.addr(k.To).String(), strconv.Itoa(k.PortOrDefault())),
		Rate: k.Rate, Duration: k.Duration.D(), Count: k.Count, Paths: k.Paths, Methods: k.Methods,
		Bodies: k.Bodies, Headers: k.Headers, KeepAlive: keep, Connections: k.Connections, Timeout: k.Timeout.D(),
	})
	tr.TrafficCounts = lr.Counts
}

// send runs a tcp, udp or icmp step (tr.Kind) with the built-in sender.
func (r *run) send(ctx context.Context, in *sim.Instance, tr *report.TrafficResult, snd *spec.Sender) {
	tr.TrafficCounts = workload.RunSend(ctx, instanceNet(in), workload.Send{
		Proto: tr.Kind, To: r.addr(snd.To), Port: snd.Port, SourcePort: snd.SourcePort,
		Count: snd.Count, Size: snd.Size, Payload: snd.Payload, Rate: snd.Rate,
	})
}

// sendCommand runs a command step in its instance; it succeeds when the
// command exits 0.
func sendCommand(ctx context.Context, _ *run, in *sim.Instance, k *spec.Command, tr *report.TrafficResult) {
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
