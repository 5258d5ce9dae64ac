//go:build !linux

package replay

import (
	"net"
	"time"
)

// withRawIO returns c: raw reads and writes are made on Linux only.
func withRawIO(c net.Conn) net.Conn { return c }

// rawConn is never made here (responses are not deferred).
type rawConn struct{ net.Conn }

func (*rawConn) setLowat(int) bool   { return false }
func (*rawConn) lastRead() time.Time { return time.Time{} }
