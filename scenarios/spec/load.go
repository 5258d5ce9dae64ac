package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"
)

// Load reads, strictly decodes and checks the scenario file at path. The
// error, when not nil, is Problems: every problem with its file:line.
// Problems of the mirror configuration against the provider's rules are not
// part of Load; see ModelProblems.
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	return Parse(path, data)
}

// Parse is Load for a file already read; file names it in messages.
func Parse(file string, data []byte) (*Scenario, error) {
	s, err := decode(file, data)
	if s == nil || (err != nil && s.pos == nil) {
		return s, err // not YAML, or not a mapping: nothing more to say
	}
	decoded := AsProblems(err)
	if cerr := s.Check(); cerr != nil {
		// Report the semantic problems too, except on lines where a value
		// could not be decoded (its zero value would be reported again).
		bad := map[int]bool{}
		for _, p := range decoded {
			bad[p.Line] = true
		}
		for _, p := range AsProblems(cerr) {
			if !bad[p.Line] {
				decoded = append(decoded, p)
			}
		}
	}
	if len(decoded) > 0 {
		return s, decoded.sorted()
	}
	return s, nil
}

var yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// decode parses the YAML strictly: an unknown field, a wrong type or a bad
// value is a problem at its line; all of them are reported together.
func decode(file string, data []byte) (*Scenario, error) {
	s := &Scenario{File: file}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, Problems{yamlProblem(file, err.Error())}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, Problems{{File: file, Line: 1, Message: "empty scenario file"}}
	}
	if doc.Content[0].Kind != yaml.MappingNode {
		return nil, Problems{{File: file, Line: doc.Content[0].Line, Message: "a scenario is a mapping (name:, network:, mirror:, …)"}}
	}
	s.pos, s.names = buildPosIndex(&doc)

	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(s)
	var te *yaml.TypeError
	switch {
	case errors.As(err, &te):
		ps := make(Problems, 0, len(te.Errors))
		for _, e := range te.Errors {
			ps = append(ps, yamlProblem(file, e))
		}
		return s, ps.sorted()
	case err != nil:
		return s, Problems{yamlProblem(file, err.Error())}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return s, Problems{{File: file, Line: extra.Line, Message: "more than one YAML document: a scenario file holds one"}}
	}
	return s, nil
}

func yamlProblem(file, msg string) *Problem {
	p := &Problem{File: file, Message: msg}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Message = explainUnknownField(m[2])
	}
	return p
}
