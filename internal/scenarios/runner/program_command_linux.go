package runner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/internal/sim"
	"github.com/mirrorlab/mirrorlab/lab"
)

// command is any program, run inside its instance; it is ready when every
// condition of its ready: holds.
type command struct{}

// checkArgs: a command has no args (spec refuses them).
func (command) checkArgs([]string) error { return nil }

func (command) describe(ps spec.Program) string { return joinArgs(ps.Command) }

func (command) start(ctx context.Context, p *program) (running, error) {
	proc, err := p.inst.Exec(ctx, p.spec.Command, sim.ExecOptions{Env: envOrNil(p.spec.Env), Stdout: p.out, Stderr: p.out})
	if err != nil {
		return nil, err
	}
	c := commandRun{proc: proc, out: p.out}
	return c, c.waitReady(ctx, p.inst, p.spec.Ready)
}

func envOrNil(env []string) []string {
	if len(env) == 0 {
		return nil
	}
	return append(append([]string(nil), envBase()...), env...)
}

// commandRun is a started command.
type commandRun struct {
	proc *sim.Process
	out  *lineWatch
}

func (c commandRun) stop() error {
	err := c.proc.Stop(3 * time.Second)
	c.out.flush()
	return err
}

func (commandRun) close() error { return nil }

func (c commandRun) result(pr *report.ProgramResult, _ *report.Observations) {
	pr.ExitCode = c.proc.ExitCode()
	pr.OutputTail = c.out.lastOutput()
}

func (commandRun) status(string, *lab.Status) {}

// waitReady waits for the command's readiness conditions rd (none: ready
// at once).
func (c commandRun) waitReady(ctx context.Context, in *sim.Instance, rd *spec.Ready) error {
	if rd == nil {
		return nil
	}
	deadline := time.Now().Add(rd.Timeout.Or(10 * time.Second))
	if rd.TCPPort != 0 {
		addrs := listenAddrs(in)
		for {
			if in.Run(func() error { return dialAny(addrs, rd.TCPPort) }) == nil {
				break
			}
			what := fmt.Sprintf("nothing listens on TCP %d (tried %s in %s)", rd.TCPPort, joinAddrs(addrs), in.Name)
			if err := c.notYet(ctx, deadline, what); err != nil {
				return err
			}
		}
	}
	if rd.LogContains != "" {
		for {
			select {
			case <-c.out.readyCh:
			default:
				if err := c.notYet(ctx, deadline, fmt.Sprintf("its output has no line containing %q", rd.LogContains)); err != nil {
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

// notYet waits a little, or says why the command is not ready.
func (c commandRun) notYet(ctx context.Context, deadline time.Time, what string) error {
	select {
	case <-c.proc.Done():
		return fmt.Errorf("exited with code %d before it was ready (%s); output:\n%s", c.proc.ExitCode(), what, c.out.lastOutput())
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-time.After(50 * time.Millisecond):
	}
	if time.Now().After(deadline) {
		return fmt.Errorf("not ready in time: %s; output:\n%s", what, c.out.lastOutput())
	}
	return nil
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
