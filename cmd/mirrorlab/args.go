package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// annotationFlagsFirst marks a command whose flags all come before its first
// argument, because what follows is another program's command line (exec).
const annotationFlagsFirst = "mirrorlab/flags-first"

// normaliseArgs rewrites single-dash long flags ("-packet X", "-json=F"), as
// Go's flag package took them and as scripts and the README have written
// them, into pflag's "--packet X" for the command that args select. Only a
// name that is a long flag of that command is rewritten (never a shorthand
// cluster such as -qv, never a flag's value, never what follows "--"); the
// commands that parse their own arguments (agent, bench) get them unchanged.
func normaliseArgs(root *cobra.Command, args []string) []string {
	cmd, _, err := root.Find(args)
	if err != nil || cmd.DisableFlagParsing {
		return args
	}
	cmd.InitDefaultHelpFlag()
	root.InitDefaultVersionFlag()
	lookup := func(name string) *pflag.Flag {
		if f := cmd.Flags().Lookup(name); f != nil {
			return f
		}
		return cmd.InheritedFlags().Lookup(name)
	}
	// The names of the command's path (after the root's) come first among
	// the positional arguments.
	path := strings.Fields(cmd.CommandPath())[1:]
	flagsFirst := cmd.Annotations[annotationFlagsFirst] != ""
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		out = append(out, a)
		switch {
		case a == "--":
			return append(out, args[i+1:]...)
		case len(a) < 2 || a[0] != '-':
			if len(path) > 0 && a == path[0] {
				path = path[1:]
				continue
			}
			if flagsFirst {
				return append(out, args[i+1:]...)
			}
			continue
		}
		name, hasValue := strings.TrimLeft(a, "-"), false
		if k := strings.IndexByte(name, '='); k >= 0 {
			name, hasValue = name[:k], true
		}
		var f *pflag.Flag
		switch {
		case strings.HasPrefix(a, "--"):
			f = lookup(name)
		case len(name) == 1:
			f = cmd.Flags().ShorthandLookup(name)
			if f == nil {
				f = cmd.InheritedFlags().ShorthandLookup(name)
			}
		default:
			if f = lookup(name); f != nil {
				out[len(out)-1] = "-" + a
			}
		}
		if f != nil && !hasValue && f.NoOptDefVal == "" && i+1 < len(args) {
			// the flag's value, whatever it looks like
			i++
			out = append(out, args[i])
		}
	}
	return out
}
