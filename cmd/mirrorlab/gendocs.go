package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

//go:generate go run . gendocs ../../docs/cli

// newGendocsCmd writes the command reference (docs/cli) from the commands'
// own definitions. Hidden: it is for this repository, not for users; a test
// fails when docs/cli differs from what it writes.
func newGendocsCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "gendocs DIR",
		Short:   "Write the command reference as Markdown into DIR",
		Long:    "Gendocs writes one Markdown page per command into DIR (docs/cli in this repository), from the same definitions as the help.",
		Example: "  go run ./cmd/mirrorlab gendocs docs/cli   # or: go generate ./cmd/mirrorlab",
		Hidden:  true,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := writeDocs(cmd.Root(), args[0])
			if err != nil {
				return failed(err)
			}
			fmt.Fprintf(a.stdout, "wrote %d pages into %s\n", n, args[0])
			return nil
		},
	}
}

// writeDocs replaces the Markdown pages in dir with the reference of root's
// commands, and returns how many it wrote.
func writeDocs(root *cobra.Command, dir string) (int, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	old, err := filepath.Glob(filepath.Join(dir, "mirrorlab*.md"))
	if err != nil {
		return 0, err
	}
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return 0, err
		}
	}
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	root.DisableAutoGenTag = true // no date: the pages are compared in tests
	if err := doc.GenMarkdownTree(root, dir); err != nil {
		return 0, fmt.Errorf("write the command reference: %w", err)
	}
	pages, err := filepath.Glob(filepath.Join(dir, "mirrorlab*.md"))
	return len(pages), err
}
