package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/scenarios"
	"github.com/spf13/cobra"
)

func newSchemaCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the scenario format's JSON Schema",
		Long: `Schema prints the JSON Schema of the scenario format (the same as
scenarios/schema.json), for editors: point yaml-language-server at it to get
completion and checks while writing a scenario.`,
		Example: `  mirrorlab schema > mirrorlab.schema.json
  # in a scenario file, for the YAML language server:
  # yaml-language-server: $schema=./mirrorlab.schema.json`,
		GroupID: groupScenarios,
		Args:    maxArgs(0, "none"),
		RunE: func(*cobra.Command, []string) error {
			if err := writeTo(a.stdout, scenarios.Schema()); err != nil {
				return failed(err)
			}
			return nil
		},
	}
}

// libraryIndent is where the library's descriptions start.
const libraryIndent = 33

// wrap re-flows text into lines of at most width bytes (a longer word gets
// a line of its own).
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		switch {
		case line == "":
			line = w
		case len(line)+1+len(w) <= width:
			line += " " + w
		default:
			lines = append(lines, line)
			line = w
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

func newLibraryCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "library",
		Short: "List the embedded scenario library",
		Long: `Library lists the scenarios embedded in the binary, one per mirroring
semantic, with their descriptions. Any command that takes a FILE also takes
one of these names ("rule-order" or "rule-order.yaml"). The descriptions are
printed whole, wrapped to 80 columns.`,
		Example: `  mirrorlab library
  mirrorlab explain rule-order
  sudo mirrorlab run --library`,
		GroupID: groupScenarios,
		Args:    maxArgs(0, "none"),
		RunE: func(*cobra.Command, []string) error {
			lib, names := scenarios.Library()
			for _, n := range names {
				desc := ""
				if s, err := spec.Parse("library/"+n, lib[n]); err != nil {
					desc = err.Error()
				} else {
					desc = s.Description
				}
				// the whole description, wrapped beside the name
				lines := wrap(desc, 80-libraryIndent)
				if len(lines) == 0 {
					lines = []string{""}
				}
				fmt.Fprintf(a.stdout, "%-*s%s\n", libraryIndent, n, lines[0])
				for _, l := range lines[1:] {
					fmt.Fprintf(a.stdout, "%*s%s\n", libraryIndent, "", l)
				}
			}
			return nil
		},
	}
}

func newVersionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version",
		Long:    "Version prints mirrorlab's version, its source revision, the Go version and the platform.",
		Example: "  mirrorlab version\n  mirrorlab --version",
		GroupID: groupTools,
		Args:    maxArgs(0, "none"),
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintln(a.stdout, versionString())
			return nil
		},
	}
}

func writeTo(w io.Writer, b []byte) error {
	_, err := w.Write(b)
	return err
}

// completeScenarios completes a FILE argument with the names of the
// embedded library, and lets the shell complete file names as well.
func completeScenarios(max int) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if max >= 0 && len(args) >= max {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		_, names := scenarios.Library()
		var out []cobra.Completion
		for _, n := range names {
			n = strings.TrimSuffix(n, ".yaml")
			if strings.HasPrefix(n, toComplete) {
				out = append(out, n)
			}
		}
		return out, cobra.ShellCompDirectiveDefault
	}
}
