package sim

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// Every program that Instance.Exec starts runs under an init of its own: this
// binary, re-executed with argv[0] = progInitArg0, as process 1 of a new PID
// namespace (and a mount namespace, for a /proc of that PID namespace). The
// init carries the parent-death signal (SIGKILL) and never changes its user,
// so when the lab's owner dies, even by SIGKILL, the kernel kills the init,
// and with it every process of its PID namespace: the program, whatever user
// it switched to (tcpdump -Z), and everything it started. A parent-death
// signal set on the program itself would not do: the kernel clears it when
// the program changes its credentials.
//
// The init and its parent talk over a SOCK_SEQPACKET socket (fd 3 in the
// init): the init sends "ok" with the program's PID as SCM_CREDENTIALS (the
// kernel translates it into the parent's PID namespace), or "err MESSAGE"
// when the program cannot start; then "exit" and the program's raw wait
// status when it ends, and exits itself, which kills whatever the program
// left behind. If the parent's end closes (the parent died before the
// parent-death signal was armed), the init exits too.
const progInitArg0 = "mirrorlab-program-init"

// progInitFD is the init's end of the socket.
const progInitFD = 3

// init turns a re-execution of the binary as a program's init into that
// init, before anything else of the binary runs. Every binary that links
// this package (mirrorlab, its tests, the bench) can therefore serve as one.
func init() {
	if len(os.Args) > 1 && os.Args[0] == progInitArg0 {
		os.Exit(progInit(os.Args[1], os.Args[2:]))
	}
}

// forwarded are the signals the init catches (as process 1 it would ignore
// them otherwise) and passes on to the program when the program has left
// the init's process group; in the group, the program got them already.
var forwarded = []os.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT,
	syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGALRM, syscall.SIGWINCH, syscall.SIGCONT}

// progInit runs path with argv as the init of a fresh PID namespace and
// returns the init's exit code.
func progInit(path string, argv []string) int {
	say := func(msg string, oob []byte) {
		_ = unix.Sendmsg(progInitFD, []byte(msg), oob, nil, unix.MSG_NOSIGNAL)
	}
	fail := func(err error) int {
		say("err "+err.Error(), nil)
		return 127
	}
	// The program must not inherit this socket.
	unix.CloseOnExec(progInitFD)
	// Mounts made here stay here (slave: the host's later mounts still
	// show), and /proc shows this PID namespace, so the program's own PID
	// and its children's are the ones it finds there.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_SLAVE, ""); err != nil {
		return fail(fmt.Errorf("program init: make mounts private: %w", err))
	}
	if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fail(fmt.Errorf("program init: mount /proc: %w", err))
	}
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, forwarded...)
	pid, err := syscall.ForkExec(path, argv, &syscall.ProcAttr{
		Env:   os.Environ(),
		Files: []uintptr{0, 1, 2},
	})
	if err != nil {
		return fail(fmt.Errorf("start %s: %w", path, err))
	}
	say("ok", unix.UnixCredentials(&unix.Ucred{Pid: int32(pid), Uid: uint32(os.Getuid()), Gid: uint32(os.Getgid())}))

	// The parent's end closing means the parent is gone: end everything.
	go func() {
		buf := make([]byte, 16)
		for {
			n, _, _, _, err := unix.Recvmsg(progInitFD, buf, nil, 0)
			if err == unix.EINTR {
				continue
			}
			if n == 0 || err != nil {
				os.Exit(128 + int(syscall.SIGKILL))
			}
		}
	}()
	go func() {
		self := unix.Getpgrp()
		for s := range sigs {
			if g, err := unix.Getpgid(pid); err == nil && g != self {
				_ = unix.Kill(pid, s.(syscall.Signal))
			}
		}
	}()
	for {
		var ws unix.WaitStatus
		got, err := unix.Wait4(-1, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			// ECHILD: cannot happen while the program is ours to reap.
			return fail(fmt.Errorf("program init: wait: %w", err))
		}
		if got != pid || !(ws.Exited() || ws.Signaled()) {
			continue // an orphan the namespace handed us, reaped
		}
		msg := []byte("exit ....")
		binary.LittleEndian.PutUint32(msg[5:], uint32(ws))
		say(string(msg), nil)
		// Returning ends process 1 of the namespace: the kernel kills
		// whatever the program left running in it.
		return 0
	}
}
