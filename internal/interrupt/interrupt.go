// Package interrupt holds the one error value that says a piece of work
// stopped because its caller's context ended (Ctrl-C, SIGTERM, a
// deadline). Loading a scenario (spec.ErrInterrupted) and running a lab
// (lab.ErrInterrupted) name this same value, so errors.Is with either
// matches an interruption wherever it happened; Mark wraps it around the
// error of work whose context ended. It imports nothing of this module.
package interrupt

import (
	"context"
	"errors"
	"fmt"
)

// Err is wrapped by the error of interrupted work.
var Err = errors.New("interrupted")

// Mark marks err as Err when ctx has ended: err itself when it says so
// already, ctx's cause when err is nil.
func Mark(ctx context.Context, err error) error {
	switch {
	case ctx.Err() == nil || errors.Is(err, Err):
		return err
	case err == nil:
		return fmt.Errorf("%w: %w", Err, context.Cause(ctx))
	}
	return fmt.Errorf("%w: %w", Err, err)
}
