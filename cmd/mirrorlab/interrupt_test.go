package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestLoadingStopsOnInterrupt: validate, run and serve stop reading a
// scenario once their context is cancelled (main cancels it on SIGINT and
// SIGTERM), say so, and exit non-zero.
func TestLoadingStopsOnInterrupt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, args := range [][]string{
		{"validate", "../../scenarios/default.yaml", "../../scenarios/default.yaml"},
		{"run", "../../scenarios/default.yaml"},
		{"serve", "--listen", "127.0.0.1:0", "../../scenarios/default.yaml"},
	} {
		var out, errOut bytes.Buffer
		code := Main(ctx, args, &out, &errOut)
		if code == 0 || strings.Count(errOut.String(), "interrupted: loading ../../scenarios/default.yaml stopped: context canceled") != 1 {
			t.Errorf("%s: exit %d\nstdout: %s\nstderr: %s", args[0], code, out.String(), errOut.String())
		}
	}
}
