package spec

import "fmt"

// output counts the output lines of a program that contain a text.
type output struct {
	Program  string `yaml:"program"`
	Contains string `yaml:"contains"`
	Count    `yaml:",inline"`
}

func (out *output) check(k *kindCheck) {
	_, ok := k.s.refs.programs[out.Program]
	k.need("program", out.Program, ok, "program")
	if out.Contains == "" {
		k.at("", "missing contains")
	}
	k.count("", &out.Count)
}

func (out *output) describe() string { return fmt.Sprintf("%s printed %q", out.Program, out.Contains) }

func (out *output) judge(j *judging) { j.count(out.Count, j.o.Output[out.Program][out.Contains]) }

// OutputWatches returns the texts the expectations count in program's
// output.
func (s *Scenario) OutputWatches(program string) []string {
	var out []string
	for _, e := range s.Expect {
		if o, ok := e.Check.(*output); ok && o.Program == program {
			out = append(out, o.Contains)
		}
	}
	return out
}
