package spec

import (
	"context"
	"fmt"

	"github.com/mirrorlab/mirrorlab/internal/interrupt"
)

// ErrInterrupted is wrapped by the error of a load or validation that
// stopped because its context was done (Ctrl-C, SIGTERM): match it with
// errors.Is. The error also wraps the context's cause. It is the same
// value as lab.ErrInterrupted (an interrupted run).
var ErrInterrupted = interrupt.Err

// checkEvery is how many items a long loop handles between two looks at
// its context.
const checkEvery = 4096

func interrupted(ctx context.Context, file string) error {
	return fmt.Errorf("%w: loading %s stopped: %w", ErrInterrupted, file, context.Cause(ctx))
}
