package lab

import (
	"context"
	"errors"
	"fmt"

	"github.com/mirrorlab/mirrorlab/internal/interrupt"
)

// ErrInterrupted: the caller's context ended (Ctrl-C, a deadline) before
// the work was done. Match it with errors.Is. It is the same value as
// spec.ErrInterrupted (an interrupted load).
var ErrInterrupted = interrupt.Err

// ErrNeedsRoot: building a lab needs privileges this process lacks.
var ErrNeedsRoot = errors.New("needs root: it creates network namespaces, veth pairs and AF_PACKET sockets (try sudo)")

// Interrupted marks err as ErrInterrupted when ctx has ended: err itself
// when it says so already, ctx's cause when err is nil.
func Interrupted(ctx context.Context, err error) error {
	switch {
	case ctx.Err() == nil || errors.Is(err, ErrInterrupted):
		return err
	case err == nil:
		return fmt.Errorf("%w: %w", ErrInterrupted, context.Cause(ctx))
	}
	return fmt.Errorf("%w: %w", ErrInterrupted, err)
}
