package main

import (
	"fmt"
	"io"

	"github.com/mirrorlab/mirrorlab/scenarios"
	"github.com/mirrorlab/mirrorlab/scenarios/spec"
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

func newLibraryCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "library",
		Short: "List the embedded scenario library",
		Long: `Library lists the scenarios embedded in the binary, one per mirroring
semantic, with their descriptions. Any command that takes a FILE also takes
one of these names ("rule-order" or "rule-order.yaml").`,
		Example: `  mirrorlab library
  mirrorlab explain rule-order
  sudo mirrorlab run --library`,
		GroupID: groupScenarios,
		Args:    maxArgs(0, "none"),
		RunE: func(*cobra.Command, []string) error {
			lib, names := scenarios.Library()
			for _, n := range names {
				s, err := spec.Parse("library/"+n, lib[n])
				desc := ""
				if err == nil {
					desc = s.Description
					if len(desc) > 90 {
						desc = desc[:87] + "..."
					}
				}
				fmt.Fprintf(a.stdout, "%-32s %s\n", n, desc)
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
