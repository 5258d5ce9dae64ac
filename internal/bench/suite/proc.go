package suite

import (
	"errors"
	"fmt"
	"os/exec"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// stopProcess ends p (SIGTERM, then SIGKILL after grace); an exit caused
// by the signal is no error.
func stopProcess(p *sim.Process, grace time.Duration) error {
	err := p.Stop(grace)
	var ee *exec.ExitError
	var se *sim.ExitError
	if errors.As(err, &ee) || errors.As(err, &se) {
		return nil // stopped by our signal
	}
	return err
}

// waitAnswer polls answer every 50 ms until it succeeds, for at most 10 s,
// unless exited reports that the process ended; on a timeout the process
// is stopped.
func waitAnswer(what string, exited, answer, stop func() error) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := exited(); err != nil {
			return err
		}
		err := answer()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.Join(fmt.Errorf("no %s after 10s: %w", what, err), stop())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
