package spec

import "fmt"

// Output counts the output lines of a program that contain a text.
type Output struct {
	Program  string `yaml:"program"`
	Contains string `yaml:"contains"`
	Count    `yaml:",inline"`
}

func (out *Output) check(k *kindCheck) {
	_, ok := k.s.refs.programs[out.Program]
	k.need("program", out.Program, ok, "program")
	if out.Contains == "" {
		k.at("", "missing contains")
	}
	k.count("", &out.Count)
}

func (out *Output) describe() string { return fmt.Sprintf("%s printed %q", out.Program, out.Contains) }

func (out *Output) judge(j *judging) { j.count(out.Count, j.o.Output[out.Program][out.Contains]) }

// OutputWatches returns the texts the expectations count in program's
// output.
func (s *Scenario) OutputWatches(program string) []string {
	var out []string
	for _, e := range s.Expect {
		if o, ok := e.Check.(*Output); ok && o.Program == program {
			out = append(out, o.Contains)
		}
	}
	return out
}
