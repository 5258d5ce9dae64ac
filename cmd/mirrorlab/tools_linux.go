package main

import (
	"context"
	"os"

	agentcli "github.com/mirrorlab/mirrorlab/agent/cli"
	benchcli "github.com/mirrorlab/mirrorlab/internal/bench/cli"
)

// runAgent is the decap agent's own command line (mirror-agent's).
func runAgent(ctx context.Context, a *app, args []string) int {
	return agentcli.Main(ctx, args, a.stdout, a.stderr)
}

// runBench is the benchmarks' own command line; it runs our agent as
// this binary's agent command, in its own process, so the bench measures
// its CPU apart from the rest.
func runBench(ctx context.Context, a *app, args []string) int {
	var agent []string
	if exe, err := os.Executable(); err == nil {
		agent = []string{exe, "agent"}
	}
	return benchcli.Main(ctx, args, a.stdout, a.stderr, agent)
}
