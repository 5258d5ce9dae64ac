package spec

import (
	"fmt"
	"slices"
)

// Built-in program names.
const (
	BuiltinHTTPServer = "http-server"
	BuiltinAgent      = "agent"
	BuiltinUDPSink    = "udp-sink"
)

// builtinNames are the built-in programs, in the order messages list them.
var builtinNames = []string{BuiltinHTTPServer, BuiltinAgent, BuiltinUDPSink}

// Builtins are the checks that only the programs themselves know: each
// built-in program's args by its name, parsed as the program parses them,
// and the agent's response comparison options. The package that runs the
// programs registers them (runner.Builtins), so that spec imports none of
// them.
type Builtins struct {
	Args map[string]func(args []string) error
	// CompareIgnores checks sameResponses' ignoreHeaders and ignoreJson as
	// the agent's -compare-ignore-header and -compare-ignore-json.
	CompareIgnores func(headers, jsonPaths []string) error
}

// argChecker is an expectation kind that has fields only a program knows
// how to check.
type argChecker interface {
	checkArgs(k *kindCheck, b Builtins)
}

// CheckArgs checks, with b, what only the programs know: the built-in
// programs' args and the expectations' program options. The error, when
// not nil, is Problems, each at its line.
func (s *Scenario) CheckArgs(b Builtins) error {
	c := &problems{s: s}
	for i, pr := range s.Programs {
		if check := b.Args[pr.Builtin]; check != nil && len(pr.Command) == 0 {
			if err := check(pr.Args); err != nil {
				c.at(fmt.Sprintf("programs[%d].args", i), "%s: %v", pr.Builtin, err)
			}
		}
	}
	for i, e := range s.Expect {
		if ac, ok := e.Check.(argChecker); ok {
			ac.checkArgs(&kindCheck{s: s, c: c, kp: fmt.Sprintf("expect[%d].%s", i, e.key)}, b)
		}
	}
	return c.err()
}

// JoinProblems adds more to the problems of err, in file order.
func JoinProblems(err error, more error) error {
	ps := append(AsProblems(err), AsProblems(more)...)
	if len(ps) == 0 {
		if err != nil {
			return err
		}
		return more
	}
	return ps.sorted()
}

func isBuiltin(name string) bool { return slices.Contains(builtinNames, name) }

// BuiltinNames are the built-in programs' names, the keys of the programs
// that the runner registers (runner.Builtins).
func BuiltinNames() []string { return slices.Clone(builtinNames) }
