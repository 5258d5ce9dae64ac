package input

import (
	"time"
)

// DatagramHandler receives UDP payloads (VXLAN header first). b is only
// valid during the call.
type DatagramHandler interface {
	Datagram(b []byte, ts time.Time)
}

// FrameHandler receives captured frames. b is only valid during the call.
type FrameHandler interface {
	// Frame handles one frame: Ethernet when ethernet is true, else raw IP.
	Frame(b []byte, ethernet bool, ts time.Time)
}

// InNamespace runs fn where sockets must be created (nil: here).
type InNamespace func(fn func() error) error

func (ns InNamespace) run(fn func() error) error {
	if ns == nil {
		return fn()
	}
	return ns(fn)
}

// Drops receives losses an input detects (kernel socket or ring drops).
type Drops interface {
	Add(n uint64) uint64
}
