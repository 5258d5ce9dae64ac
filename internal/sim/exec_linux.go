package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
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

// Process is a program started inside an instance namespace, under an init
// of its own (see progInitArg0) in a process group of its own. It is killed
// when its context ends, when the lab closes, and, with everything it
// started, when its owner process dies, even if it changed its user.
type Process struct {
	Argv     []string
	Instance string

	pid            int           // the program, as this process sees it; set before started is closed
	pgid           int           // its init, leader of the group; 0 if it never started
	started        chan struct{} // closed once Start has succeeded or failed
	stdout, stderr *tailBuffer
	done           chan struct{}
	err            error // Wait's result, set before done is closed
	state          *syscall.WaitStatus
	stopOnce       sync.Once
}

// ExitError is Wait's error for a program that exited with a non-zero code
// or was ended by a signal.
type ExitError struct {
	Status syscall.WaitStatus
}

// Error reads as exec.ExitError's does: "exit status 3", "signal: killed".
func (e *ExitError) Error() string {
	switch {
	case e.Status.Exited():
		return "exit status " + strconv.Itoa(e.Status.ExitStatus())
	case e.Status.Signaled():
		s := "signal: " + e.Status.Signal().String()
		if e.Status.CoreDump() {
			s += " (core dumped)"
		}
		return s
	}
	return fmt.Sprintf("wait status %#x", uint32(e.Status))
}

// ExitCode is the exit code, -1 when a signal ended the program.
func (e *ExitError) ExitCode() int { return e.Status.ExitStatus() }

// Exec starts argv (argv[0] looked up in PATH) inside the instance's network
// namespace, under an init of its own in a new PID namespace: a throwaway OS
// thread enters the network namespace, starts the init (which inherits the
// namespace, starts the program and reports it) and stays to wait for it,
// so the init's parent-death signal (SIGKILL) fires only when this process
// dies; the init's death ends the whole PID namespace. The program sees its
// usual environment (network namespace, files, working directory,
// environment, standard streams), with a PID of its namespace and a /proc
// that shows it.
func (in *Instance) Exec(ctx context.Context, argv []string, opts ExecOptions) (*Process, error) {
	if len(argv) == 0 {
		return nil, errors.New("exec: empty command")
	}
	p, err := in.exec(ctx, argv, opts)
	if err != nil {
		return nil, fmt.Errorf("exec %s in %s: %w", argv[0], in.Name, err)
	}
	return p, nil
}

// exec is Exec for a non-empty argv, with errors not yet naming argv[0]
// and the instance.
func (in *Instance) exec(ctx context.Context, argv []string, opts ExecOptions) (*Process, error) {
	path := argv[0]
	if !strings.Contains(path, "/") {
		lp, err := exec.LookPath(path)
		if err != nil {
			return nil, err
		}
		path = lp
	}
	sock, initEnd, err := initSocket()
	if err != nil {
		return nil, err
	}
	p := &Process{Argv: append([]string(nil), argv...), Instance: in.Name, done: make(chan struct{}), started: make(chan struct{}),
		stdout: newTailBuffer(opts.MaxOutput, opts.Stdout), stderr: newTailBuffer(opts.MaxOutput, opts.Stderr)}
	cmd := p.initCommand(ctx, path, opts, initEnd)

	ns, release, err := in.lab.enter(&in.ns)
	if err != nil {
		sock.Close()
		initEnd.Close()
		return nil, err
	}
	if err := in.lab.addProc(p); err != nil {
		release()
		sock.Close()
		initEnd.Close()
		return nil, err
	}
	startErr := make(chan error, 1)
	nsrun.Go(func() {
		defer close(p.done)
		defer in.lab.removeProc(p)
		defer sock.Close()
		err := p.startInit(cmd, sock, initEnd, ns, release)
		if err != nil {
			p.err = err
		}
		close(p.started)
		startErr <- err
		if err == nil {
			p.reap(cmd, sock)
		}
	})
	if err := <-startErr; err != nil {
		return nil, err
	}
	return p, nil
}

// initCommand is the command that runs p's program (found at path) under
// its init, which gets initEnd as its end of the socket.
func (p *Process) initCommand(ctx context.Context, path string, opts ExecOptions, initEnd *os.File) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "/proc/self/exe")
	cmd.Args = append([]string{progInitArg0, path}, p.Argv...)
	cmd.Env, cmd.Dir, cmd.Stdin = opts.Env, opts.Dir, opts.Stdin
	cmd.ExtraFiles = []*os.File{initEnd} // fd 3 = progInitFD
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL,
		Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS}
	cmd.Cancel = func() error { return p.Signal(syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	return cmd
}

// startInit moves the calling (throwaway) thread into ns, starts cmd's
// init there and waits for it to report the program's PID. It always
// releases ns and closes initEnd.
func (p *Process) startInit(cmd *exec.Cmd, sock *initSock, initEnd *os.File, ns netns.NsHandle, release func()) error {
	err := netns.Set(ns)
	release()
	if err == nil {
		err = cmd.Start()
	}
	initEnd.Close()
	if err != nil {
		return err
	}
	pid, err := sock.started()
	if err != nil {
		return errors.Join(err, initExit(cmd.Wait()))
	}
	p.pid, p.pgid = pid, cmd.Process.Pid
	return nil
}

// reap waits for the started program and its init, and sets Wait's
// result and the exit status.
func (p *Process) reap(cmd *exec.Cmd, sock *initSock) {
	ws, reported := sock.exited()
	werr := cmd.Wait() // the init ends right after the program
	if !reported {
		// The init died before the program (killed with its group):
		// the program died with it, of the same signal.
		if st, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok {
			ws, reported = st, true
		}
	}
	switch {
	case !reported:
		p.err = werr
	case ws.Exited() && ws.ExitStatus() == 0:
		p.err = nil
	default:
		p.err = &ExitError{Status: ws}
	}
	if p.err == nil && werr != nil && !isExit(werr) {
		p.err = werr // output copying failed or timed out
	}
	if reported {
		p.state = &ws
	}
}

func isExit(err error) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee)
}

// initExit describes how an init that failed to report its program ended.
func initExit(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("program init: %w", err)
}

// Pid returns the program's process id as this process sees it (inside
// its PID namespace the program is process 2). Its process group is its
// init's.
func (p *Process) Pid() int { return p.pid }

// Done is closed once the process has exited and been reaped.
func (p *Process) Done() <-chan struct{} { return p.done }

// Wait waits for the process to exit and returns nil for exit code 0, an
// *ExitError for a non-zero exit or a signal, or another error when the
// program's output could not be collected.
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

// Signal sends sig to the process's whole group (its init, which passes
// it on to a program that left the group, the program and what it started).
// SIGKILL ends the init and so the whole PID namespace. A group already
// gone is not an error.
func (p *Process) Signal(sig syscall.Signal) error {
	<-p.started
	if p.pgid <= 0 {
		// Never kill(0) or kill(-0): that would signal our own group.
		return fmt.Errorf("signal %v to %v: the program never started", sig, p.Argv)
	}
	if err := unix.Kill(-p.pgid, sig); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("signal %v to process group %d: %w", sig, p.pgid, err)
	}
	return nil
}

// Stop sends SIGTERM to the process group, SIGKILL after grace if the
// program has not exited, and waits for it. It returns a signalling error
// only; the exit status is Wait's.
func (p *Process) Stop(grace time.Duration) error {
	var err error
	if <-p.started; p.pgid <= 0 {
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
