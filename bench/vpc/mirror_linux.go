package vpc

import (
	"context"
	"errors"
)

// mirror is the running mirror data plane, when started.
type mirror struct{}

// StartMirror starts the mirror service: production's eth0 mirrored to the
// adapter's eth0, VNI 1.
func (e *Env) StartMirror(ctx context.Context) error {
	return errors.New("the mirror data plane (cloudmock/dataplane) is not available yet")
}

// StopMirror stops the mirror service, if running.
func (e *Env) StopMirror() error { return nil }
