package main

import (
	"context"

	agentcli "github.com/mirrorlab/mirrorlab/agent/cli"
	benchcli "github.com/mirrorlab/mirrorlab/bench/cli"
)

// runAgent is the decap agent's own command line (mirror-agent's).
func runAgent(ctx context.Context, a *app, args []string) int {
	return agentcli.Main(ctx, args, a.stdout, a.stderr)
}

// runBench is the benchmarks' own command line.
func runBench(ctx context.Context, a *app, args []string) int {
	return benchcli.Main(ctx, args, a.stdout, a.stderr)
}
