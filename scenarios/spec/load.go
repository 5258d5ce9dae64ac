package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

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
		s.fileProblems = map[int]bool{}
		for _, p := range decoded {
			s.fileProblems[p.Line] = true
		}
		return s, decoded.sorted()
	}
	return s, nil
}

var yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// decode parses the YAML strictly: an unknown field, a wrong type, a bad
// value or a repeated key is a problem at its line; all of them are
// reported together.
func decode(file string, data []byte) (*Scenario, error) {
	s := &Scenario{File: file}
	if p := badBytes(file, data); p != nil {
		return nil, Problems{p}
	}
	// One parse into a node tree gives the positions, the repeated keys
	// and the alias check; the same decoder then tells whether a second
	// document follows (without parsing the first one again).
	var doc yaml.Node
	nodes := yaml.NewDecoder(bytes.NewReader(data))
	if err := nodes.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, Problems{yamlProblem(file, err.Error())}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, Problems{{File: file, Line: 1, Message: "empty scenario file"}}
	}
	if doc.Content[0].Kind != yaml.MappingNode {
		return nil, Problems{{File: file, Line: doc.Content[0].Line, Message: "a scenario is a mapping (name:, network:, mirror:, …)"}}
	}
	var extra yaml.Node
	if err := nodes.Decode(&extra); !errors.Is(err, io.EOF) {
		return s, Problems{{File: file, Line: extra.Line, Message: "more than one YAML document: a scenario file holds one"}}
	}
	var ps Problems
	duplicateKeys(file, &doc, &ps)
	s.pos, s.names = buildPosIndex(&doc)

	// With repeated keys, decode the tree without them: re-encoded, its
	// lines differ, so each problem goes back to the original line through
	// its document path.
	src, relocate := data, func(p *Problem) {}
	if len(ps) > 0 {
		b, err := yaml.Marshal(&doc)
		if err != nil {
			return s, append(ps, &Problem{File: file, Line: 1, Message: fmt.Sprintf("re-encode without the repeated keys: %v", err)})
		}
		src, relocate = b, relocator(s, b)
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	err := dec.Decode(s)
	var te *yaml.TypeError
	switch {
	case errors.As(err, &te):
		for _, e := range te.Errors {
			p := yamlProblem(file, e)
			relocate(p)
			ps = append(ps, p)
		}
	case err != nil && strings.Contains(err.Error(), "excessive aliasing"):
		// The decoder stopped half-way: what it decoded is no scenario.
		return nil, append(ps, aliasBomb(file, &doc)).sorted()
	case err != nil:
		p := yamlProblem(file, err.Error())
		relocate(p)
		ps = append(ps, p)
	}
	if len(ps) > 0 {
		return s, ps.sorted()
	}
	return s, nil
}

// relocator maps a problem's line in the re-encoded document b back to the
// original file, through the document path found at that line.
func relocator(s *Scenario, b []byte) func(*Problem) {
	var re yaml.Node
	byLine := map[int]string{}
	if yaml.Unmarshal(b, &re) == nil {
		idx, _ := buildPosIndex(&re)
		for path, lc := range idx {
			if cur, ok := byLine[lc[0]]; !ok || len(path) < len(cur) || len(path) == len(cur) && path < cur {
				byLine[lc[0]] = path
			}
		}
	}
	return func(p *Problem) {
		if path, ok := byLine[p.Line]; ok {
			p.Line, p.Col = s.pos.lookup(path)
		} else if p.Line > 0 {
			p.Line, p.Col = 0, 0
		}
	}
}

func yamlProblem(file, msg string) *Problem {
	p := &Problem{File: file, Message: msg}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Message = explainUnknownField(m[2])
	}
	return p
}
