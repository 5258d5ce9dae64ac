package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/mirrorlab/mirrorlab/internal/nsrun"
)

// ExecOptions tune Instance.Exec.
type ExecOptions struct {
	Env   []string // nil: the caller's environment
	Dir   string   // empty: the caller's working directory
	Stdin io.Reader
	// Stdout and Stderr, when set, receive a copy of the program's output
	// as it comes (besides the bounded buffers of the Process).
	Stdout, Stderr io.Writer
	// MaxOutput is how many bytes of each stream the Process keeps (the
	// last ones); 0 means DefaultMaxOutput.
	MaxOutput int
}

// Process is a program started inside an instance namespace, in a process
// group of its own. It is killed when its context ends, when its owner
// process dies (parent-death signal) and when the lab closes.
type Process struct {
	Argv     []string
	Instance string

	pid            int           // set before started is closed; 0 if it never started
	started        chan struct{} // closed once Start has succeeded or failed
	stdout, stderr *tailBuffer
	done           chan struct{}
	err            error // Wait's result, set before done is closed
	state          *syscall.WaitStatus
	stopOnce       sync.Once
}

// Exec starts argv (argv[0] looked up in PATH) inside the instance's network
// namespace: a throwaway OS thread enters the namespace, starts the program
// (which inherits the namespace) and stays to wait for it, so the program's
// parent-death signal (SIGKILL) fires only when this process dies.
func (in *Instance) Exec(ctx context.Context, argv []string, opts ExecOptions) (*Process, error) {
	if len(argv) == 0 {
		return nil, errors.New("exec: empty command")
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env, cmd.Dir, cmd.Stdin = opts.Env, opts.Dir, opts.Stdin
	p := &Process{Argv: append([]string(nil), argv...), Instance: in.Name, done: make(chan struct{}), started: make(chan struct{}),
		stdout: newTailBuffer(opts.MaxOutput, opts.Stdout), stderr: newTailBuffer(opts.MaxOutput, opts.Stderr)}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return p.Signal(syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second

	ns, release, err := in.lab.enter(in.ns)
	if err != nil {
		return nil, fmt.Errorf("exec %s in %s: %w", argv[0], in.Name, err)
	}
	if err := in.lab.addProc(p); err != nil {
		release()
		return nil, fmt.Errorf("exec %s in %s: %w", argv[0], in.Name, err)
	}
	startErr := make(chan error, 1)
	nsrun.Go(func() {
		defer close(p.done)
		defer in.lab.removeProc(p)
		err := netns.Set(ns)
		release()
		if err == nil {
			err = cmd.Start()
		}
		if err != nil {
			p.err = err
			close(p.started)
			startErr <- err
			return
		}
		p.pid = cmd.Process.Pid
		close(p.started)
		startErr <- nil
		p.err = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok {
			p.state = &ws
		}
	})
	if err := <-startErr; err != nil {
		return nil, fmt.Errorf("exec %s in %s: %w", argv[0], in.Name, err)
	}
	return p, nil
}

// Pid returns the process id (also its process group id).
func (p *Process) Pid() int { return p.pid }

// Done is closed once the process has exited and been reaped.
func (p *Process) Done() <-chan struct{} { return p.done }

// Wait waits for the process to exit and returns what exec.Cmd.Wait
// returned (an *exec.ExitError for a non-zero exit or a signal).
func (p *Process) Wait() error {
	<-p.done
	return p.err
}

// ExitCode returns the exit code once the process has exited (-1 when a
// signal ended it, or while it runs).
func (p *Process) ExitCode() int {
	select {
	case <-p.done:
	default:
		return -1
	}
	if p.state == nil {
		return -1
	}
	return p.state.ExitStatus()
}

// Stdout returns the last bytes (at most ExecOptions.MaxOutput) the
// program wrote to standard output, and how many earlier bytes were dropped.
func (p *Process) Stdout() ([]byte, int64) { return p.stdout.snapshot() }

// Stderr is Stdout for standard error.
func (p *Process) Stderr() ([]byte, int64) { return p.stderr.snapshot() }

// Signal sends sig to the process's whole group. A group already gone is
// not an error.
func (p *Process) Signal(sig syscall.Signal) error {
	<-p.started
	if p.pid <= 0 {
		// Never kill(0) or kill(-0): that would signal our own group.
		return fmt.Errorf("signal %v to %v: the program never started", sig, p.Argv)
	}
	if err := unix.Kill(-p.pid, sig); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("signal %v to process group %d: %w", sig, p.pid, err)
	}
	return nil
}

// Stop sends SIGTERM to the process group, SIGKILL after grace if the
// program has not exited, and waits for it. It returns a signalling error
// only; the exit status is Wait's.
func (p *Process) Stop(grace time.Duration) error {
	var err error
	if <-p.started; p.pid <= 0 {
		<-p.done
		return nil // never started: nothing to stop
	}
	p.stopOnce.Do(func() {
		select {
		case <-p.done:
			// Reaped: the group id may belong to someone else by now,
			// unless members outlive the leader; those die with the
			// namespace sweep of Lab.Close.
			return
		default:
		}
		err = p.Signal(syscall.SIGTERM)
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-p.done:
		case <-t.C:
			err = errors.Join(err, p.Signal(syscall.SIGKILL))
			<-p.done
		}
	})
	<-p.done // a concurrent second caller waits for the exit too
	return err
}
