package spec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"gopkg.in/yaml.v3"
)

// knownFieldsErrors is what yaml.v3's strict decoder (KnownFields) says
// about unknown fields in data: the reference for unknownFields.
func knownFieldsErrors(data []byte) []string {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var s Scenario
	var te *yaml.TypeError
	var out []string
	if errors.As(dec.Decode(&s), &te) {
		for _, e := range te.Errors {
			if strings.Contains(e, " not found in type ") {
				out = append(out, e)
			}
		}
	}
	slices.Sort(out)
	return out
}

func unknownFieldsOf(t *testing.T, data []byte) []string {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	out := unknownFields(&doc, reflect.TypeFor[Scenario](), 1_000_000)
	slices.Sort(out)
	return out
}

// mappings lists every mapping node of a tree.
func mappings(n *yaml.Node, out *[]*yaml.Node) {
	if n.Kind == yaml.MappingNode {
		*out = append(*out, n)
	}
	for _, c := range n.Content {
		mappings(c, out)
	}
}

// TestUnknownFieldsAsKnownFields: the loader's own unknown-field check,
// which lets it decode the one tree it parsed, says exactly what yaml.v3's
// KnownFields says, for a stray key put into every mapping of every
// scenario of the library (inline fields, lists of kinds, maps), and with
// merge keys.
func TestUnknownFieldsAsKnownFields(t *testing.T) {
	files, _ := filepath.Glob("../../../scenarios/library/*.yaml")
	files = append(files, "../../../scenarios/default.yaml")
	strays := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(src, &doc); err != nil {
			t.Fatal(err)
		}
		var ms []*yaml.Node
		mappings(&doc, &ms)
		for i, m := range ms {
			m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: fmt.Sprintf("stray%d", i)}, &yaml.Node{Kind: yaml.ScalarNode, Value: "1"})
		}
		b, err := yaml.Marshal(&doc)
		if err != nil {
			t.Fatal(err)
		}
		want, got := knownFieldsErrors(b), unknownFieldsOf(t, b)
		if !slices.Equal(got, want) {
			t.Fatalf("%s, a stray key in each of its %d mappings:\ngot  %q\nwant %q", f, len(ms), got, want)
		}
		strays += len(want) + tableStrays(t, f, &doc, b)
	}
	merged := `name: m
profile: &p {provider: aws, colour: red}
network:
  vpcs:
    - &v {name: a, CidrBlock: 10.0.0.0/24, size: 3}
    - {<<: *v, name: b, size: 4, CidrBlock: 10.0.1.0/24}
    - <<: [*v, {flavour: x}]
      name: c
mirror: {<<: {filters: [], weight: 2}}
`
	if want, got := knownFieldsErrors([]byte(merged)), unknownFieldsOf(t, []byte(merged)); !slices.Equal(got, want) || len(want) < 1 {
		t.Errorf("merge keys:\ngot  %q\nwant %q", got, want)
	}
	// the sections the model's tables decode follow merge keys too
	_, err := Parse("merged.yaml", []byte(merged))
	for _, k := range []string{"size", "flavour", "weight"} {
		if !strings.Contains(fmt.Sprint(err), `unknown field "`+k+`"`) {
			t.Errorf("merge keys: stray %s not reported: %v", k, err)
		}
	}
	if strays < 1000 {
		t.Errorf("only %d stray keys reported in %d files", strays, len(files))
	}
}

// TestPositionsPastTheOldIndexLimit: every node of a large file is
// indexed, so a problem in its last entries points at its key (the old
// index stopped after 200 000 nodes and pointed at an ancestor).
func TestPositionsPastTheOldIndexLimit(t *testing.T) {
	src := largeNACL(t, 30_000) // some 450 000 nodes
	s, err := Parse("big.yaml", src)
	if s == nil || s.pos == nil {
		t.Fatalf("not parsed: %v", err)
	}
	lines := strings.Split(string(src), "\n")
	first := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, "{RuleNumber: 1, Protocol: tcp") })
	path := "network.networkAcls[2].entries[29999].RuleNumber"
	_, line, col := s.Position(path)
	wantCol := strings.Index(lines[first], "RuleNumber") + 1
	if line != first+1+29999 || col != wantCol {
		t.Errorf("Position(%s) = %d:%d, want %d:%d", path, line, col, first+1+29999, wantCol)
	}
	if got := s.names.named(path); got != "network.networkAcls[test-acl].entries[29999].RuleNumber" {
		t.Errorf("named(%s) = %s", path, got)
	}
}

// pollCtx is a context that reports itself cancelled from its (left+1)-th
// look on, and counts the looks: a deterministic interrupt.
type pollCtx struct {
	context.Context
	left, polls atomic.Int64
}

func newPollCtx(left int64) *pollCtx {
	c := &pollCtx{Context: context.Background()}
	c.left.Store(left)
	return c
}

func (c *pollCtx) Err() error {
	c.polls.Add(1)
	if c.left.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// TestInterruptStopsValidation: a validation of 20 000 instances (whose
// list is decoded a chunk at a time) and one of 5 000 (decoded whole) look
// at their context all along (reading, decoding, checking, handing out
// addresses), and wherever they are interrupted they return at that look
// with an error that wraps ErrInterrupted and the context's cause.
func TestInterruptStopsValidation(t *testing.T) {
	for _, n := range []int{20_000, 5_000} {
		data := largeInstances(n)
		all := newPollCtx(1 << 62)
		if _, err := ParseContext(all, "big.yaml", data); err != nil && errors.Is(err, ErrInterrupted) {
			t.Fatal(err)
		}
		total := all.polls.Load()
		if total < int64(n/chunkItems) {
			t.Fatalf("%d instances: the validation looked at its context %d times: not periodically", n, total)
		}
		for _, left := range []int64{0, 1, total / 3, total / 2, total - 8, total - 2, total - 1} {
			ctx := newPollCtx(left)
			s, err := ParseContext(ctx, "big.yaml", data)
			if !errors.Is(err, ErrInterrupted) || !errors.Is(err, context.Canceled) || s != nil {
				t.Fatalf("%d instances, interrupted at look %d of %d: got %v, %v", n, left+1, total, s, err)
			}
			if !strings.HasPrefix(err.Error(), "interrupted: loading big.yaml stopped") {
				t.Errorf("message %q", err)
			}
			if extra := ctx.polls.Load() - (left + 1); extra > 2 {
				t.Errorf("%d instances, interrupted at look %d of %d: went on for %d more looks", n, left+1, total, extra)
			}
		}
	}
}

// tableStrays checks that the sections decoded by the model's tables
// (tableSections) report the stray key of each of their
// mappings, and returns how many there were.
func tableStrays(t *testing.T, f string, doc *yaml.Node, b []byte) int {
	t.Helper()
	var ms []*yaml.Node
	for _, path := range tableSections {
		n := doc.Content[0]
		for _, k := range path {
			var next *yaml.Node
			for i := 0; n != nil && i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == k {
					next = n.Content[i+1]
				}
			}
			n = next
		}
		if n != nil {
			mappings(n, &ms)
		}
	}
	_, err := Parse(f, b)
	reported := map[string]bool{}
	for _, p := range AsProblems(err) {
		reported[p.Message[:min(len(p.Message), strings.Index(p.Message+" (", " ("))]] = true
	}
	for _, m := range ms {
		k := m.Content[len(m.Content)-2].Value
		if !reported["unknown field \""+k+"\""] {
			t.Errorf("%s: stray key %s not reported (problems: %v)", f, k, err)
		}
	}
	return len(ms)
}
