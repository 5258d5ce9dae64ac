package runner

import (
	"context"
	"errors"
	"fmt"
	"github.com/mirrorlab/mirrorlab/agent/cli"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/mirrorlab/mirrorlab/agent"
	"github.com/mirrorlab/mirrorlab/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/scenarios/workload"
	"github.com/mirrorlab/mirrorlab/sim"
)

// program is a running program of the scenario.
type program struct {
	spec spec.Program
	kind string
	inst *sim.Instance
	out  *lineWatch

	server *workload.Server
	sink   *workload.Sink

	agent      *agent.Agent
	agentStop  context.CancelFunc
	agentDone  chan error
	agentStats agent.Stats
	cmp        compareOpts // response comparison the expectations ask of an agent

	proc *sim.Process

	stopped bool
	err     error
}

func (r *run) startPrograms(ctx context.Context) error {
	for _, ps := range r.s.Programs {
		p := &program{spec: ps, kind: ps.Builtin, inst: r.lab.Sim().Instance(ps.Instance)}
		p.cmp = compareSettings(r.s, ps.Name)
		if p.kind == "" {
			p.kind = "command"
		}
		ready := ""
		if ps.Ready != nil {
			ready = ps.Ready.LogContains
		}
		p.out = newLineWatch(r.s.OutputWatches(ps.Name), ready)
		r.progs = append(r.progs, p)
		if err := p.start(ctx, r.log); err != nil {
			p.err = err
			return fmt.Errorf("program %s on %s: %w", ps.Name, ps.Instance, err)
		}
		if err := p.waitReady(ctx); err != nil {
			p.err = err
			return fmt.Errorf("program %s on %s: %w", ps.Name, ps.Instance, err)
		}
		r.progress("%s: %s ready on %s", ps.Name, p.describe(), ps.Instance)
	}
	return nil
}

func (p *program) describe() string {
	switch p.kind {
	case spec.BuiltinHTTPServer, spec.BuiltinUDPSink:
		return "built-in " + p.kind
	case spec.BuiltinAgent:
		return "built-in agent (mirror-agent " + joinArgs(p.spec.Args) + ")"
	}
	return joinArgs(p.spec.Command)
}

func (p *program) start(ctx context.Context, log *slog.Logger) error {
	switch p.kind {
	case spec.BuiltinHTTPServer:
		cfg, err := spec.ParseHTTPServerArgs(p.spec.Args)
		if err != nil {
			return err
		}
		var ln net.Listener
		if err := p.inst.Run(func() (err error) {
			ln, err = net.Listen("tcp", ":"+strconv.Itoa(cfg.Port))
			return err
		}); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
		p.server = workload.NewServer(cfg, p.out)
		p.server.Start(ln)
	case spec.BuiltinUDPSink:
		cfg, err := workload.ParseSinkArgs(p.spec.Args)
		if err != nil {
			return err
		}
		var pc net.PacketConn
		if err := p.inst.Run(func() (err error) {
			pc, err = net.ListenPacket("udp", ":"+strconv.Itoa(cfg.Port)) // both families
			return err
		}); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
		p.sink = workload.StartSink(pc)
	case spec.BuiltinAgent:
		cfg, err := cli.ParseConfig(p.spec.Args)
		if err != nil {
			return err
		}
		if err := p.cmp.apply(&cfg); err != nil {
			return err
		}
		cfg.InNamespace = p.inst.Run
		cfg.Logger = slog.New(slog.NewTextHandler(p.out, &slog.HandlerOptions{Level: slog.LevelInfo}))
		a, err := agent.New(cfg)
		if err != nil {
			return err
		}
		actx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		p.agent, p.agentStop, p.agentDone = a, cancel, make(chan error, 1)
		go func() { p.agentDone <- a.Run(actx) }()
		select {
		case <-a.Ready():
		case err := <-p.agentDone:
			p.agentDone <- err // keep it for close
			return fmt.Errorf("agent stopped at start: %w", err)
		case <-time.After(10 * time.Second):
			return errors.New("agent not ready after 10s")
		}
	default:
		proc, err := p.inst.Exec(ctx, p.spec.Command, sim.ExecOptions{Env: envOrNil(p.spec.Env), Stdout: p.out, Stderr: p.out})
		if err != nil {
			return err
		}
		p.proc = proc
	}
	return nil
}

func envOrNil(env []string) []string {
	if len(env) == 0 {
		return nil
	}
	return append(append([]string(nil), envBase()...), env...)
}

// waitReady waits for a command's readiness conditions (built-ins are ready
// once started).
func (p *program) waitReady(ctx context.Context) error {
	rd := p.spec.Ready
	if p.proc == nil || rd == nil {
		return nil
	}
	deadline := time.Now().Add(rd.Timeout.Or(10 * time.Second))
	if rd.TCPPort != 0 {
		addrs := listenAddrs(p.inst)
		for {
			if p.inst.Run(func() error { return dialAny(addrs, rd.TCPPort) }) == nil {
				break
			}
			what := fmt.Sprintf("nothing listens on TCP %d (tried %s in %s)", rd.TCPPort, joinAddrs(addrs), p.inst.Name)
			if err := p.notYet(ctx, deadline, what); err != nil {
				return err
			}
		}
	}
	if rd.LogContains != "" {
		for {
			select {
			case <-p.out.readyCh:
			default:
				if err := p.notYet(ctx, deadline, fmt.Sprintf("its output has no line containing %q", rd.LogContains)); err != nil {
					return err
				}
				continue
			}
			break
		}
	}
	if rd.Delay > 0 {
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(rd.Delay.D()):
		}
	}
	return nil
}

// notYet waits a little, or says why the program is not ready.
func (p *program) notYet(ctx context.Context, deadline time.Time, what string) error {
	select {
	case <-p.proc.Done():
		return fmt.Errorf("exited with code %d before it was ready (%s); output:\n%s", p.proc.ExitCode(), what, p.out.Tail())
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-time.After(50 * time.Millisecond):
	}
	if time.Now().After(deadline) {
		return fmt.Errorf("not ready in time: %s; output:\n%s", what, p.out.Tail())
	}
	return nil
}

// stopPrograms stops the agents and commands (agents drain their queued
// replays); the in-process servers stay up to receive those replays until
// close.
func (r *run) stopPrograms() {
	for _, p := range r.progs {
		p.stop()
	}
}

func (p *program) stop() {
	if p.stopped {
		return
	}
	p.stopped = true
	if p.agent != nil {
		p.agentStop()
		if err := <-p.agentDone; err != nil {
			p.err = errors.Join(p.err, err)
		}
		p.agentStats = p.agent.Stats()
	}
	if p.proc != nil {
		if err := p.proc.Stop(3 * time.Second); err != nil {
			p.err = errors.Join(p.err, err)
		}
		p.out.flush()
	}
}

// close releases the in-process servers.
func (p *program) close() error {
	p.stop()
	var err error
	if p.server != nil {
		err = p.server.Close()
		p.server = nil
	}
	if p.sink != nil {
		err = errors.Join(err, p.sink.Close())
		p.sink = nil
	}
	return err
}

// result records what the program did into o and returns its summary.
func (p *program) result(o *Observations) ProgramResult {
	pr := ProgramResult{Name: p.spec.Name, Instance: p.spec.Instance, Kind: p.kind, Ready: true}
	if p.err != nil {
		pr.Error = p.err.Error()
	}
	o.Output[p.spec.Name] = p.out.Counts()
	switch {
	case p.server != nil:
		reqs := p.server.Requests()
		o.Requests[p.spec.Name] = reqs
		pr.Requests = len(reqs)
	case p.sink != nil:
		pr.Datagrams, _ = p.sink.Counts()
	case p.agent != nil:
		pr.Stats = flatten(p.agentStats)
		o.AgentStats[p.spec.Name] = pr.Stats
		if p.agentStats.Compare != nil {
			pr.Compare = p.agentStats.Compare
			o.Compare[p.spec.Name] = p.agentStats.Compare
		}
	case p.proc != nil:
		pr.ExitCode = p.proc.ExitCode()
		pr.OutputTail = p.out.Tail()
	}
	return pr
}

// listenAddrs are the addresses a program of the instance can listen on:
// loopback and the instance's ENI addresses (a server bound to its ENI's
// address does not answer on 127.0.0.1).
func listenAddrs(in *sim.Instance) []netip.Addr {
	addrs := []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback()}
	for _, e := range in.ENIs {
		if e.IP.IsValid() {
			addrs = append(addrs, e.IP)
		}
	}
	return addrs
}

// dialAny connects to port at the first of addrs that accepts (inside the
// namespace of the calling thread: nothing leaves the instance).
func dialAny(addrs []netip.Addr, port int) error {
	var errs []error
	for _, a := range addrs {
		c, err := net.DialTimeout("tcp", netip.AddrPortFrom(a, uint16(port)).String(), 200*time.Millisecond)
		if err == nil {
			return c.Close()
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func joinAddrs(addrs []netip.Addr) string {
	s := make([]string, len(addrs))
	for i, a := range addrs {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}
