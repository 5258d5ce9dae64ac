package progress

import "golang.org/x/sys/unix"

// isTerminal: the terminal ioctl succeeds only on a terminal (isatty(3)).
func isTerminal(fd uintptr) bool {
	_, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
	return err == nil
}
