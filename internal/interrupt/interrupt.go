// Package interrupt holds the one error value that says a piece of work
// stopped because its caller's context ended (Ctrl-C, SIGTERM, a
// deadline). Loading a scenario (spec.ErrInterrupted) and running a lab
// (lab.ErrInterrupted) name this same value, so errors.Is with either
// matches an interruption wherever it happened. It imports nothing of
// this module.
package interrupt

import "errors"

// Err is wrapped by the error of interrupted work.
var Err = errors.New("interrupted")
