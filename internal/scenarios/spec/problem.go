package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a scenario file, at a place in it. It is
// the one problem type of every report (validate, run and explain --json):
// its JSON adds "text", the whole problem in one line (Error).
type Problem struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Col  int    `json:"col,omitempty"`
	// Path is the place in the document, list items named by their name:
	// mirror.sessions[web-session].SessionNumber (by index for items
	// without a name: network.networkAcls[0].entries[3]).
	Path string `json:"path,omitempty"`
	// Code is the provider's error code for model validation problems
	// (InvalidParameterValue, TrafficMirrorSessionLimitExceeded, …), empty
	// for problems of the file itself.
	Code string `json:"code"`
	// Resource and Field are set for model validation problems.
	Resource string `json:"resource"`
	Field    string `json:"field"`
	Message  string `json:"message"`

	// text is the problem's line as a report read back gave it (a report
	// of an older version has no file or message).
	text string
}

// UnmarshalJSON reads a problem back from a report, its text included.
func (p *Problem) UnmarshalJSON(b []byte) error {
	type plain Problem
	v := struct {
		*plain
		Text string `json:"text"`
	}{plain: (*plain)(p)}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	p.text = v.Text
	return nil
}

// MarshalJSON writes the problem with its one-line text.
func (p Problem) MarshalJSON() ([]byte, error) {
	type plain Problem
	return json.Marshal(struct {
		plain
		Text string `json:"text"`
	}{plain(p), p.Error()})
}

func (p *Problem) Error() string {
	if p.text != "" {
		return p.text
	}
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
		if p.Col > 0 {
			fmt.Fprintf(&b, ":%d", p.Col)
		}
	}
	b.WriteString(": ")
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	if p.Code != "" {
		b.WriteString(p.Code)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every problem found, in file order; it is an error.
type Problems []*Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find each *Problem.
func (ps Problems) Unwrap() []error {
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = p
	}
	return errs
}

func (ps Problems) sorted() Problems {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Line != ps[j].Line {
			return ps[i].Line < ps[j].Line
		}
		return ps[i].Col < ps[j].Col
	})
	return ps
}

// AsProblems returns the problems in err (nil when it holds none).
func AsProblems(err error) Problems {
	var ps Problems
	if errors.As(err, &ps) {
		return ps
	}
	var p *Problem
	if errors.As(err, &p) {
		return Problems{p}
	}
	return nil
}

// problems collects problems against a scenario's positions.
type problems struct {
	s   *Scenario
	out Problems
}

// at records a problem at path (the nearest existing node of it gives the
// line).
func (c *problems) at(path, format string, args ...any) {
	line, col := c.s.pos.lookup(path)
	c.out = append(c.out, &Problem{File: c.s.File, Line: line, Col: col, Path: c.s.names.named(path), Message: fmt.Sprintf(format, args...)})
}

func (c *problems) err() error {
	if len(c.out) == 0 {
		return nil
	}
	return c.out.sorted()
}

// AllProblems is every problem of a scenario that Parse (or Load) returned
// with err: the file's own and, as far as they can still be checked, the
// provider's rules (ModelProblems), in file order. A problem of one kind
// does not hide those of another. nil when err holds no Problems and the
// model has none.
func AllProblems(s *Scenario, err error) Problems {
	ps := append(Problems(nil), AsProblems(err)...)
	if s != nil && s.pos != nil && s.addrs != nil {
		ps = append(ps, s.ModelProblems()...)
	}
	if len(ps) == 0 {
		return nil
	}
	return ps.sorted()
}

// DefaultReportLimit is how many problems Report lists before it counts
// the rest.
const DefaultReportLimit = 50

// Report lists the first limit problems, one a line, then counts the rest
// by kind: "and 67186 more of these kinds: NetworkAclEntryAlreadyExists
// (60000), unknown field (7186)". The output stays short whatever the
// file.
func (ps Problems) Report(limit int) string {
	if limit <= 0 || len(ps) <= limit {
		return ps.Error()
	}
	var b strings.Builder
	b.WriteString(ps[:limit].Error())
	counts := map[string]int{}
	var kinds []string
	for _, p := range ps[limit:] {
		k := p.kind()
		if counts[k] == 0 {
			kinds = append(kinds, k)
		}
		counts[k]++
	}
	sort.SliceStable(kinds, func(i, j int) bool { return counts[kinds[i]] > counts[kinds[j]] })
	fmt.Fprintf(&b, "\nand %d more of these kinds: ", len(ps)-limit)
	for i, k := range kinds {
		if i == 10 {
			fmt.Fprintf(&b, ", and %d other kinds", len(kinds)-10)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s (%d)", k, counts[k])
	}
	return b.String()
}

// kind is the provider's code, or the message up to its first quoted or
// numeric detail ("unknown field", "rule number").
func (p *Problem) kind() string {
	if p.Code != "" {
		return p.Code
	}
	m := p.Message
	if i := strings.IndexAny(m, "\"0123456789(:"); i > 0 {
		m = m[:i]
	}
	if m = strings.TrimSpace(m); m == "" {
		return "other"
	}
	return m
}
