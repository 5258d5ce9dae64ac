// Command mirrorlab tests a cloud VPC Traffic Mirroring set-up on one Linux
// machine: it runs scenario files (topology, mirror configuration, programs,
// traffic, expectations) on an emulated VPC and explains, without root, what
// the provider would do with a scenario's traffic.
//
// It maps flags to the packages below it and keeps no logic of its own: a
// lab's life (build, change, record, list, choose, take down, clean) is
// package lab's, a scenario run's package scenarios/runner's.
//
// The command line is built on github.com/spf13/cobra (the library behind
// kubectl, gh and containerlab): flags go before or after the arguments,
// every command has its own help (`mirrorlab help run`, `mirrorlab run -h`),
// and `mirrorlab completion bash|zsh|fish` prints a shell completion script.
// Single-dash long flags (`-packet`, `-json`), as Go's flag package took
// them, are still accepted (see normaliseArgs).
//
// # Adding a command
//
// Write a constructor in its own file, taking the *app (stdout, stderr) and
// returning the command:
//
//	func newFooCmd(a *app) *cobra.Command {
//		var opts struct{ out string }
//		cmd := &cobra.Command{
//			Use:     "foo [FILE...]",
//			Short:   "one line for the command list",
//			Long:    "What it does, in full.",
//			Example: "  mirrorlab foo rule-order --out x",
//			GroupID: groupScenarios,
//			RunE: func(cmd *cobra.Command, args []string) error {
//				return exited(runFoo(cmd.Context(), a, args, opts.out))
//			},
//		}
//		cmd.Flags().StringVar(&opts.out, "out", "", "write it to this `file`")
//		return cmd
//	}
//
// and add newFooCmd to the list in commands (root.go). A command's body
// prints its own messages to a.stdout and a.stderr and returns an exit code
// (exited turns it into the error that Main maps back to the code), or
// returns an error, which Main prints as "mirrorlab foo: ERROR" and exits
// with 1. Flag and argument mistakes exit with 2. A command that only works
// on Linux keeps its body in foo_linux.go with a stub in foo_other.go (see
// lab_other.go) so that the command line builds, and explains, everywhere.
package main
