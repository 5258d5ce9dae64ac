package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/mirrorlab/mirrorlab/scenarios"
	"github.com/mirrorlab/mirrorlab/scenarios/explain"
	"github.com/mirrorlab/mirrorlab/scenarios/spec"
)

func cmdExplain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: mirrorlab explain [flags] [FILE]\n\nFor each traffic flow of the scenario (default: the reference walk-through),\nor for one packet, say at each interface whether it is mirrored, by which\nsession, to which target and VNI, truncated or not, delivered or why not.")
		fs.PrintDefaults()
	}
	var (
		packet  = fs.String("packet", "", `explain one packet instead: "tcp 10.0.0.6:40000 -> 10.0.0.5:80" (tcp, udp or icmp)`)
		size    = fs.Int("size", 64, "payload bytes of the -packet")
		eni     = fs.String("eni", "", "decide the -packet only at this network interface")
		dir     = fs.String("direction", "", "direction at -eni: ingress or egress (default ingress)")
		hours   = fs.Float64("hours", 730, "hours in the cost estimate (730: a month)")
		gb      = fs.Float64("gb", 0, "GB mirrored per month, for providers that charge per GB")
		asJSON  = fs.Bool("json", false, "print the report as JSON")
		verbose = fs.Bool("v", false, "also list interfaces that are the source of no session")
	)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 1 {
		fs.Usage()
		return 2
	}
	s, err := scenarios.Load(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	opts := explain.Options{ENI: *eni, Direction: *dir, Hours: *hours, GB: *gb}
	if *packet != "" {
		p, err := explain.ParsePacket(*packet, *size)
		if err != nil {
			fmt.Fprintln(stderr, "mirrorlab explain:", err)
			return 2
		}
		opts.Packet = &p
	}
	r, err := explain.Explain(s, opts)
	if err != nil {
		fmt.Fprintln(stderr, "mirrorlab explain:", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
	} else {
		r.Render(stdout, *verbose)
	}
	if len(r.Problems) > 0 && !r.ProblemsExpected {
		return 1
	}
	return 0
}

func cmdValidate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	files := fs.Args()
	if len(files) == 0 {
		files = []string{""}
	}
	code := 0
	for _, f := range files {
		s, err := scenarios.Load(f)
		if err != nil {
			fmt.Fprintln(stderr, err)
			code = 1
			continue
		}
		ps := s.ModelProblems()
		expected := false
		for _, e := range s.Expect {
			expected = expected || e.ValidationError != nil
		}
		switch {
		case ps == nil:
			fmt.Fprintf(stdout, "%s: ok\n", s.File)
		case expected:
			fmt.Fprintf(stdout, "%s: ok (the provider's refusal is expected):\n%v\n", s.File, ps)
		default:
			fmt.Fprintln(stderr, spec.Problems(ps))
			code = 1
		}
	}
	return code
}

func cmdSchema(stdout io.Writer) int {
	_, _ = stdout.Write(scenarios.Schema())
	return 0
}

func cmdLibrary(stdout io.Writer) int {
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
		fmt.Fprintf(stdout, "%-32s %s\n", n, desc)
	}
	return 0
}
