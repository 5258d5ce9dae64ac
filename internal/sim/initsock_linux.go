package sim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// initSock is the parent's end of the socket to a program's init (see
// progInitArg0).
type initSock struct{ fd int }

// initSocket makes the socket pair: the parent's end (close-on-exec, so no
// other child holds it and the init sees EOF when this process dies) and
// the init's, to pass as its fd 3.
func initSocket() (*initSock, *os.File, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socket to program init: %w", err)
	}
	if err := unix.SetsockoptInt(fds[0], unix.SOL_SOCKET, unix.SO_PASSCRED, 1); err != nil {
		unix.Close(fds[0])
		unix.Close(fds[1])
		return nil, nil, fmt.Errorf("socket to program init: SO_PASSCRED: %w", err)
	}
	return &initSock{fd: fds[0]}, os.NewFile(uintptr(fds[1]), "program-init"), nil
}

func (s *initSock) Close() error { return unix.Close(s.fd) }

// recv reads one message and the PID of its credentials, if any.
func (s *initSock) recv() (string, int, error) {
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(unix.SizeofUcred))
	for {
		n, oobn, _, _, err := unix.Recvmsg(s.fd, buf, oob, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return "", 0, fmt.Errorf("read from program init: %w", err)
		}
		if n == 0 {
			return "", 0, errors.New("program init ended without a word")
		}
		pid := 0
		if msgs, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil {
			for _, m := range msgs {
				if c, err := unix.ParseUnixCredentials(&m); err == nil {
					pid = int(c.Pid)
				}
			}
		}
		return string(buf[:n]), pid, nil
	}
}

// started waits for the init's first word: the program's PID, or why it
// could not start.
func (s *initSock) started() (int, error) {
	msg, pid, err := s.recv()
	switch {
	case err != nil:
		return 0, err
	case strings.HasPrefix(msg, "err "):
		return 0, errors.New(strings.TrimPrefix(msg, "err "))
	case msg != "ok" || pid <= 0:
		return 0, fmt.Errorf("program init said %q (pid %d)", msg, pid)
	}
	return pid, nil
}

// exited waits for the program's wait status; false if the init ended
// without sending one.
func (s *initSock) exited() (syscall.WaitStatus, bool) {
	msg, _, err := s.recv()
	if err != nil || len(msg) != 9 || !strings.HasPrefix(msg, "exit ") {
		return 0, false
	}
	return syscall.WaitStatus(binary.LittleEndian.Uint32([]byte(msg[5:]))), true
}
