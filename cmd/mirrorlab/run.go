package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"
	"io"
	"log/slog"
	"os"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/progress"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/runner"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/lab"
	"github.com/mirrorlab/mirrorlab/scenarios"
	"github.com/spf13/cobra"
)

// runOptions are run's flags.
type runOptions struct {
	jsonOut, junitOut, pcapDir, stateDir string
	keep, library, quiet, verbose        bool
	htmlOut, shard                       string
	jobs                                 int
	noKernelPath                         bool
}

func newRunCmd(a *app) *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run [FILE...]",
		Short: "Run scenarios on an emulated VPC and judge them",
		Long: `Run builds each scenario's VPC out of network namespaces, starts the mirror
service, the programs and the decap agents, drives the traffic, and checks the
expectations. It exits 0 only when every expectation of every scenario holds.

A FILE is a scenario file, or the name of a scenario of the embedded library
(mirrorlab library lists them: "rule-order" or "rule-order.yaml"). With no FILE
it runs the embedded reference walk-through. Every file is read and checked
before anything is built. Needs root on Linux.`,
		Example: `  # the reference walk-through, as root (or prefix with sudo env "PATH=$PATH")
  mirrorlab run

  # a scenario of the library, with reports for CI
  mirrorlab run rule-order --junit out.xml --json out.json --pcap-dir pcap

  # the whole library, only the summaries
  mirrorlab run --library -q

  # JSON on stdout, the summaries on stderr
  mirrorlab run my-scenario.yaml --json -

  # a report to look at: topology, sessions, counters, verdicts, timeline
  mirrorlab run --library --html report.html

  # the whole library, two scenarios at a time (each in its own lab)
  mirrorlab run --library --jobs 2

  # the second of four shares of the library (one CI runner of four)
  mirrorlab run --library --shard 2/4 --json shard-2.json --junit shard-2.xml`,
		GroupID:           groupScenarios,
		ValidArgsFunction: completeScenarios(-1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return exited(cmdRun(cmd.Context(), a, args, o))
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.jsonOut, "json", "", "write the results as JSON to this `file` (- for stdout)")
	f.StringVar(&o.junitOut, "junit", "", "write the results as JUnit XML to this `file`")
	f.StringVar(&o.htmlOut, "html", "", "write a self-contained HTML report of the runs to this `file`")
	f.StringVar(&o.shard, "shard", "", shardFlagHelp)
	f.IntVarP(&o.jobs, "jobs", "j", 1, jobsFlagHelp)
	f.StringVar(&o.pcapDir, "pcap-dir", "", "write a pcapng per mirror target under this `directory`")
	f.BoolVar(&o.noKernelPath, "no-kernel-path", false, "decide every mirrored packet in user space, without the in-kernel mirror path (to compare the two)")
	f.BoolVar(&o.keep, "keep", false, "leave the lab up after the run, for exec, status and down (nothing mirrors any more)")
	f.BoolVar(&o.library, "library", false, "run the whole embedded library after the FILEs")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress lines, only the summaries")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "also print the data plane's and the agents' logs")
	f.StringVar(&o.stateDir, "state-dir", "", "`directory` of the labs' state files (default /run/mirrorlab)")
	return cmd
}

func cmdRun(ctx context.Context, a *app, names []string, o runOptions) int {
	stdout, stderr := a.stdout, a.stderr
	if o.library {
		_, lib := scenarios.Library()
		names = append(names, lib...)
	}
	if len(names) == 0 {
		names = []string{""}
	}
	// Read everything first: a bad file stops the run before anything is built.
	list, ok := loadScenarios(ctx, names, stderr)
	if !ok {
		return 1
	}
	// With --json -, stdout carries only the JSON; the rest goes to stderr.
	human := stdout
	if o.jsonOut == "-" {
		human = stderr
	}
	list, err := selectShard(list, o.shard, human)
	if err == nil && o.jobs < 1 {
		err = fmt.Errorf("--jobs %d: run at least one scenario at a time", o.jobs)
	}
	if err != nil {
		fmt.Fprintln(stderr, "mirrorlab run:", err)
		return 2
	}
	if err := lab.Supported(); err != nil {
		fmt.Fprintln(stderr, "mirrorlab run:", err)
		return 1
	}
	results, passed := runScenarios(ctx, list, o, human, stderr, runner.Run)
	if len(list) > 1 {
		fmt.Fprintf(human, "\n%d of %d scenarios passed\n", passed, len(list))
	}
	code := writeRunReports(o, stdout, stderr, list, results)
	if passed != len(list) {
		code = 1
	}
	return code
}

// loadScenarios reads and checks every named scenario, printing the
// problems of each bad one on stderr; ok is false when any was bad. After
// an interruption it reads no more.
func loadScenarios(ctx context.Context, names []string, stderr io.Writer) (list []*spec.Scenario, ok bool) {
	bad := false
	for _, n := range names {
		s, err := scenarios.LoadContext(ctx, n)
		if err != nil {
			fmt.Fprintln(stderr, err)
			bad = true
			if errors.Is(err, spec.ErrInterrupted) {
				break // Ctrl-C or SIGTERM: read no more files
			}
			continue
		}
		list = append(list, s)
	}
	return list, !bad
}

// runScenarios runs list, o.jobs at a time, with run (runner.Run outside
// tests), printing each scenario's summary on human, and returns the
// results in list's order and how many passed.
func runScenarios(ctx context.Context, list []*spec.Scenario, o runOptions, human, stderr io.Writer, run runFunc) ([]*report.Result, int) {
	j := &jobs{n: o.jobs, run: run, human: human, stderr: stderr,
		opts: runner.Options{PcapDir: o.pcapDir, Keep: o.keep, StateDir: o.stateDir, UserSpaceOnly: o.noKernelPath}}
	if !o.quiet {
		j.display = progress.New(human, progress.IsTerminal(human))
		defer j.display.Done()
		if j.n > 1 && len(list) > 1 {
			fmt.Fprintf(human, "running %d scenarios, %d at a time: each one's lines appear when it ends\n", len(list), min(j.n, len(list)))
		}
	}
	if o.verbose {
		j.opts.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	}
	return j.runAll(ctx, list)
}

// writeRunReports writes the JSON, JUnit and HTML reports that o asks for,
// in that order, and returns 1 when one could not be written (each error
// printed on stderr), else 0.
func writeRunReports(o runOptions, stdout, stderr io.Writer, list []*spec.Scenario, results []*report.Result) int {
	code := 0
	for _, out := range []struct {
		file  string
		write func() error
	}{
		{o.jsonOut, func() error { return writeJSON(o.jsonOut, stdout, results) }},
		{o.junitOut, func() error {
			return writeFile(o.junitOut, func(w io.Writer) error { return report.WriteJUnit(w, results) })
		}},
		{o.htmlOut, func() error { return writeHTML(o.htmlOut, list, results) }},
	} {
		if out.file == "" {
			continue
		}
		if err := out.write(); err != nil {
			fmt.Fprintln(stderr, "mirrorlab run:", err)
			code = 1
		}
	}
	return code
}

func writeJSON(path string, stdout io.Writer, v any) error {
	write := func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	if path == "-" {
		return write(stdout)
	}
	return writeFile(path, write)
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
