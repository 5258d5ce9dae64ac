// Command mirrorlab tests a cloud VPC Traffic Mirroring set-up on one Linux
// machine: it runs scenario files (topology, mirror configuration, programs,
// traffic, expectations) on an emulated VPC and explains, without root, what
// the provider would do with a scenario's traffic.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first Ctrl-C cancels: the run tears its lab down and reports.
		// A second one ends the process at once (sim's clean-up of orphans
		// and `mirrorlab clean` remove what is left).
		<-ctx.Done()
		stop()
	}()
	code := Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage: mirrorlab COMMAND [flags] [args]

commands:
  run [FILE...]            run scenarios (default: the reference walk-through) and judge them
  explain [FILE]           say what the provider does with a scenario's traffic (no root needed)
  validate [FILE...]       check scenario files (strict YAML, references, provider rules)
  up FILE                  build a scenario's lab and leave it running
  exec INSTANCE -- CMD...  run a command inside an instance of the running lab
  down                     tear the running lab down
  clean                    remove what killed runs left behind
  agent [flags]            the decap agent (same flags as mirror-agent)
  bench [flags]            the benchmarks (mirrorlab bench -h)
  schema                   print the scenario JSON Schema
  library                  list the embedded scenario library
  version                  print the version

Run "mirrorlab COMMAND -h" for a command's flags.
`

// Main is the whole command line; it returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "run":
		return cmdRun(ctx, rest, stdout, stderr)
	case "explain":
		return cmdExplain(rest, stdout, stderr)
	case "validate":
		return cmdValidate(rest, stdout, stderr)
	case "schema":
		return cmdSchema(stdout)
	case "library":
		return cmdLibrary(stdout)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, versionString())
		return 0
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	if code, ok := extraCommand(ctx, cmd, rest, stdout, stderr); ok {
		return code
	}
	fmt.Fprintf(stderr, "mirrorlab: unknown command %q\n\n%s", cmd, usage)
	return 2
}
