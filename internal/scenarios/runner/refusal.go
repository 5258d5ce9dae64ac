package runner

import (
	"fmt"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
)

// refusal is the error of a run that the provider's validation stopped
// (and whose scenario does not expect that): every problem, with its
// file:line, once.
func refusal(ps spec.Problems) error {
	return fmt.Errorf("the provider refuses the configuration (%d problem(s)), so nothing was built:\n%w", len(ps), ps)
}
