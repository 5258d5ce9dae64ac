package scenarios

import (
	"github.com/mirrorlab/mirrorlab/agent/cli"
	"github.com/mirrorlab/mirrorlab/agent/compare"
	"github.com/mirrorlab/mirrorlab/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/scenarios/workload"
)

// Builtins are the built-in programs' own checks of what a scenario gives
// them: each program's args, parsed by the program's own parser (the
// agent's are mirror-agent's flags, so a scenario accepts exactly what
// mirror-agent accepts), and the agent's response comparison options.
func Builtins() spec.Builtins {
	return spec.Builtins{
		Args: map[string]func([]string) error{
			spec.BuiltinHTTPServer: func(args []string) error { _, err := workload.ParseServerArgs(args); return err },
			spec.BuiltinUDPSink:    func(args []string) error { _, err := workload.ParseSinkArgs(args); return err },
			spec.BuiltinAgent: func(args []string) error {
				cfg, err := cli.ParseConfig(args)
				if err == nil {
					err = cfg.Validate()
				}
				return err
			},
		},
		CompareIgnores: func(headers, jsonPaths []string) error {
			_, err := compare.New(compare.Options{IgnoreHeaders: headers, IgnoreJSON: jsonPaths})
			return err
		},
	}
}
