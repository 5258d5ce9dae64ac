package main

import (
	"encoding/json"
	"fmt"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/explain"
	"github.com/mirrorlab/mirrorlab/scenarios"
	"github.com/spf13/cobra"
)

// explainOptions are explain's flags.
type explainOptions struct {
	packet, eni, dir string
	size             int
	hours, gb        float64
	json, verbose    bool
}

func newExplainCmd(a *app) *cobra.Command {
	var o explainOptions
	cmd := &cobra.Command{
		Use:   "explain [FILE]",
		Short: "Say what the provider does with a scenario's traffic (no root needed)",
		Long: `Explain asks the provider model, without building anything (no root, any OS),
what happens to each traffic flow of the scenario, or to one packet given with
--packet: at each network interface, whether it is mirrored, by which session,
to which target and VNI, truncated or not, delivered to the target or dropped
and why (NACL, security group, quota), and what the mirroring would cost.

FILE is a scenario file or a name of the embedded library; with no FILE, the
reference walk-through. It exits 1 when the provider would refuse the
configuration and the scenario does not expect that.`,
		Example: `  mirrorlab explain
  mirrorlab explain rule-order --json
  mirrorlab explain my.yaml --packet 'tcp 10.0.0.6:40000 -> 10.0.0.5:80' --eni web-eni
  mirrorlab explain --packet 'udp 10.0.0.6:1000 -> 10.0.0.5:53' --size 1400 --direction egress`,
		GroupID:           groupScenarios,
		ValidArgsFunction: completeScenarios(1),
		Args:              maxArgs(1, "a scenario FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmdExplain(a, firstArg(args), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.packet, "packet", "", `explain one packet instead: "tcp 10.0.0.6:40000 -> 10.0.0.5:80" (tcp, udp, icmp or icmpv6, ICMP with an optional "type N"; IPv6 with a port as [ADDR]:PORT)`)
	f.IntVar(&o.size, "size", 64, "payload bytes of the --packet")
	f.StringVar(&o.eni, "eni", "", "decide the --packet only at this network `interface`")
	f.StringVar(&o.dir, "direction", "", "direction at --eni: ingress or egress (default ingress)")
	f.Float64Var(&o.hours, "hours", 730, "hours in the cost estimate (730: a month)")
	f.Float64Var(&o.gb, "gb", 0, "GB mirrored per month, for providers that charge per GB")
	f.BoolVar(&o.json, "json", false, "print the report as JSON")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "also list interfaces that are the source of no session")
	return cmd
}

func cmdExplain(a *app, file string, o explainOptions) error {
	s, err := scenarios.Load(file)
	if err != nil {
		fmt.Fprintln(a.stderr, err)
		return exited(1)
	}
	opts := explain.Options{ENI: o.eni, Direction: o.dir, Hours: o.hours, GB: o.gb}
	if o.packet != "" {
		p, err := explain.ParsePacket(o.packet, o.size)
		if err != nil {
			return usageError{fmt.Errorf("--packet: %w", err)}
		}
		opts.Packet = &p
	}
	r, err := explain.Explain(s, opts)
	if err != nil {
		return failed(err)
	}
	if o.json {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return failed(err)
		}
	} else {
		r.Render(a.stdout, o.verbose)
	}
	if len(r.Problems) > 0 && !r.ProblemsExpected {
		return exited(1)
	}
	return nil
}
