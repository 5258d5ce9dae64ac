package main

import (
	"context"
	"io"

	agentcli "github.com/mirrorlab/mirrorlab/agent/cli"
	benchcli "github.com/mirrorlab/mirrorlab/bench/cli"
)

// extraCommand runs the commands that only exist on Linux: the lab
// commands, the decap agent (the same command line as mirror-agent) and the
// benchmarks.
func extraCommand(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer) (int, bool) {
	if code, ok := labCommand(ctx, cmd, args, stdout, stderr); ok {
		return code, true
	}
	switch cmd {
	case "agent":
		return agentcli.Main(ctx, args, stdout, stderr), true
	case "bench":
		return benchcli.Main(ctx, args, stdout, stderr), true
	}
	return 0, false
}
