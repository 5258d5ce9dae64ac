package lab

import (
	"errors"

	"github.com/mirrorlab/mirrorlab/internal/interrupt"
)

// ErrInterrupted: the caller's context ended (Ctrl-C, a deadline) before
// the work was done. Match it with errors.Is. It is the same value as
// spec.ErrInterrupted (an interrupted load).
var ErrInterrupted = interrupt.Err

// ErrNeedsRoot: building a lab needs privileges this process lacks.
var ErrNeedsRoot = errors.New("needs root: it creates network namespaces, veth pairs and AF_PACKET sockets (try sudo)")
