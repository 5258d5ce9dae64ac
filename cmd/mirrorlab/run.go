package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/mirrorlab/mirrorlab/scenarios"
	"github.com/mirrorlab/mirrorlab/scenarios/runner"
	"github.com/mirrorlab/mirrorlab/scenarios/spec"
)

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: mirrorlab run [flags] [FILE...]\n\nRuns each scenario (default: the reference walk-through, embedded; a name of\nthe embedded library such as rule-order also works) and exits 0 only when\nevery expectation of every scenario holds. Needs root on Linux.")
		fs.PrintDefaults()
	}
	var (
		jsonOut  = fs.String("json", "", "write the results as JSON to this `file` (- for stdout)")
		junitOut = fs.String("junit", "", "write the results as JUnit XML to this `file`")
		pcapDir  = fs.String("pcap-dir", "", "write a pcapng per mirror target under this `directory`")
		keep     = fs.Bool("keep", false, "leave the lab up after the run (remove it with mirrorlab clean)")
		library  = fs.Bool("library", false, "run the whole embedded library after the FILEs")
		quiet    = fs.Bool("q", false, "no progress lines, only the summaries")
		verbose  = fs.Bool("v", false, "also print the data plane's and the agents' logs")
		stateDir = fs.String("state-dir", "", "directory of the labs' state files (default /run/mirrorlab)")
	)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	names := fs.Args()
	if *library {
		_, lib := scenarios.Library()
		names = append(names, lib...)
	}
	if len(names) == 0 {
		names = []string{""}
	}
	// Read everything first: a bad file stops the run before anything is built.
	var list []*spec.Scenario
	bad := false
	for _, n := range names {
		s, err := scenarios.Load(n)
		if err != nil {
			fmt.Fprintln(stderr, err)
			bad = true
			continue
		}
		list = append(list, s)
	}
	if bad {
		return 1
	}
	if err := runner.Supported(); err != nil {
		fmt.Fprintln(stderr, "mirrorlab run:", err)
		return 1
	}
	// With --json -, stdout carries only the JSON; the rest goes to stderr.
	human := stdout
	if *jsonOut == "-" {
		human = stderr
	}
	opts := runner.Options{PcapDir: *pcapDir, Keep: *keep, StateDir: *stateDir}
	if !*quiet {
		opts.Progress = human
	}
	if *verbose {
		opts.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	}
	var results []*runner.Result
	passed := 0
	for _, s := range list {
		if ctx.Err() != nil {
			break
		}
		fmt.Fprintf(human, "=== %s (%s)\n", s.Name, s.File)
		r := runner.Run(ctx, s, opts)
		results = append(results, r)
		runner.WriteSummary(human, r)
		if r.Passed {
			passed++
		}
	}
	if len(list) > 1 {
		fmt.Fprintf(human, "\n%d of %d scenarios passed\n", passed, len(list))
	}
	code := 0
	if passed != len(list) {
		code = 1
	}
	if *jsonOut != "" {
		if err := writeJSON(*jsonOut, stdout, results); err != nil {
			fmt.Fprintln(stderr, "mirrorlab run:", err)
			code = 1
		}
	}
	if *junitOut != "" {
		if err := writeFile(*junitOut, func(w io.Writer) error { return runner.WriteJUnit(w, results) }); err != nil {
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
