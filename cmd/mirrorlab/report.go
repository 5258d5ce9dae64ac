package main

import (
	"errors"
	"fmt"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"
	"io"

	"github.com/spf13/cobra"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/htmlreport"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/merge"
)

func newReportCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Work with the reports of runs (merge the shards' reports)",
		Long: `Report works with the reports that mirrorlab run writes (--json, --junit).
Its merge command joins the reports of runs made apart, such as the shards of
a CI matrix or of a Kubernetes Indexed Job (mirrorlab run --shard I/N).`,
		Example: `  mirrorlab report merge shard-*.json shard-*.xml --json all.json --junit all.xml --html all.html`,
		GroupID: groupScenarios,
		Args:    cobra.NoArgs,
	}
	cmd.AddCommand(newReportMergeCmd(a))
	return cmd
}

type mergeOptions struct{ jsonOut, junitOut, htmlOut string }

func newReportMergeCmd(a *app) *cobra.Command {
	var o mergeOptions
	cmd := &cobra.Command{
		Use:   "merge FILE...",
		Short: "Join the JSON and JUnit reports of several runs into one",
		Long: `Merge reads the JSON results (run --json) and JUnit XML files (run --junit) of
several runs, tells them apart by their content, and writes one of each: the
JSON results of every run in the order of the FILEs, and one JUnit file with
every test suite and the totals summed. It prints how many scenarios passed,
and exits 0 only when every scenario of the JSON files passed and no JUnit test
failed or erred (1 otherwise; 2 for a file it cannot read).`,
		Example: `  # after four shards ran: mirrorlab run --library --shard I/4 --json shard-I.json --junit shard-I.xml
  mirrorlab report merge shard-*.json shard-*.xml --json all.json --junit all.xml

  # one HTML page for all of them
  mirrorlab report merge shard-*.json --html all.html`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return exited(cmdReportMerge(a, args, o))
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.jsonOut, "json", "", "write the joined JSON results to this `file` (- for stdout)")
	f.StringVar(&o.junitOut, "junit", "", "write the joined JUnit XML to this `file`")
	f.StringVar(&o.htmlOut, "html", "", "write one HTML report of the joined JSON results to this `file`")
	return cmd
}

func cmdReportMerge(a *app, files []string, o mergeOptions) int {
	m, err := merge.Files(files)
	if err != nil {
		fmt.Fprintln(a.stderr, "mirrorlab report merge:", err)
		return 2
	}
	human := a.stdout
	if o.jsonOut == "-" {
		human = a.stderr
	}
	var errs []error
	if o.jsonOut != "" {
		if m.JSONFiles == 0 {
			errs = append(errs, errors.New("--json: no JSON results among the files"))
		} else {
			errs = append(errs, writeOut(o.jsonOut, a.stdout, func(w io.Writer) error { return merge.WriteJSON(w, m.Results) }))
		}
	}
	if o.junitOut != "" {
		if m.JUnitFiles == 0 {
			errs = append(errs, errors.New("--junit: no JUnit XML among the files"))
		} else {
			errs = append(errs, writeFile(o.junitOut, m.WriteJUnit))
		}
	}
	if o.htmlOut != "" {
		if m.JSONFiles == 0 {
			errs = append(errs, errors.New("--html: the page is drawn from JSON results, and there are none among the files"))
		} else {
			errs = append(errs, htmlreport.WriteFile(o.htmlOut, mergedRuns(m.Results)))
		}
	}
	fmt.Fprintln(human, m.Summary())
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintln(a.stderr, "mirrorlab report merge:", err)
		return 1
	}
	if !m.Passed() {
		return 1
	}
	return 0
}

// mergedRuns pairs each result with its scenario, when it can still be read.
func mergedRuns(results []*report.Result) []htmlreport.Run {
	runs := make([]htmlreport.Run, len(results))
	for i, r := range results {
		runs[i] = htmlreport.Run{Scenario: scenarioOf(r), Result: r}
	}
	return runs
}

// writeOut writes to stdout for "-", else to the file.
func writeOut(path string, stdout io.Writer, write func(io.Writer) error) error {
	if path == "-" {
		return write(stdout)
	}
	return writeFile(path, write)
}
