package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// stateDirFlag adds --state-dir, shared by the lab commands.
func stateDirFlag(cmd *cobra.Command, dir *string) {
	cmd.Flags().StringVar(dir, "state-dir", "", "`directory` of the labs' state files (default /run/mirrorlab)")
}

func newUpCmd(a *app) *cobra.Command {
	var stateDir string
	cmd := &cobra.Command{
		Use:   "up [FILE]",
		Short: "Build a scenario's lab and leave it running",
		Long: `Up builds the scenario's lab (namespaces, the mirror service, the programs and
agents), runs no traffic and checks nothing, and keeps it running until Ctrl-C
or mirrorlab down, so that you can drive it by hand with mirrorlab exec. It
prints the instances and their addresses once the lab is ready, and stays in
the foreground. One lab is up at a time per state directory.

FILE is a scenario file or a name of the embedded library; with no FILE, the
reference walk-through. Needs root on Linux.`,
		Example: `  mirrorlab up rule-order
  # in another terminal:
  mirrorlab exec web -- curl -s http://10.0.0.5/
  mirrorlab down`,
		GroupID:           groupLabs,
		Args:              maxArgs(1, "a scenario FILE"),
		ValidArgsFunction: completeScenarios(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			file := ""
			if len(args) == 1 {
				file = args[0]
			}
			return exited(cmdUp(cmd.Context(), a, file, stateDir))
		},
	}
	stateDirFlag(cmd, &stateDir)
	return cmd
}

func newExecCmd(a *app) *cobra.Command {
	var stateDir string
	cmd := &cobra.Command{
		Use:   "exec [flags] INSTANCE [--] CMD [ARGS...]",
		Short: "Run a command inside an instance of the running lab",
		Long: `Exec runs a command inside the network namespace of one instance of the lab
that mirrorlab up keeps running, with this terminal's standard input and
output, and exits with the command's exit code. mirrorlab's own flags go
before INSTANCE; everything after it is the command's.`,
		Example: `  mirrorlab exec web -- ip -br addr
  mirrorlab exec client -- curl -s http://10.0.0.5/
  mirrorlab exec --state-dir /tmp/labs adapter -- tcpdump -ni eth0 udp port 4789`,
		GroupID:     groupLabs,
		Annotations: map[string]string{annotationFlagsFirst: "true"},
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usageError{fmt.Errorf("want INSTANCE and a command to run, got %d argument(s)", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 2 && args[1] == "--" {
				args = append(args[:1:1], args[2:]...)
			}
			return exited(cmdExec(cmd.Context(), a, args[0], args[1:], stateDir))
		},
	}
	cmd.Flags().SetInterspersed(false)
	stateDirFlag(cmd, &stateDir)
	return cmd
}

func newDownCmd(a *app) *cobra.Command {
	var stateDir string
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Tear the running lab down",
		Long: `Down asks the process that keeps the lab up (mirrorlab up) to end, and waits
until it has removed every namespace and process of the lab (30 s at most).`,
		Example: "  mirrorlab down",
		GroupID: groupLabs,
		Args:    maxArgs(0, "none"),
		RunE: func(*cobra.Command, []string) error {
			return exited(cmdDown(a, stateDir))
		},
	}
	stateDirFlag(cmd, &stateDir)
	return cmd
}

func newCleanCmd(a *app) *cobra.Command {
	var stateDir string
	cmd := &cobra.Command{
		Use:   "clean",
		Short: "Remove what killed runs left behind",
		Long: `Clean removes the namespaces, interfaces and processes of runs whose owner
is dead (killed, or a machine restarted), as recorded in the state directory.
It never touches a run whose owner still runs, nor anything it did not create.`,
		Example: "  mirrorlab clean\n  mirrorlab clean --state-dir /tmp/labs",
		GroupID: groupLabs,
		Args:    maxArgs(0, "none"),
		RunE: func(*cobra.Command, []string) error {
			return exited(cmdClean(a, stateDir))
		},
	}
	stateDirFlag(cmd, &stateDir)
	return cmd
}

func newAgentCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "agent [flags]",
		Short: "Run the decap agent (the same flags as mirror-agent)",
		Long: `Agent is the decap agent, as the mirror-agent binary: it receives mirrored
VXLAN, rebuilds the TCP streams, parses the HTTP requests and replays them to
a destination. Its flags are single-dash, a drop-in for the reference agent
(aws-samples/http-requests-mirroring); mirrorlab agent -h lists them.`,
		Example: `  mirrorlab agent -h
  mirrorlab agent -destination http://10.0.0.37 -filter-request-port 80`,
		GroupID:            groupTools,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return exited(runAgent(cmd.Context(), a, args))
		},
	}
	cmd.Flags().BoolP("help", "h", false, "the agent's own help: its flags")
	return cmd
}

func newBenchCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench [flags] | bench compare OLD.json NEW.json",
		Short: "Benchmark the mirror path and the agent against kernel references",
		Long: `Bench measures the mirror path and the decap agent beside kernel references
measured in the same run (veth forwarding, kernel VXLAN, tc mirred) and a peer
agent, and writes JSON, Markdown and SVG; bench compare fails when a figure
fell behind a baseline. mirrorlab bench -h lists its flags. Needs root.`,
		Example: `  mirrorlab bench --smoke
  mirrorlab bench --out new && mirrorlab bench compare bench/baseline/result.json new/result.json`,
		GroupID:            groupTools,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return exited(runBench(cmd.Context(), a, args))
		},
	}
	cmd.Flags().BoolP("help", "h", false, "the benchmarks' own help: their flags")
	return cmd
}
