package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// app is what every command shares: where its output goes.
type app struct {
	stdout, stderr io.Writer
}

// Groups of the command list in `mirrorlab help`.
const (
	groupScenarios = "scenarios"
	groupLabs      = "labs"
	groupTools     = "tools"
)

// commands lists the constructors of mirrorlab's subcommands, in the order
// of the help's command list. Add a new command here (see doc.go).
func commands() []func(*app) *cobra.Command {
	return []func(*app) *cobra.Command{
		newRunCmd, newReportCmd, newExplainCmd, newValidateCmd, newExportCmd, newLibraryCmd, newSchemaCmd,
		newUpCmd, newServeCmd, newExecCmd, newStatusCmd, newDownCmd, newCleanCmd,
		newAgentCmd, newBenchCmd, newVersionCmd, newGendocsCmd,
	}
}

// newRootCmd builds the whole command line, writing to stdout and stderr.
func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	a := &app{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "mirrorlab",
		Short: "Test VPC Traffic Mirroring set-ups on one Linux machine",
		Long: `mirrorlab tests a cloud VPC Traffic Mirroring set-up (AWS or Alibaba Cloud)
on one Linux machine, with no cloud account: it builds the VPC out of network
namespaces, runs a mock of the provider's mirror service on it (filters,
sessions, targets, NACL and security-group checks, truncation, VXLAN with the
session's VNI), runs the decap agent on the target, drives traffic and checks
what arrived. A scenario file is the whole test; with no file, the commands
use the embedded reference walk-through.`,
		Example: `  sudo mirrorlab run                       # the reference walk-through
  sudo mirrorlab run rule-order --junit out.xml
  mirrorlab explain -packet 'tcp 10.0.0.6:40000 -> 10.0.0.5:80' -eni web-eni
  mirrorlab library`,
		Version:       versionString(),
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetVersionTemplate("{{.Version}}\n")
	root.AddGroup(
		&cobra.Group{ID: groupScenarios, Title: "Scenarios:"},
		&cobra.Group{ID: groupLabs, Title: "Labs to use by hand (Linux, root):"},
		&cobra.Group{ID: groupTools, Title: "Agent, benchmarks and more:"},
	)
	root.SetHelpCommandGroupID(groupTools)
	root.SetCompletionCommandGroupID(groupTools)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	for _, newCmd := range commands() {
		root.AddCommand(newCmd(a))
	}
	return root
}

// Main is the whole command line; it returns the exit code: 0 success, 1
// failure, 2 a mistake in the command line.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	if len(args) == 0 {
		root.InitDefaultHelpCmd()
		root.InitDefaultCompletionCmd()
		root.SetOut(stderr)
		_ = root.Help()
		return 2
	}
	root.SetArgs(normaliseArgs(root, args))
	cmd, err := root.ExecuteContextC(ctx)
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		if ee.err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", cmd.CommandPath(), ee.err)
		}
		return ee.code
	}
	// What is left are command-line mistakes: a flag, an argument, an
	// unknown command (cobra's errors and usageError).
	fmt.Fprintf(stderr, "%s: %v\n", cmd.CommandPath(), strings.TrimRight(err.Error(), "\n"))
	fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	return 2
}

// exitError ends a command with a code; its message, if any, is printed by
// Main prefixed with the command's path.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string {
	if e.err != nil {
		return e.err.Error()
	}
	return fmt.Sprintf("exit status %d", e.code)
}

func (e exitError) Unwrap() error { return e.err }

// exited is the error for a command body that printed its own messages and
// returned code: nil for 0.
func exited(code int) error {
	if code == 0 {
		return nil
	}
	return exitError{code: code}
}

// failed is the error for a command that failed with err (exit code 1).
func failed(err error) error {
	return exitError{code: 1, err: err}
}

// usageError is a mistake in the command line (exit code 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// firstArg is a command's optional argument (maxArgs(1, …)): "" when
// none is given.
func firstArg(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}

// maxArgs is cobra.MaximumNArgs with a message that names the arguments.
func maxArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > n {
			return usageError{fmt.Errorf("takes at most %d argument(s) (%s), got %d: %s", n, what, len(args), strings.Join(args, " "))}
		}
		return nil
	}
}
