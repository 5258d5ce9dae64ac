//go:build !linux

package replay

import "net"

// withRawIO returns c: raw reads and writes are made on Linux only.
func withRawIO(c net.Conn) net.Conn { return c }
