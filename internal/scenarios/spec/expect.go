package spec

import (
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// Expectation is one check of the run: a name, shouldFail, and exactly one
// kind, written as the kind's key (mirrored:, dropped:, …) with its fields.
type Expectation struct {
	// Name labels the check in reports (default: its kind's description).
	Name string `yaml:"name"`
	// ShouldFail inverts the check: the expectation holds when its check
	// does not (a regression that a demonstration scenario must catch);
	// the verdict keeps the check's own detail, so reports still say what
	// was found.
	ShouldFail bool `yaml:"shouldFail"`
	// Check is the kind's own value (*Mirrored, *Dropped, …); nil when the
	// expectation has no kind.
	Check ExpectKind `yaml:"-"`

	kindOf
}

// ExpectKind is one kind of expectation. Each is one type in one file
// (expect_<kind>.go) holding its fields, its validation, its description
// and its judgement, and one row of expectKinds; the set is closed.
type ExpectKind interface {
	// check validates the kind's fields against the scenario.
	check(k *kindCheck)
	// describe is the expectation's default name.
	describe() string
	// judge decides the kind against what a run observed.
	judge(j *judging)
}

// expectKinds is every kind of expectation, by its key.
var expectKinds = kindTable[ExpectKind]{
	{"mirrored", func() ExpectKind { return &Mirrored{} }},
	{"notMirrored", func() ExpectKind { return &notMirrored{} }},
	{"arrived", func() ExpectKind { return &arrived{} }},
	{"truncated", func() ExpectKind { return &truncated{} }},
	{"delivered", func() ExpectKind { return &delivered{} }},
	{"dropped", func() ExpectKind { return &dropped{} }},
	{"requests", func() ExpectKind { return &requests{} }},
	{"sameRequests", func() ExpectKind { return &sameRequests{} }},
	{"sameResponses", func() ExpectKind { return &SameResponses{} }},
	{"responseLatency", func() ExpectKind { return &ResponseLatency{} }},
	{"metric", func() ExpectKind { return &Metric{} }},
	{"output", func() ExpectKind { return &output{} }},
	{"traffic", func() ExpectKind { return &TrafficOutcome{} }},
	{"validationError", func() ExpectKind { return &ValidationError{} }},
}

// kindTable lists the kinds of one thing (an expectation, a traffic
// step) by the key that a file writes.
type kindTable[K any] []struct {
	key string
	new func() K
}

func (t kindTable[K]) keys() []string {
	keys := make([]string, len(t))
	for i, k := range t {
		keys[i] = k.key
	}
	return keys
}

// lookup returns a new value of the kind of key (the zero K: no kind).
func (t kindTable[K]) lookup(key string) K {
	for _, k := range t {
		if k.key == key {
			return k.new()
		}
	}
	var none K
	return none
}

// Kind names the expectation's kind (mirrored, dropped, …).
func (e *Expectation) Kind() string { return e.key }

// ExpectsRefusal says whether the scenario expects the provider to refuse
// its configuration (a validationError expectation).
func (s *Scenario) ExpectsRefusal() bool {
	for _, e := range s.Expect {
		if _, ok := e.Check.(*ValidationError); ok {
			return true
		}
	}
	return false
}

// UnmarshalYAML decodes an expectation strictly: name, shouldFail and the
// kinds' keys, each kind's body into its own type. Problems are kept, in
// the decoder's own words, for Check to report at their lines.
func (e *Expectation) UnmarshalYAML(n *yaml.Node) error {
	var err error
	e.Check, e.kindOf, err = decodeOneOf(n, "spec.Expectation", map[string]any{"name": &e.Name, "shouldFail": &e.ShouldFail}, expectKinds.lookup)
	return err
}

// kindOf is what decodeOneOf found beside the kind itself.
type kindOf struct {
	key        string   // the kind's key
	kinds      int      // how many kind keys the mapping has
	decodeErrs []string // the decoder's problems, reported by Check
}

// decodeOneOf decodes mapping n of type typeName strictly: each key of
// fixed into its value, and a kind's key (newKind gives its value, nil for
// a key that is no kind) into that kind. The problems with the fields are
// kept for Check to report at their lines: returned to the decoder, they
// would drop the item from its list and shift the indexes of those after
// it. Only a value that is no mapping is the decoder's error.
func decodeOneOf[K comparable](n *yaml.Node, typeName string, fixed map[string]any, newKind func(string) K) (K, kindOf, error) {
	var kind, none K
	var d kindOf
	if n.Kind != yaml.MappingNode {
		return none, d, &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: cannot unmarshal %s `%s` into %s", n.Line, n.ShortTag(), n.Value, typeName)}}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		if v, ok := fixed[key.Value]; ok {
			d.decodeErrs = append(d.decodeErrs, strictDecode(val, v)...)
			continue
		}
		k := newKind(key.Value)
		if k == none {
			d.decodeErrs = append(d.decodeErrs, fmt.Sprintf("line %d: field %s not found in type %s", key.Line, key.Value, typeName))
			continue
		}
		d.decodeErrs = append(d.decodeErrs, strictDecode(val, k)...)
		if e, ok := any(k).(interface{ empty() bool }); ok && e.empty() {
			continue // command: [] is no command
		}
		d.kinds++
		kind, d.key = k, key.Value
	}
	return kind, d, nil
}

// strictDecode decodes n into v as the file's strict decoder would: a
// wrong type, or a key that v's type does not have, is an error.
func strictDecode(n *yaml.Node, v any) []string {
	var errs []string
	if err := n.Decode(v); err != nil {
		if te, ok := err.(*yaml.TypeError); ok {
			errs = te.Errors
		} else {
			errs = []string{err.Error()}
		}
	}
	return append(errs, unknownKeys(n, reflect.TypeOf(v))...)
}

// unknownKeys lists the keys of mapping n (and of the mappings inside it)
// that struct type t has no field for.
func unknownKeys(n *yaml.Node, t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind != yaml.MappingNode || t.Kind() != reflect.Struct {
		return nil
	}
	fields := map[string]reflect.Type{}
	collectYAMLFields(t, fields)
	var out []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		key := n.Content[i]
		ft, ok := fields[key.Value]
		if !ok {
			out = append(out, fmt.Sprintf("line %d: field %s not found in type %s", key.Line, key.Value, t.String()))
			continue
		}
		out = append(out, unknownKeys(n.Content[i+1], ft)...)
	}
	return out
}

// collectYAMLFields maps each YAML key of struct type t (inline structs'
// keys included) to its field's type.
func collectYAMLFields(t reflect.Type, out map[string]reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if opts == "inline" {
			collectYAMLFields(f.Type, out)
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
}

// Count bounds an observed number; every bound given must hold (none given:
// at least 1).
type Count struct {
	Min    *int64 `yaml:"min"`
	Max    *int64 `yaml:"max"`
	Equals *int64 `yaml:"equals"`
}

// bounds says what c wants and whether got satisfies it.
func (c Count) bounds(got int64) (want string, ok bool) {
	ok = true
	var parts []string
	if c.Equals != nil {
		parts = append(parts, fmt.Sprintf("= %d", *c.Equals))
		ok = ok && got == *c.Equals
	}
	if c.Min != nil {
		parts = append(parts, fmt.Sprintf(">= %d", *c.Min))
		ok = ok && got >= *c.Min
	}
	if c.Max != nil {
		parts = append(parts, fmt.Sprintf("<= %d", *c.Max))
		ok = ok && got <= *c.Max
	}
	if len(parts) == 0 {
		return ">= 1", got >= 1
	}
	return strings.Join(parts, ", "), ok
}
