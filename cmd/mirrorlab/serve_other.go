//go:build !linux

package main

import (
	"context"
	"errors"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
)

// serveLab needs Linux; serve --no-lab works here.
func serveLab(_ context.Context, _ *app, _ *spec.Scenario, _ cloudmock.Spec, _ map[string]string,
	_ serveOpts, _ func() func() error, _ *applyForwarder) error {
	return failed(errors.New("a lab needs Linux (network namespaces); serve --no-lab serves the API alone"))
}
