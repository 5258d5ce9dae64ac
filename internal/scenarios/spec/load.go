package spec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
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
	return LoadContext(context.Background(), path)
}

// LoadContext is Load that stops, with an error that wraps ErrInterrupted,
// soon after ctx is done.
func LoadContext(ctx context.Context, path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	return ParseContext(ctx, path, data)
}

// Parse is Load for a file already read; file names it in messages.
func Parse(file string, data []byte) (*Scenario, error) {
	return ParseContext(context.Background(), file, data)
}

// ParseContext is Parse that stops, with an error that wraps
// ErrInterrupted, soon after ctx is done.
func ParseContext(ctx context.Context, file string, data []byte) (*Scenario, error) {
	s, err := decode(ctx, file, data)
	if errors.Is(err, ErrInterrupted) {
		return nil, err
	}
	if s == nil || (err != nil && s.pos == nil) {
		return s, err // not YAML, or not a mapping: nothing more to say
	}
	decoded := AsProblems(err)
	if cerr := s.check(ctx); errors.Is(cerr, ErrInterrupted) {
		return nil, cerr
	} else if cerr != nil {
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
// reported together. The file is parsed once, into a node tree that gives
// the repeated keys, the unknown fields (unknownFields), the scenario
// (decoded from the tree) and the positions; the tree is dropped as the
// positions are indexed. A large file's long sequences are parsed a chunk
// at a time (decodeSplit), so that its whole tree never exists at once.
func decode(ctx context.Context, file string, data []byte) (*Scenario, error) {
	if p := badBytes(file, data); p != nil {
		return nil, Problems{p}
	}
	if runs := runsOutside(data, findRuns(data, splitMinBytes, splitMinItems)); runs != nil {
		if s, ok, err := decodeSplit(ctx, file, data, runs); ok {
			return s, err
		}
	}
	return decodeWhole(ctx, file, data)
}

// decodeWhole decodes data from its whole node tree.
func decodeWhole(ctx context.Context, file string, data []byte) (*Scenario, error) {
	s := &Scenario{File: file}
	doc, ps := parseTree(ctx, file, data)
	if ctx.Err() != nil {
		return nil, interrupted(ctx, file)
	}
	if doc == nil {
		return nil, ps
	}
	if len(ps) > 0 {
		return s, ps // a second document
	}
	duplicateKeys(file, doc, &ps)
	nodes, aliases := treeStats(doc)
	err := doc.Decode(s)
	var te *yaml.TypeError
	switch {
	case errors.As(err, &te):
		for _, e := range te.Errors {
			ps = append(ps, yamlProblem(file, e))
		}
	case err != nil && strings.Contains(err.Error(), "excessive aliasing"):
		// The decoder stopped half-way: what it decoded is no scenario.
		return nil, append(ps, aliasBomb(file, doc)).sorted()
	case err != nil:
		ps = append(ps, yamlProblem(file, err.Error()))
	}
	for _, e := range unknownFields(doc, reflect.TypeFor[Scenario](), nodes+maxIndexedNodes) {
		ps = append(ps, yamlProblem(file, e))
	}
	if ctx.Err() != nil {
		return nil, interrupted(ctx, file)
	}
	s.pos, s.names = buildPosIndex(doc, nodes, !aliases)
	if len(ps) > 0 {
		return s, ps.sorted()
	}
	return s, nil
}

// parseTree parses data into a node tree: nil and the problem when it is
// not YAML, empty or not a mapping; the tree and a problem when a second
// document follows. Reading stops when ctx is done.
func parseTree(ctx context.Context, file string, data []byte) (*yaml.Node, Problems) {
	var doc yaml.Node
	dec := yaml.NewDecoder(ctxReader{ctx, bytes.NewReader(data)})
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, Problems{yamlProblem(file, err.Error())}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, Problems{{File: file, Line: 1, Message: "empty scenario file"}}
	}
	if doc.Content[0].Kind != yaml.MappingNode {
		return nil, Problems{{File: file, Line: doc.Content[0].Line, Message: "a scenario is a mapping (name:, network:, mirror:, …)"}}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return &doc, Problems{{File: file, Line: extra.Line, Message: "more than one YAML document: a scenario file holds one"}}
	}
	return &doc, nil
}

// ctxReader reads from r until ctx is done, so a parse of a large file
// stops soon after an interrupt.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func yamlProblem(file, msg string) *Problem {
	p := &Problem{File: file, Message: msg}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Message = explainUnknownField(m[2])
	}
	return p
}
