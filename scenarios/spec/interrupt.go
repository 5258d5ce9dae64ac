package spec

import (
	"context"
	"errors"
	"fmt"
)

// ErrInterrupted is wrapped by the error of a load or validation that
// stopped because its context was done (Ctrl-C, SIGTERM): match it with
// errors.Is. The error also wraps the context's cause.
var ErrInterrupted = errors.New("interrupted")

// checkEvery is how many items a long loop handles between two looks at
// its context.
const checkEvery = 4096

func interrupted(ctx context.Context, file string) error {
	return fmt.Errorf("%w: loading %s stopped: %w", ErrInterrupted, file, context.Cause(ctx))
}
