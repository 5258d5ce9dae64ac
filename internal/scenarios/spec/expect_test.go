package spec

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

func TestExpectationDecodesStrictly(t *testing.T) {
	src := header + `expect:
  - mirrored: {networkInterface: src-eni, sesion: s}
  - mirored: {networkInterface: src-eni}
  - arrived: {networkInterface: dst-eni, innerBytes: {min: 1, most: 2}}
  - notMirrored: {networkInterface: src-eni, min: lots}
  - {delivered: {target: t}, dropped: {}}
  - name: [a]
    requests: {program: p}
`
	got := problemsOf(t, src)
	wantProblems(t, got,
		`t.yaml:14: unknown field "sesion" (did you mean session?)`,
		`t.yaml:15: unknown field "mirored" (did you mean mirrored?)`,
		`t.yaml:16: unknown field "most" (allowed here: equals, max, min)`,
		`t.yaml:17: cannot unmarshal !!str`+" `lots`",
		`t.yaml:18:5: expect[4]: an expectation needs exactly one kind (mirrored, notMirrored,`,
		`t.yaml:19: cannot unmarshal !!seq into string`,
		`t.yaml:20:16: expect[5].requests.program: no program named "p"`,
	)
}

// TestEveryKindDecodes: each key of the registry decodes into its own type,
// and names the kind it is.
func TestEveryKindDecodes(t *testing.T) {
	seen := map[reflect.Type]string{}
	for _, k := range expectKinds {
		s, _ := Parse("t.yaml", []byte(header+fmt.Sprintf("expect:\n  - %s: {}\n", k.key)))
		if s == nil || len(s.Expect) != 1 {
			t.Fatalf("%s: not decoded", k.key)
		}
		e := s.Expect[0]
		if e.Kind() != k.key || reflect.TypeOf(e.Check) != reflect.TypeOf(k.new()) {
			t.Errorf("%s: decoded as %q (%T)", k.key, e.Kind(), e.Check)
		}
		if prev, dup := seen[reflect.TypeOf(e.Check)]; dup {
			t.Errorf("%s and %s share the type %T", prev, k.key, e.Check)
		}
		seen[reflect.TypeOf(e.Check)] = k.key
		if e.Label() == "" || e.Label() == "expectation" {
			t.Errorf("%s: no description", k.key)
		}
	}
}

// TestEveryTrafficKindDecodes: each key of the traffic registry decodes
// into its own type, checked by its own check.
func TestEveryTrafficKindDecodes(t *testing.T) {
	for _, k := range trafficKinds {
		s, err := Parse("t.yaml", []byte(header+fmt.Sprintf("traffic:\n  - {from: src, %s: []}\n", k.key)))
		if s == nil || len(s.Traffic) != 1 {
			t.Fatalf("%s: not decoded", k.key)
		}
		st := s.Traffic[0]
		if reflect.TypeOf(st.Step) != reflect.TypeOf(k.new()) && k.key != "command" {
			t.Errorf("%s: decoded as %T", k.key, st.Step)
		}
		if k.key == "command" { // command: [] is no command
			if !strings.Contains(fmt.Sprint(err), "needs exactly one of") {
				t.Errorf("command: [] accepted: %v", err)
			}
			continue
		}
		if !strings.Contains(fmt.Sprint(err), "cannot unmarshal !!seq") {
			t.Errorf("%s: a list accepted as the step (%v)", k.key, err)
		}
	}
	s, err := Parse("t.yaml", []byte(header+"traffic:\n  - {from: src, udp: {to: dst, port: 53, sorcePort: 1}}\n  - {from: src, command: [true]}\n"))
	if !strings.Contains(fmt.Sprint(err), `unknown field "sorcePort" (did you mean sourcePort?)`) || len(s.Traffic) != 2 ||
		s.Traffic[1].Kind() != "command" || s.Traffic[1].Describe() != "src" {
		t.Fatalf("strict decoding: %v %+v", err, s.Traffic)
	}
}

// TestKindsDocumented: every kind of expectation of the registry, and no
// other, is a row of FORMAT.md's table of expectations, every kind of
// traffic step is named in its traffic row, and each is one of the
// schema's kinds (a branch of its oneOf); TestSchemaMatchesTypes checks
// each kind's keys.
func TestKindsDocumented(t *testing.T) {
	keys := expectKinds.keys()
	sort.Strings(keys)
	format := string(mustRead(t, "../../../scenarios/FORMAT.md"))
	_, table, _ := strings.Cut(format, "## Expectations")
	var rows []string
	for _, m := range regexp.MustCompile("(?m)^\\| `(\\w+):").FindAllStringSubmatch(table, -1) {
		rows = append(rows, m[1])
	}
	// each row's fields are the kind's own keys
	withFields := regexp.MustCompile("(?m)^\\| `(\\w+): \\{([^}]*)\\}`").FindAllStringSubmatch(table, -1)
	if len(withFields) != len(keys) {
		t.Errorf("FORMAT.md gives the fields of %d kinds, want %d", len(withFields), len(keys))
	}
	for _, m := range withFields {
		fields := map[string]reflect.Type{}
		if k := expectKinds.lookup(m[1]); k != nil {
			collectYAMLFields(reflect.TypeOf(k).Elem(), fields)
		}
		for _, f := range regexp.MustCompile(`\w+`).FindAllString(m[2], -1) {
			if _, ok := fields[f]; !ok {
				t.Errorf("FORMAT.md's %s has a field %s that the kind has not", m[1], f)
			}
		}
	}
	sort.Strings(rows)
	if !reflect.DeepEqual(rows, keys) {
		t.Errorf("FORMAT.md's expectations %v, the registry's %v", rows, keys)
	}
	_, steps, _ := strings.Cut(format, "| `traffic` |")
	steps, _, _ = strings.Cut(steps, "\n")
	for _, k := range trafficKinds.keys() {
		if !strings.Contains(steps, "`"+k+"`") {
			t.Errorf("FORMAT.md's traffic row lacks the kind %s", k)
		}
	}
	var schema struct {
		Defs map[string]struct {
			OneOf []struct {
				Required []string `json:"required"`
			} `json:"oneOf"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(mustRead(t, "../../../scenarios/schema.json"), &schema); err != nil {
		t.Fatal(err)
	}
	tkeys := trafficKinds.keys()
	sort.Strings(tkeys)
	for def, want := range map[string][]string{"expectation": keys, "traffic": tkeys} {
		var branches []string
		for _, b := range schema.Defs[def].OneOf {
			branches = append(branches, b.Required...)
		}
		sort.Strings(branches)
		if !reflect.DeepEqual(branches, want) {
			t.Errorf("the schema's %s kinds %v, the registry's %v", def, branches, want)
		}
	}
}
