package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/scenarios"
	"github.com/spf13/cobra"
)

func newValidateCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "validate [FILE...]",
		Short: "Check scenario files: strict YAML, references, provider rules",
		Long: `Validate reads each scenario file as run would, without building anything (no
root, any OS): strict YAML (an unknown field is an error), the references
between resources, and the provider's rules (quotas, session numbers, packet
length, targets). It reports every problem at once, each with its file:line
and the resource and field, and exits 1 if any file has one. A file whose
expectations say that the provider refuses it is fine.

FILE is a scenario file or a name of the embedded library; with no FILE, the
reference walk-through.`,
		Example: `  mirrorlab validate my-scenario.yaml
  mirrorlab validate scenarios/library/*.yaml
  mirrorlab validate quota-violation`,
		GroupID:           groupScenarios,
		ValidArgsFunction: completeScenarios(-1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return exited(cmdValidate(cmd.Context(), a, args))
		},
	}
}

func cmdValidate(ctx context.Context, a *app, files []string) int {
	if len(files) == 0 {
		files = []string{""}
	}
	code := 0
	for _, f := range files {
		s, err := scenarios.LoadContext(ctx, f)
		if errors.Is(err, spec.ErrInterrupted) {
			fmt.Fprintln(a.stderr, err) // Ctrl-C or SIGTERM: no more files
			return 1
		}
		ps := spec.AllProblems(s, err)
		if err != nil && ps == nil {
			fmt.Fprintln(a.stderr, err) // not a problem of the file: unreadable
			code = 1
			continue
		}
		expected := err == nil && s.ExpectsRefusal()
		switch {
		case ps == nil:
			fmt.Fprintf(a.stdout, "%s: ok\n", s.File)
		case expected:
			fmt.Fprintf(a.stdout, "%s: ok (the provider's refusal is expected):\n%s\n", s.File, ps.Report(spec.DefaultReportLimit))
		default:
			fmt.Fprintln(a.stderr, ps.Report(spec.DefaultReportLimit))
			code = 1
		}
	}
	return code
}
