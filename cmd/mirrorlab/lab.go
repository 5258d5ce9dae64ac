package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// labOptions are the lab commands' flags.
type labOptions struct {
	stateDir  string
	lab       string // --lab RUNID: which lab, when several are up
	detach    bool   // up -d
	daemonLog string // up --daemon-log (hidden): the detached owner's log
	all       bool   // down --all
	json      bool   // status --json
}

// stateDirFlag adds --state-dir, shared by the lab commands.
func stateDirFlag(cmd *cobra.Command, dir *string) {
	cmd.Flags().StringVar(dir, "state-dir", "", "`directory` of the labs' state files (default /run/mirrorlab)")
}

// labFlag adds --lab, shared by the commands that act on one lab.
func labFlag(cmd *cobra.Command, o *labOptions) {
	stateDirFlag(cmd, &o.stateDir)
	cmd.Flags().StringVar(&o.lab, "lab", "", "the lab's `run-id` (or its scenario's name, when one lab runs it), when several labs are up (mirrorlab status lists them)")
}

func newUpCmd(a *app) *cobra.Command {
	var o labOptions
	cmd := &cobra.Command{
		Use:   "up [FILE]",
		Short: "Build a scenario's lab and leave it running",
		Long: `Up builds the scenario's lab (namespaces, the mirror service, the programs and
agents), runs no traffic and checks nothing, and keeps it running until
mirrorlab down (or Ctrl-C), so that you can drive it by hand with mirrorlab
exec and watch its counters with mirrorlab status. It prints the instances
and their addresses once the lab is ready.

Without -d it stays in the foreground. With -d it returns once the lab is
ready, and the lab's owner keeps running in the background, in a session of
its own, writing its output to a log file in the state directory (status
shows where). Several labs can be up at once; exec, status and down take
--lab RUNID to choose.

FILE is a scenario file or a name of the embedded library; with no FILE, the
reference walk-through. Needs root on Linux.`,
		Example: `  mirrorlab up -d rule-order
  mirrorlab exec client -- curl -s http://10.0.0.5/
  mirrorlab status
  mirrorlab down

  # in the foreground (Ctrl-C ends the lab)
  mirrorlab up my-scenario.yaml`,
		GroupID:           groupLabs,
		Args:              maxArgs(1, "a scenario FILE"),
		ValidArgsFunction: completeScenarios(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return exited(cmdUp(cmd.Context(), a, firstArg(args), o))
		},
	}
	stateDirFlag(cmd, &o.stateDir)
	cmd.Flags().BoolVarP(&o.detach, "detach", "d", false, "return once the lab is ready; its owner runs on in the background")
	cmd.Flags().StringVar(&o.daemonLog, "daemon-log", "", "(set by up -d for the owner it starts) the owner's log `file`")
	_ = cmd.Flags().MarkHidden("daemon-log")
	return cmd
}

func newExecCmd(a *app) *cobra.Command {
	var o labOptions
	cmd := &cobra.Command{
		Use:   "exec [flags] INSTANCE [--] CMD [ARGS...]",
		Short: "Run a command inside an instance of a lab",
		Long: `Exec runs a command inside the network namespace of one instance of a lab
that mirrorlab up keeps running (or that mirrorlab run --keep left), with this
terminal's standard input and output, and exits with the command's exit code.
mirrorlab's own flags go before INSTANCE; everything after it is the
command's.`,
		Example: `  mirrorlab exec web -- ip -br addr
  mirrorlab exec client -- curl -s http://10.0.0.5/
  mirrorlab exec --lab 3fa9c1 adapter -- tcpdump -ni eth0 udp port 4789`,
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
			return exited(cmdExec(cmd.Context(), a, args[0], args[1:], o))
		},
	}
	cmd.Flags().SetInterspersed(false)
	labFlag(cmd, &o)
	return cmd
}

func newStatusCmd(a *app) *cobra.Command {
	var o labOptions
	cmd := &cobra.Command{
		Use:   "status",
		Short: "List the labs that are up, with their counters",
		Long: `Status lists the labs that are up (mirrorlab up) or kept (mirrorlab run
--keep): run id, owner, age, scenario, the instances and their addresses,
each mirror session's counters (mirrored, truncated, delivered, dropped by
cause), the mirror service's totals, and the agents' and servers' counters.
A running lab's owner refreshes its counters every second; a kept lab shows
the run's last figures.`,
		Example: `  mirrorlab status
  mirrorlab status --lab 3fa9c1
  mirrorlab status --json`,
		GroupID: groupLabs,
		Args:    maxArgs(0, "none"),
		RunE: func(*cobra.Command, []string) error {
			return exited(cmdStatus(a, o))
		},
	}
	labFlag(cmd, &o)
	cmd.Flags().BoolVar(&o.json, "json", false, "print the labs as JSON")
	return cmd
}

func newDownCmd(a *app) *cobra.Command {
	var o labOptions
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Tear a lab down, and print what it did",
		Long: `Down ends a lab: it asks the process that keeps the lab up (mirrorlab up) to
stop and waits until it has removed every namespace and process of the lab
(30 s at most); a lab that run --keep left is removed here. It prints the
lab's summary with its last counters, as mirrorlab status does. With several
labs up, --lab RUNID chooses one and --all takes them all down.`,
		Example: "  mirrorlab down\n  mirrorlab down --lab 3fa9c1\n  mirrorlab down --all",
		GroupID: groupLabs,
		Args:    maxArgs(0, "none"),
		RunE: func(*cobra.Command, []string) error {
			return exited(cmdDown(a, o))
		},
	}
	labFlag(cmd, &o)
	cmd.Flags().BoolVar(&o.all, "all", false, "take every lab down")
	return cmd
}

func newCleanCmd(a *app) *cobra.Command {
	var o labOptions
	cmd := &cobra.Command{
		Use:   "clean",
		Short: "Remove what killed runs left behind",
		Long: `Clean removes the namespaces, interfaces and processes of runs whose owner
is dead (killed, or a machine restarted), as recorded in the state directory,
and the labs that run --keep left. It never touches a run whose owner still
runs, nor anything it did not create.`,
		Example: "  mirrorlab clean\n  mirrorlab clean --state-dir /tmp/labs",
		GroupID: groupLabs,
		Args:    maxArgs(0, "none"),
		RunE: func(*cobra.Command, []string) error {
			return exited(cmdClean(a, o))
		},
	}
	stateDirFlag(cmd, &o.stateDir)
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
